import { createReadStream } from 'node:fs';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { LineSource } from './port.js';
import { createStreamLineSource } from './stream-line-source.js';

/** Big reads: the replay of a 100 MB log is dominated by per-chunk overhead below ~256 KiB. */
const READ_CHUNK = 1024 * 1024;

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
    open: () => createReadStream(opts.path, { highWaterMark: READ_CHUNK }),
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
