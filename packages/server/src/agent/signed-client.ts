import { randomBytes, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { SIG_HEADERS, signRequest } from '../shared/agent-signature.js';
import { AppError } from '../shared/app-error.js';
import type { AgentRequestOptions, AgentResponse, AgentTransport } from './transport.js';

/**
 * The agent's HTTP client: every request is signed with the agent's Ed25519 key over method,
 * path, time, a fresh nonce and the exact body bytes sent (see shared/agent-signature.ts).
 * Connections are outbound only; the agent never listens.
 */
export function createSignedClient(opts: { server: string; agentId: string; privateKey: KeyObject; userAgent: string; now?: () => number }): AgentTransport {
  const base = opts.server.replace(/\/+$/, '');
  const now = opts.now ?? Date.now;
  return {
    async request<T>(method: 'GET' | 'POST', path: string, o: AgentRequestOptions = {}): Promise<AgentResponse<T>> {
      let body: Uint8Array | undefined;
      const headers: Record<string, string> = { 'user-agent': opts.userAgent, ...o.headers };
      if (o.rawBody) {
        body = o.rawBody;
        headers['content-type'] = 'application/json';
        if (o.contentEncoding) headers['content-encoding'] = o.contentEncoding;
      } else if (o.body !== undefined) {
        const json = Buffer.from(JSON.stringify(o.body), 'utf8');
        headers['content-type'] = 'application/json';
        if (o.gzip) {
          body = gzipSync(json);
          headers['content-encoding'] = 'gzip';
        } else body = json;
      }
      const ts = String(now());
      const nonce = randomBytes(18).toString('base64url');
      headers[SIG_HEADERS.agent] = opts.agentId;
      headers[SIG_HEADERS.ts] = ts;
      headers[SIG_HEADERS.nonce] = nonce;
      headers[SIG_HEADERS.sig] = signRequest(opts.privateKey, { method, path, ts, nonce, body });
      const signals = [AbortSignal.timeout(o.timeoutMs ?? 15_000), ...(o.signal ? [o.signal] : [])];
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.any(signals) });
      } catch (e) {
        const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
        throw new AppError('agent.unreachable', `cannot reach the DIO server at ${base}: ${cause}`, { status: 503, cause: e });
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        throw new AppError('agent.unreachable', `the DIO server at ${base} dropped the connection: ${(e as Error).message}`, { status: 503, cause: e });
      }
      let parsed: T | undefined;
      try {
        parsed = text ? (JSON.parse(text) as T) : undefined;
      } catch {
        parsed = undefined;
      }
      const ra = Number(res.headers.get('retry-after'));
      return { status: res.status, body: parsed, ...(Number.isFinite(ra) && ra > 0 ? { retryAfterS: ra } : {}) };
    },
  };
}

/** The server's error code and message from a response body, for logs. */
export function errorOf(r: AgentResponse): string {
  const e = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return e ? `${e.message ?? ''} [${e.code ?? r.status}]` : `HTTP ${r.status}`;
}
