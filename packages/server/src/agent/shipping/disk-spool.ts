import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { MAX_INGEST_BATCH } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { acquirePidLock, fsyncDir, unlinkIfExists } from './durable-fs.js';
import { RejectedFolder } from './rejected-folder.js';
import { decodeRecordAt, encodeRecord } from './spool-record.js';
import { loadSegments, segmentName, type Segment, type SpoolEntry } from './spool-segments.js';
import { SpoolStateFile, type SpoolState } from './spool-state.js';
import type { DiskSpool, SpoolInput, SpoolRecord, SpoolRecordMeta, SpoolStats } from './port.js';

export type { DiskSpool, SpoolInput, SpoolRecord, SpoolRecordMeta, SpoolStats };

const gzipAsync = promisify(gzip);

export interface DiskSpoolOptions {
  /** The agent's state directory (created). */
  dir: string;
  /** Prefix of batch ids: `${agentId}-${epoch}-${seq}`. */
  agentId: string;
  logger: Logger;
  clock?: Clock;
  /** Bytes of records kept (default 256 MiB); disk use is at most this plus one segment. */
  maxBytes?: number;
  /** Records kept (default 100 000): bounds the in-memory index. */
  maxRecords?: number;
  /** A segment file is closed for appends past this size (default 4 MiB). */
  segmentBytes?: number;
  /** gzip level of the bodies (default 6). */
  gzipLevel?: number;
  rejected?: { maxBatches?: number; maxBytes?: number };
}

const AGENT_ID_RE = /^[A-Za-z0-9._:-]{1,80}$/;

/** Opens (or creates) the spool in `dir`, recovering from whatever a crash left (see README). */
export async function openDiskSpool(o: DiskSpoolOptions): Promise<DiskSpool> {
  if (!AGENT_ID_RE.test(o.agentId)) throw new AppError('spool.invalid_config', `agent id ${JSON.stringify(o.agentId.slice(0, 100))}: 1-80 of A-Z a-z 0-9 . _ : -`, { status: 400 });
  const positive = (v: number | undefined, d: number, name: string) => {
    const x = v ?? d;
    if (!Number.isSafeInteger(x) || x < 1) throw new AppError('spool.invalid_config', `${name} must be a positive integer`, { status: 400 });
    return x;
  };
  const limits = { maxBytes: positive(o.maxBytes, 256 * 1024 * 1024, 'maxBytes'), maxRecords: positive(o.maxRecords, 100_000, 'maxRecords'), segmentBytes: positive(o.segmentBytes, 4 * 1024 * 1024, 'segmentBytes') };
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  const release = await acquirePidLock(join(o.dir, 'spool.lock'));
  try {
    const { file, state } = await SpoolStateFile.open(join(o.dir, 'spool.state'));
    const logger = o.logger.child({ component: 'spool' });
    const loaded = await loadSegments(o.dir, state.head_seq, logger).catch(async (e: unknown) => {
      await file.close();
      throw e;
    });
    for (const [src, h] of loaded.hwm) if (!state.hwm[src] || state.hwm[src][2] < h[2]) state.hwm[src] = h;
    const rejected = new RejectedFolder(join(o.dir, 'rejected'), o.rejected?.maxBatches, o.rejected?.maxBytes);
    return new Spool({ ...o, ...limits, logger, release }, file, state, loaded, rejected);
  } catch (e) {
    await release();
    throw e;
  }
}

type Resolved = Required<Pick<DiskSpoolOptions, 'dir' | 'agentId' | 'maxBytes' | 'maxRecords' | 'segmentBytes' | 'logger'>> & DiskSpoolOptions & { release: () => Promise<void> };

class Spool implements DiskSpool {
  private readonly clock: Clock;
  private readonly segments: Segment[];
  private readonly entries: SpoolEntry[];
  private nextSeq: number;
  private bytes = 0;
  private events = 0;
  private corrupt: number;
  private cache: SpoolRecord | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private lastDropLogAt = -Infinity;

  constructor(
    private readonly o: Resolved,
    private readonly stateFile: SpoolStateFile,
    private readonly state: SpoolState,
    loaded: Awaited<ReturnType<typeof loadSegments>>,
    private readonly rejected: RejectedFolder,
  ) {
    this.clock = o.clock ?? systemClock;
    ({ segments: this.segments, entries: this.entries, corrupt: this.corrupt } = loaded);
    // Never below the head: with every record acked and the segments gone, the head pointer alone
    // remembers how far the ids went (the server would swallow a reused id as a duplicate).
    this.nextSeq = Math.max(state.head_seq, loaded.maxSeq + 1);
    for (const e of this.entries) {
      this.bytes += e.len;
      this.events += e.events;
    }
  }

  append(group: readonly SpoolInput[]): Promise<SpoolRecordMeta[]> {
    if (this.closed) return Promise.reject(new AppError('spool.closed', 'spool is closed', { status: 503 }));
    const items = group.filter((g) => g.events.length > 0);
    for (const it of items) {
      if (it.events.length > MAX_INGEST_BATCH || it.source.length > 512) return Promise.reject(new AppError('spool.invalid_batch', `spool batch: at most ${MAX_INGEST_BATCH} events and a source id of at most 512 characters`, { status: 400 }));
    }
    // Seqs are taken now, in call order, and the exclusive section runs in the same order, so
    // records land on disk in seq order while the next group is already being compressed.
    const seqs = items.map(() => this.nextSeq++);
    const ids = seqs.map((s) => `${this.o.agentId}-${this.state.epoch}-${s}`);
    const bodies = Promise.all(items.map((it, i) => gzipAsync(Buffer.from(`{"batch_id":"${ids[i]}","events":[${it.events.join(',')}]}`, 'utf8'), { level: this.o.gzipLevel ?? 6 })));
    const created_at = new Date(this.clock.now()).toISOString();
    return this.exclusive(async () => {
      const zipped = await bodies;
      const metas = items.map((it, i) => ({ seq: seqs[i]!, batch_id: ids[i]!, events: it.events.length, source: it.source, ...(it.fileId !== undefined && { file_id: it.fileId }), ...(it.endOffset !== undefined && { end_offset: it.endOffset }), created_at }));
      const frames = metas.map((m, i) => encodeRecord({ ...m, group_end: i === metas.length - 1 }, zipped[i]!));
      const kept = await this.makeRoom(frames, metas);
      if (kept.length > 0) await this.write(kept, frames.slice(frames.length - kept.length));
      // Only once stored (or dropped by the bound): a failed append must not move the mark.
      for (const m of metas) if (m.file_id !== undefined && m.end_offset !== undefined) this.state.hwm[m.source] = [m.file_id, m.end_offset, m.seq];
      return kept.map((m, i) => ({ ...m, bytes: frames[frames.length - kept.length + i]!.length }));
    });
  }

  peek(): Promise<SpoolRecord | undefined> {
    return this.exclusive(() => this.readHead());
  }

  ack(seq: number): Promise<void> {
    return this.exclusive(() => this.removeThrough(seq, 'acked'));
  }

  reject(seq: number, why: { status: number; reason: string }): Promise<void> {
    return this.exclusive(async () => {
      const head = await this.readHead();
      if (!head || head.seq !== seq) return;
      const { batch_id, events, source } = head;
      await this.rejected.put({ seq, batch_id, events, source, status: why.status, reason: why.reason.slice(0, 2000), rejected_at: new Date(this.clock.now()).toISOString() }, head.body);
      await this.removeThrough(seq, 'rejected');
    });
  }

  highWater(source: string) {
    const h = this.state.hwm[source];
    return h && { file_id: h[0], end_offset: h[1], seq: h[2] };
  }

  stats(): SpoolStats {
    const s = this.state;
    return { batches: this.entries.length, events: this.events, bytes: this.bytes, dropped_batches: s.dropped_batches, dropped_events: s.dropped_events, rejected_batches: s.rejected_batches, rejected_events: s.rejected_events, corrupt_skipped: this.corrupt, next_seq: this.nextSeq };
  }

  close(): Promise<void> {
    if (this.closed) return this.queue.then(() => undefined);
    this.closed = true;
    return this.exclusive(async () => {
      for (const s of this.segments) await s.fh?.close().catch(() => undefined);
      await this.stateFile.close();
      await this.o.release();
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Drops the oldest records (counted, persisted) until the group fits; returns what to write. */
  private async makeRoom<M extends { seq: number; events: number }>(frames: Buffer[], metas: M[]): Promise<M[]> {
    const kept = metas.slice();
    let groupBytes = frames.reduce((a, f) => a + f.length, 0);
    let dropped = 0;
    // A group larger than the whole spool loses its oldest records before it is written.
    for (let i = 0; kept.length > 0 && (kept.length > this.o.maxRecords || groupBytes > this.o.maxBytes); i++) {
      this.countDrop(kept.shift()!.events);
      groupBytes -= frames[i]!.length;
      dropped++;
    }
    let last: SpoolEntry | undefined;
    while (this.entries.length > 0 && kept.length > 0 && (this.entries.length + kept.length > this.o.maxRecords || this.bytes + groupBytes > this.o.maxBytes)) {
      last = this.removeEntry();
      this.countDrop(last.events);
      dropped++;
    }
    if (last) this.state.head_seq = last.seq + 1;
    if (dropped > 0) {
      await this.persist();
      const now = this.clock.now();
      if (now - this.lastDropLogAt >= 60_000) {
        this.lastDropLogAt = now;
        this.o.logger.warn({ dropped_batches: this.state.dropped_batches, dropped_events: this.state.dropped_events, max_bytes: this.o.maxBytes, max_records: this.o.maxRecords }, 'spool full: dropping the oldest batches');
      }
    }
    return kept;
  }

  private countDrop(events: number): void {
    this.state.dropped_batches++;
    this.state.dropped_events += events;
  }

  private async write(metas: Omit<SpoolRecordMeta, 'bytes'>[], frames: Buffer[]): Promise<void> {
    const buf = Buffer.concat(frames);
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.broken || (seg.size > 0 && seg.size + buf.length > this.o.segmentBytes)) seg = await this.roll(metas[0]!.seq);
    seg.fh ??= await open(seg.path, 'r+');
    try {
      await seg.fh.write(buf, 0, buf.length, seg.size);
      await seg.fh.datasync();
    } catch (e) {
      // Undo the partial group so later appends do not sit behind garbage; if even that fails,
      // the segment takes no more appends (on open, the group without its end is discarded).
      await seg.fh.truncate(seg.size).catch(() => (seg.broken = true));
      throw new AppError('spool.write_failed', `spool: appending ${metas.length} batches to ${seg.path} failed: ${(e as Error).message}`, { status: 503, cause: e });
    }
    let pos = seg.size;
    for (const [i, m] of metas.entries()) {
      this.entries.push({ ...m, seg, pos, len: frames[i]!.length });
      pos += frames[i]!.length;
      this.events += m.events;
    }
    seg.size = pos;
    seg.live += metas.length;
    this.bytes += buf.length;
  }

  private async roll(firstSeq: number): Promise<Segment> {
    const path = join(this.o.dir, segmentName(firstSeq));
    const fh = await open(path, 'wx+', 0o600);
    const seg: Segment = { path, size: 0, live: 0, fh, broken: false };
    this.segments.push(seg);
    // The new name must be durable before records in it are reported stored.
    await fsyncDir(this.o.dir);
    await this.dropDeadSegments();
    return seg;
  }

  private async readHead(): Promise<SpoolRecord | undefined> {
    while (this.entries.length > 0) {
      const e = this.entries[0]!;
      if (this.cache?.seq === e.seq) return this.cache;
      // The newest segment is also the one appended to: its handle must be writable (see write()).
      e.seg.fh ??= await open(e.seg.path, e.seg === this.segments[this.segments.length - 1] ? 'r+' : 'r');
      const buf = Buffer.allocUnsafe(e.len);
      const { bytesRead } = await e.seg.fh.read(buf, 0, e.len, e.pos);
      const d = bytesRead === e.len ? decodeRecordAt(buf, 0) : undefined;
      if (d && d.header.seq === e.seq) {
        const { seg: _s, pos: _p, len, ...meta } = e;
        return (this.cache = { ...meta, bytes: len, body: d.body });
      }
      // Damaged since open (the disk changed under us): count it lost rather than block the stream.
      this.o.logger.warn({ seq: e.seq, segment: e.seg.path }, 'spool: record damaged on disk; dropped');
      this.corrupt++;
      this.countDrop(e.events);
      await this.removeThrough(e.seq, 'dropped');
    }
    return undefined;
  }

  private async removeThrough(seq: number, kind: 'acked' | 'rejected' | 'dropped'): Promise<void> {
    let last: SpoolEntry | undefined;
    while (this.entries.length > 0 && this.entries[0]!.seq <= seq) {
      last = this.removeEntry();
      if (kind === 'rejected') {
        this.state.rejected_batches++;
        this.state.rejected_events += last.events;
      }
    }
    if (!last) return;
    this.state.head_seq = last.seq + 1;
    await this.persist();
  }

  private removeEntry(): SpoolEntry {
    const e = this.entries.shift()!;
    e.seg.live--;
    this.bytes -= e.len;
    this.events -= e.events;
    if (this.cache?.seq === e.seq) this.cache = undefined;
    return e;
  }

  /** Head pointer first, then the files: a crash in between leaves segments open re-deletes. */
  private async persist(): Promise<void> {
    await this.stateFile.write(this.state);
    await this.dropDeadSegments();
  }

  private async dropDeadSegments(): Promise<void> {
    while (this.segments.length > 1 && this.segments[0]!.live === 0) {
      const s = this.segments.shift()!;
      await s.fh?.close().catch(() => undefined);
      await unlinkIfExists(s.path);
    }
  }
}
