import { gunzipSync } from 'node:zlib';
import type { DioEvent } from '@dio/protocol';
import { AppError } from '../../../shared/app-error.js';
import type { AgentRequestOptions, AgentResponse, AgentTransport } from '../../transport.js';

export interface SeenRequest {
  key: string;
  batchId: string;
  events: DioEvent[];
  encoding: string | undefined;
}

/** What the next request gets instead of the normal answer. */
export type Scripted = 'unreachable' | { status: number; retryAfterS?: number };

/**
 * An ingest endpoint in memory: dedupes by Idempotency-Key like the server, answers 400 for
 * batches `poison` picks, and plays `script` (failures) before answering normally.
 */
export class FakeTransport implements AgentTransport {
  readonly requests: SeenRequest[] = [];
  readonly stored = new Map<string, DioEvent[]>();
  script: Scripted[] = [];
  poison: ((events: DioEvent[]) => boolean) | undefined;

  /** Every stored event, in arrival order. */
  get events(): DioEvent[] {
    return [...this.stored.values()].flat();
  }

  request<T>(method: 'GET' | 'POST', path: string, o: AgentRequestOptions = {}): Promise<AgentResponse<T>> {
    if (method !== 'POST' || path !== '/api/v1/events' || !o.rawBody) throw new Error(`unexpected request ${method} ${path}`);
    const body = JSON.parse(gunzipSync(o.rawBody).toString('utf8')) as { batch_id: string; events: DioEvent[] };
    const key = o.headers?.['Idempotency-Key'] ?? '';
    this.requests.push({ key, batchId: body.batch_id, events: body.events, encoding: o.contentEncoding });
    const next = this.script.shift();
    if (next === 'unreachable') return Promise.reject(new AppError('agent.unreachable', 'connection refused', { status: 503 }));
    if (next) return Promise.resolve({ status: next.status, body: { error: { code: 'test.scripted', message: `scripted ${next.status}` } } as T, ...(next.retryAfterS !== undefined && { retryAfterS: next.retryAfterS }) });
    if (this.poison?.(body.events)) return Promise.resolve({ status: 400, body: { error: { code: 'request.invalid', message: 'events[0]: invalid' } } as T });
    const duplicate = this.stored.has(key);
    if (!duplicate) this.stored.set(key, body.events);
    return Promise.resolve({ status: 202, body: { accepted: duplicate ? 0 : body.events.length, duplicate } as T });
  }
}
