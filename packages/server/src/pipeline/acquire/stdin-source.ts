import type { Readable } from 'node:stream';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { LineSource } from './port.js';
import { createStreamLineSource } from './stream-line-source.js';

export interface StdinSourceOptions {
  /** Byte stream to read (default process.stdin); gzip is detected by magic bytes. */
  stream?: Readable;
  maxLineBytes?: number;
  batchLines?: number;
  logger: Logger;
  id?: string;
  clock?: Clock;
}

/**
 * Lines from stdin (`tail -f x | dio replay -`, `zcat x.gz | …`). Finite: `start()` resolves at
 * end of stream. Each read is delivered at once (batches of at most `batchLines`), so a slow
 * pipe is not held back waiting for a batch to fill up.
 */
export function createStdinSource(opts: StdinSourceOptions): LineSource {
  const stream = opts.stream ?? process.stdin;
  return createStreamLineSource({
    id: opts.id ?? 'stdin',
    kind: 'stdin',
    open: () => stream,
    describe: 'stdin',
    eager: true,
    logger: opts.logger,
    ...(opts.maxLineBytes !== undefined && { maxLineBytes: opts.maxLineBytes }),
    ...(opts.batchLines !== undefined && { batchLines: opts.batchLines }),
    ...(opts.clock !== undefined && { clock: opts.clock }),
  });
}
