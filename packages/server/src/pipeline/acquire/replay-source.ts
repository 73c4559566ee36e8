import { open } from 'node:fs/promises';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { LineSource } from './port.js';
import { createStreamLineSource } from './stream-line-source.js';

/**
 * 256 KiB reads: below that per-chunk overhead dominates; above it the ~2,500 lines of one chunk
 * outlive young-generation GCs while their batches are processed, get promoted, and a 100 MB
 * replay peaks ~40 MB higher (measured: 1 MiB → 161 MB RSS, 256 KiB → 126 MB, and faster).
 */
const READ_CHUNK = 256 * 1024;

export interface ReplaySourceOptions {
  path: string;
  maxLineBytes?: number;
  /** Most lines per batch handed to the sink (default 4096). */
  batchLines?: number;
  logger: Logger;
  /** Source id (default "replay:<path>"). */
  id?: string;
  clock?: Clock;
}

/**
 * Reads a whole log file once, plain or gzip (by magic bytes), streaming in 1 MiB reads.
 * `start()` resolves after the last batch was processed; it rejects with AppError
 * 'acquire.truncated_gzip' (after delivering every complete line before the damage),
 * 'acquire.not_found', 'acquire.permission_denied', 'acquire.not_a_file' or 'acquire.read_failed'.
 */
export function createReplaySource(opts: ReplaySourceOptions): LineSource {
  const base = {
    id: opts.id ?? `replay:${opts.path}`,
    kind: 'replay' as const,
    open: () => readFileChunks(opts.path),
    reusesChunks: true,
    describe: opts.path,
    logger: opts.logger,
  };
  return createStreamLineSource({
    ...base,
    ...(opts.maxLineBytes !== undefined && { maxLineBytes: opts.maxLineBytes }),
    ...(opts.batchLines !== undefined && { batchLines: opts.batchLines }),
    ...(opts.clock !== undefined && { clock: opts.clock }),
  });
}

/**
 * Reads a file in READ_CHUNK pieces into one buffer that is overwritten by the next read. A fresh
 * 1 MiB Buffer per read lets ~50 MB of dead buffers pile up before V8 collects them (it counts
 * external memory lazily); reusing one keeps a 100 MB replay's peak RSS flat.
 */
async function* readFileChunks(path: string): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), { code: 'EISDIR' });
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
