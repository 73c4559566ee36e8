import { constants as fsConstants, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { AppError, errorMessage } from '../../shared/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { watchDirOf } from './dir-watcher.js';
import { fileIdOf, headHash, headMatches, lineStartBefore } from './file-identity.js';
import { LineSplitter, type LineOut } from './line-splitter.js';
import { deliverFullBatches, newLineOut } from './line-batcher.js';
import { OffsetKeeper } from './offset-keeper.js';
import { resolveFileTailOptions, type FileTailSourceOptions } from './file-tail-options.js';
import type { LineSink, LineSource, SourceState, SourceStatus } from './port.js';
import { Backoff, ErrorReporter, errnoCode } from './supervisor.js';
import { Waker } from './waker.js';

export type { FileTailSourceOptions };

const MIN_WAKE_MS = 2;

/** Tail of one log file that survives rotation, truncation, deletion and restarts (see README). */
export function createFileTailSource(opts: FileTailSourceOptions): LineSource {
  return new FileTailSource(opts);
}

class FileTailSource implements LineSource {
  readonly id: string;
  private readonly o: ReturnType<typeof resolveFileTailOptions>;
  private readonly path: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly splitter: LineSplitter;
  private readonly backoff: Backoff;
  private readonly reporter: ErrorReporter;
  private readonly offsets: OffsetKeeper;
  private readonly waker = new Waker();
  private readonly buf = Buffer.allocUnsafeSlow(256 * 1024);
  private fh: FileHandle | undefined;
  private fileId = '';
  private readPos = 0;
  /** Set once the path failed to open: whatever appears there later is read from its start. */
  private fromStart = false;
  private watcher: FSWatcher | undefined;
  private state: SourceState = 'starting';
  private error: string | undefined;
  private retryInMs: number | undefined;
  private linesRead = 0;
  private bytesRead = 0;
  private readonly errors: Record<string, number> = {};
  private lastReadAt: number | undefined;
  private lastDataAt = 0;
  private lastCheckAt = 0;
  private lastHeadCheckAt = 0;
  private lastDrainAt = -Infinity;
  private missingSince: number | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(opts: FileTailSourceOptions) {
    const o = (this.o = resolveFileTailOptions(opts));
    ({ id: this.id, path: this.path, clock: this.clock, logger: this.logger } = o);
    this.splitter = new LineSplitter({ maxLineBytes: o.maxLineBytes });
    this.backoff = new Backoff(o.retryInitialMs, o.retryMaxMs);
    this.reporter = new ErrorReporter(this.logger);
    this.offsets = new OffsetKeeper(this.id, o.offsets, this.clock, o.saveEveryMs, this.reporter);
  }

  /** Resolves after the first attempt to open the file (success or retrying); reads until stop. */
  start(sink: LineSink): Promise<void> {
    if (this.loop) return Promise.reject(new AppError('acquire.already_started', `${this.id} already started`, { status: 409 }));
    return new Promise<void>((ready) => {
      this.loop = this.run(sink, ready);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.halt();
    if (this.loop) await this.loop;
    this.state = 'stopped';
  }

  status(): SourceStatus {
    const dropped = { ...this.splitter.counts, ...this.errors, ...(this.offsets.failures > 0 && { 'error:save_failed': this.offsets.failures }) };
    const { id, state, linesRead, bytesRead, error, retryInMs, lastReadAt } = this;
    return { id, kind: 'file', state, linesRead, bytesRead, dropped, ...(error !== undefined && { error }), ...(retryInMs !== undefined && { retryInMs }), ...(lastReadAt !== undefined && { lastReadAt }) };
  }

  private async run(sink: LineSink, ready: () => void): Promise<void> {
    while (!this.stopping) {
      try {
        if (!this.fh) {
          await this.openFile();
          this.healthy();
        }
        ready();
        // Under a write storm (one event per line) read at most every MIN_WAKE_MS: a few ms of
        // latency buys far fewer, fuller batches. A quiet file is read at once.
        const since = performance.now() - this.lastDrainAt;
        if (since < MIN_WAKE_MS) await this.waker.wait(MIN_WAKE_MS - since, false);
        this.lastDrainAt = performance.now();
        // Events until now are covered by the read below; later ones wake the next round.
        this.waker.clear();
        const n = await this.drain(sink);
        const now = this.clock.now();
        // Rotation and truncation show up as a wake-up without new data; re-check on a timer too.
        if (n === 0 || now - this.lastCheckAt >= this.o.pollMs) {
          this.lastCheckAt = now;
          if (await this.checkFile(sink, now)) continue;
        }
        this.healthy();
        await this.save(false);
        if (!this.stopping) await this.waker.wait(this.o.pollMs);
      } catch (e) {
        ready();
        if (this.stopping) break;
        await this.failed(e);
      }
    }
    await this.save(true);
    await this.closeFile();
    this.watcher?.close();
    this.watcher = undefined;
    this.state = 'stopped';
  }

  private async openFile(): Promise<void> {
    this.ensureWatcher();
    await this.offsets.load();
    const st = await stat(this.path, { bigint: true });
    if (!st.isFile()) throw new AppError('acquire.not_a_file', `${this.path} is not a regular file`, { status: 400 });
    // O_NONBLOCK: if the path became a FIFO since the stat, open must not hang a pool thread.
    const fh = await open(this.path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const fst = await fh.stat({ bigint: true });
      if (!fst.isFile()) throw new AppError('acquire.not_a_file', `${this.path} is not a regular file`, { status: 400 });
      const id = fileIdOf(fst);
      const size = Number(fst.size);
      const start = await this.startOffset(fh, id, size);
      this.fh = fh;
      this.fileId = id;
      this.readPos = start;
      this.splitter.reset(start);
      this.offsets.committed = { file_id: id, offset: start, head_hash: await headHash(fh, size) };
      const now = this.clock.now();
      this.lastDataAt = this.lastCheckAt = this.lastHeadCheckAt = now;
      this.missingSince = undefined;
      this.logger.info({ file_id: id, offset: start, size }, 'following file');
      await this.save(true);
    } catch (e) {
      if (this.fh !== fh) await fh.close().catch(() => undefined);
      throw e;
    }
  }

  private async startOffset(fh: FileHandle, id: string, size: number): Promise<number> {
    const c = this.offsets.committed;
    if (c) {
      if (c.file_id === id && c.offset <= size && (await headMatches(fh, c.head_hash, size))) return c.offset;
      return 0; // rotated in, replaced or truncated while we were not reading it
    }
    if (this.fromStart || this.o.startAt === 'beginning') return 0;
    return lineStartBefore(fh, size);
  }

  /** Reads everything available and hands it over; returns the bytes read. */
  private async drain(sink: LineSink): Promise<number> {
    const fh = this.fh!;
    let out = newLineOut();
    let total = 0;
    while (!this.stopping) {
      const { bytesRead: n } = await fh.read(this.buf, 0, this.buf.length, this.readPos);
      if (n === 0) break;
      this.readPos += n;
      total += n;
      this.bytesRead += n;
      this.lastDataAt = this.lastReadAt = this.clock.now();
      this.splitter.push(this.buf.subarray(0, n), out);
      out = await deliverFullBatches(out, this.o.batchLines, (lines, end) => this.deliver(sink, lines, end));
      if (n < this.buf.length) break;
    }
    await this.deliverRest(sink, out);
    return total;
  }

  private async deliverRest(sink: LineSink, out: LineOut): Promise<void> {
    if (out.lines.length > 0 || this.splitter.offset !== this.offsets.committed?.offset) await this.deliver(sink, out.lines, this.splitter.offset);
  }

  private async deliver(sink: LineSink, lines: string[], endOffset: number): Promise<void> {
    // Lines not handed over before stop are not committed either: the next run re-reads them.
    if (this.stopping) return;
    if (lines.length > 0) {
      await sink({ source: this.id, lines, endOffset, fileId: this.fileId, receivedAt: this.lastReadAt ?? this.clock.now() });
      this.linesRead += lines.length;
    }
    if (this.offsets.committed) this.offsets.committed.offset = endOffset;
  }

  /** Truncation, rename or deletion of the followed file; true when now following a new one. */
  private async checkFile(sink: LineSink, now: number): Promise<boolean> {
    const fh = this.fh!;
    const size = Number((await fh.stat({ bigint: true })).size);
    // A file truncated and refilled past our offset before we looked starts with other bytes.
    const headDue = now - this.lastHeadCheckAt >= this.o.pollMs;
    if (headDue) this.lastHeadCheckAt = now;
    if (size < this.readPos || (headDue && !(await headMatches(fh, this.offsets.committed!.head_hash, size)))) {
      this.logger.info({ size, offset: this.readPos }, 'file truncated in place (copytruncate?): reading from its start');
      await this.flushPending(sink);
      this.readPos = 0;
      this.splitter.reset(0);
      this.offsets.committed = { file_id: this.fileId, offset: 0, head_hash: await headHash(fh, size) };
      await this.save(true);
      return true;
    }
    let st;
    try {
      st = await stat(this.path, { bigint: true });
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    if (st && fileIdOf(st) === this.fileId) {
      this.missingSince = undefined;
      return false;
    }
    this.missingSince ??= now;
    const quiet = now - Math.max(this.lastDataAt, st ? 0 : this.missingSince) >= this.o.graceMs;
    // After a rename the writer keeps appending to the old file until it reopens the path
    // (logrotate `create` + postrotate HUP): follow the old descriptor until the new file has
    // data, or until it has gone quiet.
    if (!quiet && (!st || st.size === 0n)) return false;
    await this.drain(sink);
    await this.flushPending(sink);
    await this.save(true);
    await this.closeFile();
    // Whatever is at the path from now on is another file: read it from its start.
    this.fromStart = true;
    this.offsets.committed = undefined;
    if (!st) throw new AppError('acquire.file_missing', `${this.path}: file was removed or renamed and has not been recreated`, { status: 404 });
    this.logger.info('file rotated: following the new file from its start');
    await this.openFile();
    return true;
  }

  private async flushPending(sink: LineSink): Promise<void> {
    const out = newLineOut();
    this.splitter.flush(out);
    await this.deliverRest(sink, out);
  }

  private save(force: boolean): Promise<void> {
    return this.offsets.save(force, this.offsets.committed?.file_id === this.fileId ? this.fh : undefined);
  }

  private async failed(e: unknown): Promise<void> {
    const k = `error:${e instanceof AppError ? e.code.replace(/^acquire\./, '') : (errnoCode(e) ?? 'error').toLowerCase()}`;
    this.errors[k] = (this.errors[k] ?? 0) + 1;
    this.reporter.report(e, `${this.path}: cannot follow the file, retrying`);
    await this.closeFile();
    this.fromStart = true;
    const delay = this.backoff.take();
    this.state = 'retrying';
    this.error = errorMessage(e);
    this.retryInMs = delay;
    // While the file is missing a create event ends the wait; other errors wait the full delay.
    const missing = errnoCode(e) === 'ENOENT' || (e instanceof AppError && e.code === 'acquire.file_missing');
    await this.waker.wait(delay, missing);
  }

  private healthy(): void {
    if (this.state === 'running') return;
    this.state = 'running';
    this.error = this.retryInMs = undefined;
    this.backoff.reset();
    this.reporter.recovered(`${this.path}: following the file again`);
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }

  private ensureWatcher(): void {
    this.watcher ??= watchDirOf(this.path, () => this.waker.wake(), () => (this.watcher = undefined));
  }
}
