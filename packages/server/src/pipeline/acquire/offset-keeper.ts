import type { FileHandle } from 'node:fs/promises';
import type { Clock } from '../../shared/clock.js';
import { HEAD_BYTES, headHash, headLength } from './file-identity.js';
import type { OffsetStore } from './port.js';
import type { ErrorReporter } from './supervisor.js';

/** A read position in one file: what a restart resumes from. */
export interface Position {
  file_id: string;
  offset: number;
  head_hash: string;
}

/**
 * The committed read position of a file source and its persistence. `committed` only moves
 * once the sink has processed the lines before it; saves are throttled (a crash re-reads at
 * most one interval of lines, a graceful stop saves exactly).
 */
export class OffsetKeeper {
  committed: Position | undefined;
  private saved: Position | undefined;
  private loaded = false;
  private lastSaveAt = 0;
  /** Failed saves, for the source's status. */
  failures = 0;

  constructor(
    private readonly source: string,
    private readonly store: OffsetStore,
    private readonly clock: Clock,
    private readonly everyMs: number,
    private readonly reporter: ErrorReporter,
  ) {}

  /** Reads the stored position once (throws while the store is unavailable, so the caller retries). */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.committed = this.saved = validPosition(await this.store.getOffset(this.source));
    this.loaded = true;
  }

  /**
   * Persists `committed` if it changed and `force` or the interval passed. `fh` is the open file
   * the position belongs to, used to widen a head hash taken while the file was still short.
   */
  async save(force: boolean, fh: FileHandle | undefined): Promise<void> {
    const c = this.committed;
    const now = this.clock.now();
    if (!c || (!force && now - this.lastSaveAt < this.everyMs)) return;
    if (fh && headLength(c.head_hash) < Math.min(HEAD_BYTES, c.offset)) c.head_hash = await headHash(fh, c.offset);
    const s = this.saved;
    if (s && s.file_id === c.file_id && s.offset === c.offset && s.head_hash === c.head_hash) return;
    try {
      await this.store.saveOffset({ source: this.source, ...c, updated_at: new Date(now).toISOString() });
      this.saved = { ...c };
      this.lastSaveAt = now;
    } catch (e) {
      this.failures++;
      this.reporter.report(e, 'saving the read offset failed; will retry');
    }
  }
}

function validPosition(o: Position | undefined): Position | undefined {
  if (!o || typeof o.file_id !== 'string' || !Number.isSafeInteger(o.offset) || o.offset < 0 || headLength(o.head_hash) < 0) return undefined;
  return { file_id: o.file_id, offset: o.offset, head_hash: o.head_hash };
}
