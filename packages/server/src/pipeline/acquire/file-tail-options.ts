import { AppError } from '../../shared/app-error.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { checkBatchLines } from './line-batcher.js';
import type { OffsetStore } from './port.js';
import { positive } from './supervisor.js';

export interface FileTailSourceOptions {
  path: string;
  offsets: OffsetStore;
  logger: Logger;
  clock?: Clock;
  /** Fallback poll when no fs.watch event arrives (rotation, network filesystems). */
  pollIntervalMs?: number;
  /** Where a never-seen file is read from; a stored offset always wins. */
  startAt?: 'end' | 'beginning';
  maxLineBytes?: number;
  retry?: { initialMs?: number; maxMs?: number };
  /** Source id, also the offset key (default "file:<path>"). */
  id?: string;
  /** Most lines per batch when catching up on a backlog (default 8192). */
  batchLines?: number;
  /** Offsets are persisted at most this often, and always on stop and rotation (default 1000). */
  offsetSaveIntervalMs?: number;
  /** How long a renamed/deleted file is still followed once it has gone quiet (default 2000). */
  rotateGraceMs?: number;
}

/** Options with defaults applied and values checked. */
export function resolveFileTailOptions(o: FileTailSourceOptions) {
  if (typeof o.path !== 'string' || o.path.length === 0 || o.path.includes('\0')) throw new AppError('acquire.invalid_config', 'file source: path must be a non-empty string', { status: 400 });
  if (o.startAt !== undefined && o.startAt !== 'end' && o.startAt !== 'beginning') throw new AppError('acquire.invalid_config', `startAt must be "end" or "beginning"`, { status: 400 });
  const id = o.id ?? `file:${o.path}`;
  return {
    id,
    path: o.path,
    offsets: o.offsets,
    clock: o.clock ?? systemClock,
    logger: o.logger.child({ component: 'acquire', source: id }),
    pollMs: positive(o.pollIntervalMs ?? 250, 'pollIntervalMs'),
    startAt: o.startAt ?? 'end',
    maxLineBytes: o.maxLineBytes,
    retryInitialMs: o.retry?.initialMs ?? 500,
    retryMaxMs: o.retry?.maxMs ?? 30_000,
    batchLines: checkBatchLines(o.batchLines, 8192),
    saveEveryMs: positive(o.offsetSaveIntervalMs ?? 1000, 'offsetSaveIntervalMs', true),
    graceMs: positive(o.rotateGraceMs ?? 2000, 'rotateGraceMs'),
  };
}
