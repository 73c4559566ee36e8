import { randomBytes, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
  const url = new URL(base);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('agent.bad_server', `the server URL must be http:// or https://, got ${base}`, { status: 400 });
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
      const res = await send(url, method, path, headers, body, o.timeoutMs ?? 15_000, o.signal);
      let parsed: T | undefined;
      try {
        parsed = res.text ? (JSON.parse(res.text) as T) : undefined;
      } catch {
        parsed = undefined;
      }
      const ra = Number(res.retryAfter);
      return { status: res.status, body: parsed, ...(Number.isFinite(ra) && ra > 0 ? { retryAfterS: ra } : {}) };
    },
  };
}

/** Bodies larger than this from the server are cut off (a decision reset of ~1M bans is ~400 MB; stay well under). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
// node:http rather than fetch: fetch loads undici, whose WebAssembly HTTP parser alone costs the agent
// ~15 MB resident and a ~30 MB start-up peak; node:http does keep-alive just as well.
const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 4 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 4 }) };

/** One HTTP exchange with the server over the shared keep-alive pool; network failures become `agent.unreachable`. */
export function send(url: URL, method: string, path: string, headers: Record<string, string>, body: Uint8Array | undefined, timeoutMs: number, signal?: AbortSignal): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  const base = `${url.protocol}//${url.host}`;
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => reject(new AppError('agent.unreachable', `cannot reach the DIO server at ${base}: ${why}`, { status: 503, cause }));
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      { host: url.hostname, port: url.port || undefined, path: `${url.pathname.replace(/\/+$/, '')}${path}`, method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, agent: agents[url.protocol as 'http:' | 'https:'], signal, timeout: timeoutMs },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            fail(`the answer exceeds ${MAX_RESPONSE_BYTES} bytes`);
          } else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }));
        res.on('error', (e) => fail(`the connection dropped: ${e.message}`, e));
        res.on('close', () => {
          if (!res.complete) fail('the connection closed before the answer was complete');
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => fail(e.message, e));
    req.end(body);
  });
}

/** The server's error code and message from a response body, for logs. */
export function errorOf(r: AgentResponse): string {
  const e = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return e ? `${e.message ?? ''} [${e.code ?? r.status}]` : `HTTP ${r.status}`;
}
