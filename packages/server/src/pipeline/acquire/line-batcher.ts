import { AppError } from '../../shared/app-error.js';
import type { LineOut } from './line-splitter.js';

export function newLineOut(): LineOut {
  return { lines: [], ends: [] };
}

/**
 * Hands `out`'s lines to `deliver` in batches of exactly `batchLines` while that many are
 * available, each with the offset after its last line; returns what is left (fewer lines).
 */
export async function deliverFullBatches(
  out: LineOut,
  batchLines: number,
  deliver: (lines: string[], endOffset: number) => Promise<void>,
): Promise<LineOut> {
  const n = out.lines.length;
  if (n < batchLines) return out;
  let i = 0;
  for (; i + batchLines <= n; i += batchLines) {
    const lines = i === 0 && n === batchLines ? out.lines : out.lines.slice(i, i + batchLines);
    await deliver(lines, out.ends[i + batchLines - 1]!);
  }
  return i === n ? newLineOut() : { lines: out.lines.slice(i), ends: out.ends.slice(i) };
}

/** Validates a batch size option (bounded: a batch is held in memory until processed). */
export function checkBatchLines(n: number | undefined, dflt: number): number {
  const v = n ?? dflt;
  if (!Number.isInteger(v) || v < 1 || v > 1_000_000) throw new AppError('acquire.invalid_config', `batchLines must be an integer in 1..1000000, got ${v}`, { status: 400 });
  return v;
}
