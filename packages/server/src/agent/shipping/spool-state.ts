import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../../shared/app-error.js';
import { checksum, fsyncDir } from './durable-fs.js';

/** Highest end offset spooled for one source: [file_id, end_offset, seq of the record]. */
export type HighWater = [fileId: string, endOffset: number, seq: number];

/** What survives the records themselves: the head pointer, counters and identity of the spool. */
export interface SpoolState {
  /** Random per spool directory: a wiped state dir must not reuse batch ids the server has seen. */
  epoch: string;
  /** First seq still in the spool; everything below was acked, dropped or rejected. */
  head_seq: number;
  dropped_batches: number;
  dropped_events: number;
  rejected_batches: number;
  rejected_events: number;
  /** Per source, kept after the records are gone so a restart never re-reads shipped lines. */
  hwm: Record<string, HighWater>;
}

const MAGIC = Buffer.from('DSH1', 'latin1');
/** Two slots; a torn write can only damage the slot being written, the other stays valid. */
const SLOT_BYTES = 1024 * 1024;
const PREFIX = 16;
/** Bounds the state size: far more sources than an agent tails; the least recent go first. */
export const MAX_HWM_SOURCES = 256;

export function freshState(): SpoolState {
  return { epoch: randomBytes(6).toString('hex'), head_seq: 1, dropped_batches: 0, dropped_events: 0, rejected_batches: 0, rejected_events: 0, hwm: {} };
}

/**
 * The spool's durable head pointer: overwritten in place (one pwrite + fdatasync, ~0.2 ms here)
 * instead of tmp + rename (~1.4 ms, two fsyncs and a directory update), alternating between two
 * checksummed slots with a generation number; open takes the valid slot with the higher one.
 */
export class SpoolStateFile {
  private constructor(
    private readonly fh: FileHandle,
    private gen: number,
  ) {}

  static async open(path: string): Promise<{ file: SpoolStateFile; state: SpoolState; created: boolean }> {
    // Not 'a+': positional writes are ignored on an O_APPEND handle.
    const fh = await open(path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
    try {
      const slots = [await readSlot(fh, 0), await readSlot(fh, 1)];
      const best = slots.filter((s) => s !== undefined).sort((a, b) => b.gen - a.gen)[0];
      if (best) return { file: new SpoolStateFile(fh, best.gen), state: best.state, created: false };
      const size = (await fh.stat()).size;
      if (size > 0) throw new AppError('spool.state_corrupt', `${path}: both state slots are damaged; move the spool directory aside to start a new spool`, { status: 500 });
      const file = new SpoolStateFile(fh, 0);
      const state = freshState();
      await file.write(state);
      await fsyncDir(dirname(path));
      return { file, state, created: true };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async write(state: SpoolState): Promise<void> {
    const gen = this.gen + 1;
    const json = Buffer.from(JSON.stringify({ v: 1, gen, ...fitHwm(state) }), 'utf8');
    if (PREFIX + json.length > SLOT_BYTES) throw new AppError('spool.state_too_large', `spool state of ${json.length} bytes exceeds ${SLOT_BYTES}`, { status: 500 });
    const prefix = Buffer.allocUnsafe(PREFIX);
    MAGIC.copy(prefix, 0);
    prefix.writeUInt32BE(json.length, 4);
    checksum(prefix.subarray(0, 8), json).copy(prefix, 8);
    const buf = Buffer.concat([prefix, json]);
    await this.fh.write(buf, 0, buf.length, (gen % 2) * SLOT_BYTES);
    await this.fh.datasync();
    this.gen = gen;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Drops the high-water marks of the least recently spooled sources beyond the bound. */
function fitHwm(state: SpoolState): SpoolState {
  const keys = Object.keys(state.hwm);
  if (keys.length <= MAX_HWM_SOURCES) return state;
  keys.sort((a, b) => state.hwm[b]![2] - state.hwm[a]![2]);
  for (const k of keys.slice(MAX_HWM_SOURCES)) delete state.hwm[k];
  return state;
}

async function readSlot(fh: FileHandle, slot: number): Promise<{ gen: number; state: SpoolState } | undefined> {
  const prefix = Buffer.alloc(PREFIX);
  const { bytesRead } = await fh.read(prefix, 0, PREFIX, slot * SLOT_BYTES);
  if (bytesRead < PREFIX || !prefix.subarray(0, 4).equals(MAGIC)) return undefined;
  const len = prefix.readUInt32BE(4);
  if (len > SLOT_BYTES - PREFIX) return undefined;
  const json = Buffer.alloc(len);
  const r = await fh.read(json, 0, len, slot * SLOT_BYTES + PREFIX);
  if (r.bytesRead < len || !checksum(prefix.subarray(0, 8), json).equals(prefix.subarray(8, 16))) return undefined;
  try {
    return validState(JSON.parse(json.toString('utf8')));
  } catch {
    return undefined;
  }
}

function validState(v: unknown): { gen: number; state: SpoolState } | undefined {
  const o = v as Record<string, unknown> | null;
  const int = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!o || o.v !== 1 || !int(o.gen) || typeof o.epoch !== 'string' || !/^[0-9a-f]{4,32}$/.test(o.epoch) || !int(o.head_seq)) return undefined;
  if (![o.dropped_batches, o.dropped_events, o.rejected_batches, o.rejected_events].every(int)) return undefined;
  if (typeof o.hwm !== 'object' || o.hwm === null) return undefined;
  const hwm: Record<string, HighWater> = {};
  for (const [k, h] of Object.entries(o.hwm)) {
    if (Array.isArray(h) && typeof h[0] === 'string' && int(h[1]) && int(h[2])) hwm[k] = [h[0], h[1] as number, h[2] as number];
  }
  const { gen, epoch, head_seq, dropped_batches, dropped_events, rejected_batches, rejected_events } = o as unknown as SpoolState & { gen: number };
  return { gen, state: { epoch, head_seq, dropped_batches, dropped_events, rejected_batches, rejected_events, hwm } };
}
