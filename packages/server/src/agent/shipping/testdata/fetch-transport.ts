import { AppError } from '../../../shared/app-error.js';
import type { AgentRequestOptions, AgentResponse, AgentTransport } from '../../transport.js';

/**
 * AgentTransport over plain fetch with a bearer key, for tests against a real Fastify server
 * (production signs requests: signed-client.ts). Same contract: throws `agent.unreachable` when
 * no HTTP answer came back, otherwise returns the status.
 */
export function createFetchTransport(base: string, opts: { headers?: () => Record<string, string> } = {}): AgentTransport {
  return {
    async request<T>(method: 'GET' | 'POST', path: string, o: AgentRequestOptions = {}): Promise<AgentResponse<T>> {
      const headers: Record<string, string> = { ...opts.headers?.(), ...o.headers };
      let body: Uint8Array | undefined;
      if (o.rawBody) {
        body = o.rawBody;
        headers['content-type'] = 'application/json';
        if (o.contentEncoding) headers['content-encoding'] = o.contentEncoding;
      } else if (o.body !== undefined) {
        body = Buffer.from(JSON.stringify(o.body));
        headers['content-type'] = 'application/json';
      }
      const signal = AbortSignal.any([AbortSignal.timeout(o.timeoutMs ?? 15_000), ...(o.signal ? [o.signal] : [])]);
      let status: number;
      let text: string;
      let retryAfter: number;
      try {
        const res = await fetch(`${base}${path}`, { method, headers, body, signal });
        status = res.status;
        retryAfter = Number(res.headers.get('retry-after'));
        text = await res.text();
      } catch (e) {
        throw new AppError('agent.unreachable', `cannot reach ${base}: ${(e as Error).message}`, { status: 503, cause: e });
      }
      let parsed: T | undefined;
      try {
        parsed = text ? (JSON.parse(text) as T) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status, body: parsed, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterS: retryAfter } : {}) };
    },
  };
}
