import { randomBytes, type KeyObject } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { EnrollRequest } from '@dio/protocol';
import { generateEd25519, rawPublicKey, SIG_HEADERS, signRequest } from '../../shared/agent-signature.js';

/** A host description that passes HostInfoSchema. */
export function testHost(hostname = 'web01'): EnrollRequest['host'] {
  return { hostname, os: { name: 'Debian GNU/Linux', version: '12' }, kernel: '6.1.0-test', arch: 'x64', addresses: ['192.0.2.10'] };
}

export interface TestAgent {
  id: string;
  privateKey: KeyObject;
  publicKey: string;
  /** A signed inject; `tamper` lets tests forge each part of the signature. */
  request(method: 'GET' | 'POST', url: string, body?: unknown, tamper?: { ts?: number; nonce?: string; sig?: string; agentId?: string; bodyAfterSigning?: string; key?: KeyObject }): Promise<LightMyRequestResponse>;
}

/** Creates an enrollment token through the API, enrolls a fresh key pair, returns a signing client. */
export async function enrollTestAgent(app: FastifyInstance, opts: { id?: string; labels?: Record<string, string>; token?: string } = {}): Promise<TestAgent & { enroll: LightMyRequestResponse }> {
  const id = opts.id ?? `agent-${randomBytes(3).toString('hex')}`;
  const token = opts.token ?? (await app.inject({ method: 'POST', url: '/api/v1/enrollment-tokens', payload: { uses: 1, expires: '1h' } })).json<{ token: string }>().token;
  const { privateKey, publicKey } = generateEd25519();
  const raw = rawPublicKey(publicKey);
  const enroll = await app.inject({
    method: 'POST',
    url: '/api/v1/agent/enroll',
    payload: { token, id, public_key: raw, version: '0.0.0-test', capabilities: ['telemetry', 'bouncer', 'portscan'], labels: opts.labels ?? {}, host: testHost() },
  });
  return { id, privateKey, publicKey: raw, enroll, request: signedRequester(app, id, privateKey) };
}

export function signedRequester(app: FastifyInstance, id: string, privateKey: KeyObject): TestAgent['request'] {
  return (method, url, body, tamper = {}) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const ts = String(tamper.ts ?? Date.now());
    const nonce = tamper.nonce ?? randomBytes(18).toString('base64url');
    const sig = tamper.sig ?? signRequest(tamper.key ?? privateKey, { method, path: url, ts, nonce, body: payload });
    return app.inject({
      method,
      url,
      headers: { [SIG_HEADERS.agent]: tamper.agentId ?? id, [SIG_HEADERS.ts]: ts, [SIG_HEADERS.nonce]: nonce, [SIG_HEADERS.sig]: sig, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload: tamper.bodyAfterSigning ?? payload } : {}),
    });
  };
}
