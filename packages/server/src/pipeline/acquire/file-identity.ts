import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** How many leading bytes identify a file's content (with its dev:ino). */
export const HEAD_BYTES = 1024;
/** How far back "start at end" looks for the start of the line being written. */
const TAIL_WINDOW = 64 * 1024;

/** dev:ino of a file; bigint stats because 64-bit inode numbers exceed 2^53 on some filesystems. */
export function fileIdOf(st: Pick<BigIntStats, 'dev' | 'ino'>): string {
  return `${st.dev}:${st.ino}`;
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/**
 * "<n>:<sha256 of the first n bytes>", n = min(HEAD_BYTES, size). Keeping n lets a later check
 * hash the same prefix of a file that has grown since.
 */
export async function headHash(fh: FileHandle, size: number): Promise<string> {
  const head = await readAt(fh, 0, Math.min(HEAD_BYTES, size));
  return `${head.length}:${createHash('sha256').update(head).digest('hex')}`;
}

/** Length of file covered by a head hash, or -1 when the string is not one of ours. */
export function headLength(hash: string): number {
  const m = /^(\d{1,7}):[0-9a-f]{64}$/.exec(hash);
  return m ? Number(m[1]) : -1;
}

/** True when the file still starts with the bytes `hash` was taken from. */
export async function headMatches(fh: FileHandle, hash: string, size: number): Promise<boolean> {
  const n = headLength(hash);
  if (n < 0 || n > size || n > HEAD_BYTES) return false;
  const head = await readAt(fh, 0, n);
  if (head.length !== n) return false;
  return `${n}:${createHash('sha256').update(head).digest('hex')}` === hash;
}

/**
 * Where "start at end" begins: just after the last \n before `size`, so a line the writer is in
 * the middle of is read whole once it is finished. Falls back to `size` if no \n is near.
 */
export async function lineStartBefore(fh: FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const from = Math.max(0, size - TAIL_WINDOW);
  const tail = await readAt(fh, from, size - from);
  const nl = tail.lastIndexOf(10);
  if (nl >= 0) return from + nl + 1;
  return from === 0 ? 0 : size;
}
