import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { OffsetStore, SourceOffset } from '../../pipeline/acquire/port.js';
import { errnoCode } from '../../pipeline/acquire/supervisor.js';
import { AppError, errorMessage } from '../../shared/app-error.js';
import type { Logger } from '../../shared/logger.js';
import { writeFileAtomic } from './durable-fs.js';
import type { DiskSpool } from './port.js';

export interface SpoolOffsetsOptions {
  /** JSON file in the state dir, e.g. `<state>/offsets.json`. */
  path: string;
  spool: Pick<DiskSpool, 'highWater' | 'stats'>;
  logger: Logger;
}

/** A saved offset plus the spool's next seq at the moment it was saved (orders it against spooled records). */
type Saved = SourceOffset & { spool_seq: number };

const MAX_SOURCES = 1024;
/** Head hash of zero bytes: matches any file with the right identity (widened on the next save). */
const EMPTY_HEAD = `0:${createHash('sha256').digest('hex')}`;

/**
 * Offsets of the agent's file tails, in a small JSON file written atomically. `getOffset` never
 * returns a position before lines already spooled: the tail commits its offset only after the
 * sink resolved, and the sink spools first, so after a kill -9 in between the saved offset lags
 * the spool. Resuming there would re-read those lines and ship them again under a new batch id —
 * a duplicate the server cannot recognise. The spool's high-water mark closes that gap.
 */
export function createSpoolOffsets(o: SpoolOffsetsOptions): OffsetStore {
  const log = o.logger.child({ component: 'spool-offsets' });
  let map: Map<string, Saved> | undefined;
  let loading: Promise<Map<string, Saved>> | undefined;
  let writing: Promise<unknown> = Promise.resolve();

  const load = (): Promise<Map<string, Saved>> => {
    if (map) return Promise.resolve(map);
    loading ??= readOffsets(o.path, log).then(
      (m) => (map = m),
      (e: unknown) => {
        loading = undefined; // the tail retries; read again then
        throw e;
      },
    );
    return loading;
  };

  return {
    async getOffset(source) {
      const saved = (await load()).get(source);
      const h = o.spool.highWater(source);
      if (!h) return saved && strip(saved);
      // Whichever is later wins. Saved after the last spooled record: the saved offset already
      // covers it (or the file was rotated/truncated since, and the saved offset is the new one).
      if (saved && saved.spool_seq > h.seq) return strip(saved);
      // Spooled after the save, same file, further on: the usual kill -9 gap.
      if (saved && saved.file_id === h.file_id && h.end_offset >= saved.offset) return { ...strip(saved), offset: h.end_offset };
      // Spooled after the save from another file, or from a file truncated in place since.
      return { source, file_id: h.file_id, offset: h.end_offset, head_hash: EMPTY_HEAD, updated_at: new Date().toISOString() };
    },
    async saveOffset(off) {
      const m = await load();
      m.delete(off.source);
      m.set(off.source, { ...off, spool_seq: o.spool.stats().next_seq });
      // Insertion order = last saved; a source not saved for longest goes first.
      while (m.size > MAX_SOURCES) m.delete(m.keys().next().value!);
      const text = `${JSON.stringify({ v: 1, offsets: Object.fromEntries(m) })}\n`;
      const run = writing.then(() => writeFileAtomic(o.path, text));
      writing = run.catch(() => undefined);
      try {
        await run;
      } catch (e) {
        throw new AppError('spool.offsets_write_failed', `saving offsets to ${o.path} failed: ${errorMessage(e)}`, { status: 503, cause: e });
      }
    },
  };
}

function strip(s: Saved): SourceOffset {
  const { spool_seq: _s, ...rest } = s;
  return rest;
}

async function readOffsets(path: string, log: Logger): Promise<Map<string, Saved>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return new Map();
    throw new AppError('spool.offsets_unreadable', `reading offsets from ${path} failed: ${errorMessage(e)}`, { status: 503, cause: e });
  }
  const m = new Map<string, Saved>();
  try {
    const doc = JSON.parse(text) as { v?: unknown; offsets?: Record<string, Partial<Saved>> };
    for (const [k, v] of Object.entries(doc.offsets ?? {})) {
      if (typeof v.file_id === 'string' && Number.isSafeInteger(v.offset) && typeof v.head_hash === 'string') {
        m.set(k, { source: k, file_id: v.file_id, offset: v.offset!, head_hash: v.head_hash, updated_at: String(v.updated_at ?? ''), spool_seq: Number.isSafeInteger(v.spool_seq) ? v.spool_seq! : 0 });
      }
    }
  } catch (e) {
    // Written by rename, so never torn; damage from outside costs a re-read, never a crash.
    log.warn({ err: errorMessage(e), path }, 'offsets file unreadable; tails resume from the spool or start over');
  }
  return m;
}
