import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { unlinkIfExists } from './durable-fs.js';
import { scanSegment, type RecordHeader } from './spool-record.js';
import type { HighWater } from './spool-state.js';

/** One append-only segment file `seg-<first seq, 16 digits>.dat`. */
export interface Segment {
  path: string;
  size: number;
  /** Records in it not yet acked, dropped or rejected; at 0 the file can go. */
  live: number;
  /** Read/write handle (the active segment) or read handle, opened lazily. */
  fh: FileHandle | undefined;
  /** A failed write could not be undone: never append here again. */
  broken: boolean;
}

/** A record in the spool: its header fields and where its frame is. */
export interface SpoolEntry extends Omit<RecordHeader, 'group_end'> {
  seg: Segment;
  pos: number;
  len: number;
}

export interface LoadedSegments {
  segments: Segment[];
  entries: SpoolEntry[];
  /** Highest seq of any record found on disk, even one below the head or discarded. */
  maxSeq: number;
  /** Damaged ranges skipped in the middle of segments. */
  corrupt: number;
  /** Latest end offset per source among the records found. */
  hwm: Map<string, HighWater>;
}

export const SEGMENT_RE = /^seg-(\d{16})\.dat$/;

export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.dat`;
}

/**
 * Reads every segment in seq order and rebuilds the index of records at or after `headSeq`.
 * A torn tail (bytes after the last valid record, or an append group whose last record never
 * made it) is cut off the last segment: no caller was told those records were stored. Segments
 * whose records are all below the head are removed (an unlink lost in a crash is redone here).
 */
export async function loadSegments(dir: string, headSeq: number, logger: Logger): Promise<LoadedSegments> {
  const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
  const out: LoadedSegments = { segments: [], entries: [], maxSeq: 0, corrupt: 0, hwm: new Map() };
  for (let i = 0; i < names.length; i++) {
    const path = join(dir, names[i]!);
    const isLast = i === names.length - 1;
    const buf = await readFile(path);
    const scan = scanSegment(buf);
    for (const c of scan.corrupt) logger.warn({ segment: names[i], pos: c.pos, bytes: c.len }, 'spool: damaged bytes between records skipped');
    out.corrupt += scan.corrupt.length;
    // Groups never span segments, so records after the last group end belong to a torn append.
    let keep = scan.records.length;
    while (keep > 0 && !scan.records[keep - 1]!.header.group_end) keep--;
    const cut = keep > 0 ? scan.records[keep - 1]!.pos + scan.records[keep - 1]!.len : 0;
    const seg: Segment = { path, size: buf.length, live: 0, fh: undefined, broken: false };
    for (const [k, r] of scan.records.entries()) {
      out.maxSeq = Math.max(out.maxSeq, r.header.seq);
      const last = out.entries[out.entries.length - 1];
      if (k >= keep || r.header.seq < headSeq || (last && r.header.seq <= last.seq)) continue;
      const { group_end: _g, ...h } = r.header;
      out.entries.push({ ...h, seg, pos: r.pos, len: r.len });
      seg.live++;
      if (h.file_id !== undefined && h.end_offset !== undefined) out.hwm.set(h.source, [h.file_id, h.end_offset, h.seq]);
    }
    if (isLast) {
      if (cut < buf.length) {
        logger.warn({ segment: names[i], bytes: buf.length - cut, discarded_records: scan.records.length - keep }, 'spool: torn tail from an interrupted append discarded');
        await truncateDurably(path, cut);
        seg.size = cut;
      }
      out.segments.push(seg);
    } else if (seg.live === 0) {
      await unlinkIfExists(path);
    } else {
      out.segments.push(seg);
    }
  }
  return out;
}

async function truncateDurably(path: string, size: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(size);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
