import type { KeyObject } from 'node:crypto';
import { AgentIdSchema } from '@dio/protocol';
import type { AgentVerifier } from '../api/auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { NONCE_RE, publicKeyFromRaw, verifyRequestSignature } from '../shared/agent-signature.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Store } from '../storage/port.js';
import type { AgentRecord } from '../storage/port-agents.js';

/**
 * A looked-up agent is trusted this long. Revocations and disables made through this process apply
 * at once (the registry invalidates the entry); the TTL bounds how long one made by another server
 * process on the same database takes. Longer than a heartbeat interval, so an agent's requests
 * rarely cost a lookup; an unknown id is re-checked sooner, so a fresh enrollment is seen at once.
 */
const CACHE_MS = 15_000;
const UNKNOWN_CACHE_MS = 2000;

/**
 * Verifies signed agent requests (see shared/agent-signature.ts): known agent, not revoked or
 * disabled, timestamp within the skew window, valid Ed25519 signature over method, path, time,
 * nonce and body, and a nonce never seen before (kept in the store for twice the window, so a
 * replay is caught across restarts and across servers).
 */
export function createAgentVerifier(deps: { store: Store; clock: Clock; maxSkewS: number }): AgentVerifier & { invalidate(id?: string): void } {
  const cache = new Map<string, { rec: AgentRecord | undefined; key: KeyObject | undefined; at: number }>();

  async function lookup(id: string): Promise<{ rec: AgentRecord | undefined; key: KeyObject | undefined }> {
    const now = deps.clock.now();
    const hit = cache.get(id);
    if (hit && now - hit.at < (hit.rec ? CACHE_MS : UNKNOWN_CACHE_MS)) return hit;
    const rec = await deps.store.agents.getAgent(id);
    let key: KeyObject | undefined;
    try {
      key = rec ? publicKeyFromRaw(rec.public_key) : undefined;
    } catch {
      key = undefined;
    }
    if (cache.size > 50_000) cache.clear();
    const entry = { rec, key, at: now };
    cache.set(id, entry);
    return entry;
  }

  return {
    invalidate(id) {
      if (id === undefined) cache.clear();
      else cache.delete(id);
    },

    async verify(r): Promise<Principal> {
      if (!AgentIdSchema.safeParse(r.agentId).success) throw new AppError('agent.unknown', 'malformed agent id', { status: 401 });
      if (!NONCE_RE.test(r.nonce)) throw new AppError('agent.bad_nonce', 'the request nonce must be 16-64 base64url characters', { status: 401 });
      if (!/^\d{1,16}$/.test(r.ts)) throw new AppError('agent.bad_timestamp', 'the request timestamp must be epoch milliseconds', { status: 401 });
      const now = deps.clock.now();
      const skewS = Math.round((Number(r.ts) - now) / 1000);
      if (Math.abs(skewS) > deps.maxSkewS) {
        throw new AppError('agent.clock_skew', `the agent's clock is ${Math.abs(skewS)} s ${skewS > 0 ? 'ahead of' : 'behind'} the server's (tolerance ${deps.maxSkewS} s); fix its time (NTP)`, { status: 401, details: { server_time: new Date(now).toISOString() } });
      }
      const { rec, key } = await lookup(r.agentId);
      if (!rec || !key) throw new AppError('agent.unknown', `agent ${r.agentId} is not enrolled`, { status: 401 });
      if (rec.state === 'revoked') throw new AppError('agent.revoked', `agent ${r.agentId} has been revoked`, { status: 401 });
      if (!verifyRequestSignature(key, { method: r.method, path: r.path, ts: r.ts, nonce: r.nonce, body: r.body }, r.sig)) {
        throw new AppError('agent.bad_signature', `the request signature does not verify with agent ${r.agentId}'s key`, { status: 401 });
      }
      if (!(await deps.store.agents.useNonce(rec.id, r.nonce, now + 2 * deps.maxSkewS * 1000))) {
        throw new AppError('agent.replayed', 'this request was seen before (replayed nonce)', { status: 401 });
      }
      if (rec.state === 'disabled') throw new AppError('agent.disabled', `agent ${r.agentId} is disabled by an admin`, { status: 403 });
      return { kind: 'agent', id: rec.id, name: rec.id, role: 'agent' };
    },
  };
}
