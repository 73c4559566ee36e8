import { Backoff, ErrorReporter } from '../../pipeline/acquire/supervisor.js';
import { Waker } from '../../pipeline/acquire/waker.js';
import { errorMessage } from '../../shared/app-error.js';
import type { Logger } from '../../shared/logger.js';
import type { AgentResponse, AgentTransport } from '../transport.js';
import type { DiskSpool, SpoolRecord } from './port.js';

export interface BatchSenderOptions {
  spool: DiskSpool;
  transport: AgentTransport;
  logger: Logger;
  /** Backoff after a failure: initial ×2 up to max, with jitter (default 500 ms .. 60 s). */
  retry?: { initialMs?: number; maxMs?: number };
  /** Wait after 401/403: the agent is not (or no longer) allowed; default 5 min. */
  authRetryMs?: number;
  /** Cap on a server's Retry-After (default 10 min). */
  maxRetryAfterMs?: number;
  /** Per request (default 30 s). */
  requestTimeoutMs?: number;
  /** Poll of an empty spool when no append wakes the sender (default 1 s). */
  idleWaitMs?: number;
  /** For tests: the jitter source. */
  random?: () => number;
  onShipped?: (rec: SpoolRecord, duplicate: boolean) => void;
  onRejected?: (rec: SpoolRecord, status: number) => void;
}

export interface SenderStats {
  batches_shipped: number;
  batches_duplicate: number;
  batches_rejected: number;
  events_shipped: number;
  connected: boolean;
  last_error: string | undefined;
}

type Outcome = { kind: 'ok'; duplicate: boolean } | { kind: 'reject'; status: number; reason: string } | { kind: 'auth'; status: number } | { kind: 'retry'; error: string; retryAfterMs?: number };

/** Statuses that mean "this batch will never be accepted": set it aside, ship the rest. */
const POISON = new Set([400, 413, 415, 422]);

/**
 * Ships the spool head, one request at a time, so batches arrive in spool order. Every
 * failure short of a poison answer is retried with the same body and Idempotency-Key until the
 * server takes it; the server's dedupe makes a retry after a lost answer harmless.
 */
export class BatchSender {
  private readonly waker = new Waker();
  private readonly backoff: Backoff;
  private readonly reporter: ErrorReporter;
  private readonly random: () => number;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private inflight: AbortController | undefined;
  private authLogged = false;
  private readonly s: SenderStats = { batches_shipped: 0, batches_duplicate: 0, batches_rejected: 0, events_shipped: 0, connected: false, last_error: undefined };

  constructor(private readonly o: BatchSenderOptions) {
    this.backoff = new Backoff(o.retry?.initialMs ?? 500, o.retry?.maxMs ?? 60_000);
    this.reporter = new ErrorReporter(o.logger);
    this.random = o.random ?? Math.random;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Something was spooled: look now instead of at the next idle poll. */
  wake(): void {
    this.waker.wake();
  }

  /** Lets the request in flight finish for up to `timeoutMs`, then aborts it. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.waker.halt();
    if (!this.loop) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([this.loop, late]);
    clearTimeout(timer);
    this.inflight?.abort();
    await this.loop;
  }

  stats(): SenderStats {
    return { ...this.s };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const rec = await this.o.spool.peek();
        if (!rec) {
          await this.waker.wait(this.o.idleWaitMs ?? 1000);
          continue;
        }
        await this.handle(rec, await this.send(rec));
      } catch (e) {
        // The spool failed (disk error): nothing is lost, the head stays; try again later.
        this.s.last_error = `spool: ${errorMessage(e)}`;
        this.reporter.report(e, 'spool read or ack failed; retrying');
        await this.waker.wait(this.delay(), false);
      }
    }
  }

  private async handle(rec: SpoolRecord, r: Outcome): Promise<void> {
    switch (r.kind) {
      case 'ok':
        await this.o.spool.ack(rec.seq);
        this.s.batches_shipped++;
        this.s.events_shipped += r.duplicate ? 0 : rec.events;
        if (r.duplicate) this.s.batches_duplicate++;
        this.o.onShipped?.(rec, r.duplicate);
        return this.healthy();
      case 'reject':
        this.o.logger.warn({ batch_id: rec.batch_id, events: rec.events, status: r.status, reason: r.reason }, 'server refused the batch for good; set aside in rejected/');
        await this.o.spool.reject(rec.seq, { status: r.status, reason: r.reason });
        this.s.batches_rejected++;
        this.o.onRejected?.(rec, r.status);
        return this.healthy();
      case 'auth':
        this.s.connected = false;
        this.s.last_error = `server answered ${r.status}: agent not allowed to ship events`;
        if (!this.authLogged) this.o.logger.error({ status: r.status }, 'server refuses this agent (not enrolled, revoked or clock skew?); holding the spool and retrying slowly');
        this.authLogged = true;
        return this.waker.wait(this.jitter(this.o.authRetryMs ?? 300_000), false);
      case 'retry': {
        this.s.last_error = r.error;
        this.reporter.report(new Error(r.error), 'shipping to the server failed; spooling and retrying');
        const after = Math.min(r.retryAfterMs ?? 0, this.o.maxRetryAfterMs ?? 600_000);
        return this.waker.wait(Math.max(this.delay(), after), false);
      }
    }
  }

  private async send(rec: SpoolRecord): Promise<Outcome> {
    const ac = (this.inflight = new AbortController());
    let res: AgentResponse<{ accepted?: number; duplicate?: boolean; error?: { code?: string; message?: string } }>;
    try {
      res = await this.o.transport.request('POST', '/api/v1/events', { rawBody: rec.body, contentEncoding: 'gzip', headers: { 'Idempotency-Key': rec.batch_id }, timeoutMs: this.o.requestTimeoutMs ?? 30_000, signal: ac.signal });
    } catch (e) {
      this.s.connected = false;
      return { kind: 'retry', error: `server unreachable: ${errorMessage(e)}` };
    } finally {
      this.inflight = undefined;
    }
    const { status, body } = res;
    const reason = body?.error ? `${body.error.code ?? ''}: ${body.error.message ?? ''}` : `HTTP ${status}`;
    if (status >= 200 && status < 300) return { kind: 'ok', duplicate: body?.duplicate === true };
    if (POISON.has(status)) return { kind: 'reject', status, reason };
    if (status === 401 || status === 403) return { kind: 'auth', status };
    // 429/503 and the like: the server is there but busy; anything else unknown is retried too.
    this.s.connected = status !== 503 && status < 500;
    return { kind: 'retry', error: `server answered ${reason}`, ...(res.retryAfterS !== undefined && { retryAfterMs: res.retryAfterS * 1000 }) };
  }

  private healthy(): void {
    this.s.connected = true;
    this.authLogged = false;
    this.backoff.reset();
    this.reporter.recovered('shipping to the server again');
  }

  /** Next backoff step with "equal jitter": half fixed, half random, so agents do not sync up. */
  private delay(): number {
    return this.jitter(this.backoff.take());
  }

  private jitter(ms: number): number {
    return Math.round(ms / 2 + (this.random() * ms) / 2);
  }
}
