import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError, errorMessage } from '../../shared/app-error.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { LineSplitter } from './line-splitter.js';
import { checkBatchLines, deliverFullBatches, newLineOut } from './line-batcher.js';
import type { LineSink, LineSource, SourceState, SourceStatus } from './port.js';
import { errnoCode } from './supervisor.js';

/**
 * zlib output chunk: the 16 KiB default makes gunzip ~4× slower; 1 MiB chunks pile up as external
 * garbage (~60 MB) and promote their lines. 128 KiB: 1M-line .gz replay peaks at ~138 MB RSS vs 199 MB.
 */
const GUNZIP_CHUNK = 128 * 1024;

export interface StreamLineSourceOptions {
  id: string;
  kind: 'replay' | 'stdin';
  /** Opens the raw byte stream; called once by `start`. */
  open: () => Readable | AsyncIterable<Buffer>;
  /**
   * The opened stream hands out one buffer it overwrites on the next read (see readFileChunks).
   * Safe because the splitter copies partial lines; only the gzip path, which reads ahead, copies.
   */
  reusesChunks?: boolean;
  /** What the stream is, for error messages ("/var/log/auth.log.gz", "stdin"). */
  describe: string;
  maxLineBytes?: number;
  batchLines?: number;
  /** Deliver what each read produced at once instead of filling batches (live pipes). */
  eager?: boolean;
  logger: Logger;
  clock?: Clock;
}

/**
 * A finite source (replay of a file, stdin): reads the stream to its end, plain or gzip
 * (detected by the magic bytes 1f 8b, never by name), and delivers lines in batches of at most
 * `batchLines`, each awaited. `status().bytesRead` counts raw input bytes (compressed for gzip),
 * so progress = bytesRead / file size; batch offsets are positions in the decompressed text.
 */
export function createStreamLineSource(opts: StreamLineSourceOptions): LineSource {
  const batchLines = checkBatchLines(opts.batchLines, 4096);
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger.child({ component: 'acquire', source: opts.id });
  const splitter = new LineSplitter({ maxLineBytes: opts.maxLineBytes });
  let state: SourceState = 'starting';
  let error: string | undefined;
  let linesRead = 0;
  let bytesRead = 0;
  let textBytes = 0;
  let lastReadAt: number | undefined;
  let raw: Readable | AsyncIterable<Buffer> | undefined;
  let stopping = false;
  let started = false;
  let done: Promise<void> = Promise.resolve();

  async function* decompressed(input: Readable | AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const it = (input[Symbol.asyncIterator] as () => AsyncIterator<Buffer>).call(input);
    let head: Buffer = Buffer.alloc(0);
    // A pipe may hand over a single byte first; gather two before deciding.
    while (head.length < 2) {
      const r = await it.next();
      if (r.done) break;
      bytesRead += r.value.length;
      head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
    }
    const copy = opts.reusesChunks === true;
    if (head.length === 0) return;
    const rest = async function* (ownCopies: boolean): AsyncGenerator<Buffer> {
      yield ownCopies ? Buffer.from(head) : head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        bytesRead += r.value.length;
        yield ownCopies ? Buffer.from(r.value) : r.value;
      }
    };
    if (head[0] !== 0x1f || head[1] !== 0x8b) {
      yield* rest(false);
      return;
    }
    logger.debug('gzip input');
    const gunzip = pipeline(Readable.from(rest(copy), { objectMode: false }), createGunzip({ chunkSize: GUNZIP_CHUNK }), () => {
      // Errors surface through the iteration below.
    });
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  }

  async function run(sink: LineSink): Promise<void> {
    let out = newLineOut();
    const deliver = async (lines: string[], endOffset: number): Promise<void> => {
      await sink({ source: opts.id, lines, endOffset, receivedAt: clock.now() });
      linesRead += lines.length;
    };
    let failure: unknown;
    try {
      raw = opts.open();
      for await (const chunk of decompressed(raw)) {
        if (stopping) break;
        textBytes += chunk.length;
        lastReadAt = clock.now();
        splitter.push(chunk, out);
        out = await deliverFullBatches(out, batchLines, deliver);
        if (opts.eager && out.lines.length > 0) {
          const lines = out.lines;
          out = newLineOut();
          await deliver(lines, splitter.offset);
        }
      }
    } catch (e) {
      if (!stopping) failure = e;
    }
    if (failure === undefined && !stopping) splitter.flush(out);
    // Complete lines read before a failure are delivered; a cut-off last line is not.
    if (out.lines.length > 0 && !stopping) await deliver(out.lines, splitter.offset);
    if (raw instanceof Readable) raw.destroy();
    else await (raw as AsyncGenerator<Buffer> | undefined)?.return?.(undefined);
    if (failure === undefined) {
      state = stopping ? 'stopped' : 'done';
      return;
    }
    state = 'failed';
    const err = classify(failure);
    error = err.message;
    logger.warn({ code: err.code }, err.message);
    throw err;
  }

  function classify(e: unknown): AppError {
    const code = errnoCode(e) ?? '';
    const msg = errorMessage(e);
    if (code.startsWith('Z_') || /unexpected end of file|incorrect header|invalid (block|distance|stored|code)/i.test(msg)) {
      return new AppError('acquire.truncated_gzip', `${opts.describe}: gzip stream truncated after ${textBytes} bytes (${msg})`, { status: 422, cause: e });
    }
    if (code === 'ENOENT') return new AppError('acquire.not_found', `${opts.describe}: no such file`, { status: 404, cause: e });
    if (code === 'EACCES' || code === 'EPERM') return new AppError('acquire.permission_denied', `${opts.describe}: permission denied`, { status: 403, cause: e });
    if (code === 'EISDIR') return new AppError('acquire.not_a_file', `${opts.describe}: is a directory`, { status: 400, cause: e });
    return new AppError('acquire.read_failed', `${opts.describe}: read failed: ${msg}`, { cause: e });
  }

  return {
    id: opts.id,
    start(sink: LineSink): Promise<void> {
      if (started) return Promise.reject(new AppError('acquire.already_started', `${opts.id} already started`, { status: 409 }));
      started = true;
      state = 'running';
      done = run(sink);
      return done;
    },
    async stop(): Promise<void> {
      if (!started) {
        state = 'stopped';
        return;
      }
      stopping = true;
      // A file generator ends at the loop's next `stopping` check; a stream must be torn down.
      if (raw instanceof Readable) raw.destroy();
      await done.catch(() => undefined);
    },
    status(): SourceStatus {
      const s: SourceStatus = { id: opts.id, kind: opts.kind, state, linesRead, bytesRead, dropped: { ...splitter.counts } };
      if (error !== undefined) s.error = error;
      if (lastReadAt !== undefined) s.lastReadAt = lastReadAt;
      return s;
    },
  };
}
