import { parseDuration, type EnrollmentToken, type EnrollRequest, type EnrollResponse, type NewEnrollmentToken } from '@dio/protocol';
import type { Actor } from '../api/deps.js';
import { newEnrollmentToken, parseEnrollmentToken, sameDigest } from '../auth/credentials.js';
import { LoginLimiter } from '../auth/login-limiter.js';
import type { ServerKeys } from '../auth/server-keys.js';
import { keyFingerprint, publicKeyFromRaw } from '../shared/agent-signature.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Store } from '../storage/port.js';
import type { AgentRecord, EnrollmentTokenRecord } from '../storage/port-agents.js';

export function tokenView(t: EnrollmentTokenRecord): EnrollmentToken {
  return {
    id: t.id,
    created_at: new Date(t.created_at).toISOString(),
    created_by: t.created_by,
    expires_at: new Date(t.expires_at).toISOString(),
    max_uses: t.max_uses,
    uses: t.uses,
    labels: t.labels,
    ...(t.description ? { description: t.description } : {}),
    revoked: t.revoked,
  };
}

const REASONS: Record<string, string> = {
  unknown: 'the enrollment token is not valid',
  expired: 'the enrollment token has expired; ask an admin for a new one (dio agents token create)',
  exhausted: 'the enrollment token has been used up',
  revoked: 'the enrollment token was revoked',
};

/**
 * Enrollment: admins mint expiring, use-limited tokens; an agent presents one with its new
 * Ed25519 public key and from then on signs every request with the private half. The token names
 * the fingerprint of the server's task-signing key, and the agent checks it, so it cannot be
 * talked into pinning an impostor's key.
 */
export function createEnrollment(deps: { store: Store; clock: Clock; keys: ServerKeys; newId: () => string; heartbeatIntervalS: number; telemetryIntervalS: number; enrollsPerMinute?: number }) {
  const { store, clock } = deps;
  const limiter = new LoginLimiter(deps.enrollsPerMinute ?? 30, 60_000);

  return {
    async createToken(input: NewEnrollmentToken, by: Actor): Promise<EnrollmentToken & { token: string }> {
      const now = clock.now();
      const { token, hash } = newEnrollmentToken(deps.keys.taskKeyFingerprint);
      const rec: EnrollmentTokenRecord = { id: deps.newId(), token_hash: hash, created_by: by.actor, created_at: now, expires_at: now + parseDuration(input.expires) * 1000, max_uses: input.uses, uses: 0, labels: input.labels, ...(input.description ? { description: input.description } : {}), revoked: false };
      await store.agents.insertEnrollmentToken(rec);
      await store.appendAudit({ actor: by.actor, action: 'enrollment_token.create', target: `enrollment_token:${rec.id}`, origin: by.origin, after: tokenView(rec) });
      return { ...tokenView(rec), token };
    },

    async listTokens(): Promise<EnrollmentToken[]> {
      return (await store.agents.listEnrollmentTokens()).map(tokenView);
    },

    async revokeToken(id: string, by: Actor): Promise<EnrollmentToken> {
      const before = await store.agents.getEnrollmentToken(id);
      if (!before) throw new AppError('enrollment.token_not_found', `no enrollment token with id ${id}`, { status: 404 });
      const after = (await store.agents.revokeEnrollmentToken(id))!;
      await store.appendAudit({ actor: by.actor, action: 'enrollment_token.revoke', target: `enrollment_token:${id}`, origin: by.origin, before: tokenView(before), after: tokenView(after) });
      return tokenView(after);
    },

    async enroll(req: EnrollRequest, origin: string): Promise<EnrollResponse> {
      const now = clock.now();
      const wait = limiter.hit(origin, now);
      if (wait > 0) throw new AppError('enroll.rate_limited', `too many enrollment attempts from ${origin}; retry in ${wait} s`, { status: 429, details: { retry_after_s: wait } });
      const parsed = parseEnrollmentToken(req.token);
      if (!parsed) throw new AppError('enroll.invalid_token', REASONS.unknown!, { status: 401 });
      if (parsed.fingerprint !== deps.keys.taskKeyFingerprint) {
        throw new AppError('enroll.wrong_server', 'this enrollment token was issued by another DIO server (its key fingerprint does not match this one)', { status: 401 });
      }
      try {
        publicKeyFromRaw(req.public_key);
      } catch {
        throw new AppError('enroll.invalid_key', 'public_key is not a valid Ed25519 key', { status: 400 });
      }
      const response: EnrollResponse = { agent_id: req.id, server_key: deps.keys.taskPublicKey, heartbeat_interval_s: deps.heartbeatIntervalS, telemetry_interval_s: deps.telemetryIntervalS, server_time: new Date(now).toISOString() };
      const existing = await store.agents.getAgent(req.id);
      if (existing) {
        if (existing.state === 'revoked') throw new AppError('agent.revoked', `agent ${req.id} was revoked; an admin must delete it (dio agents delete ${req.id}) before it can enroll again`, { status: 403 });
        // A retry after a lost response: same key, same token → the same answer, no extra use.
        const tok = await store.agents.getEnrollmentToken(existing.token_id);
        if (existing.public_key === req.public_key && tok && sameDigest(tok.token_hash, parsed.hash)) return response;
        throw new AppError('agent.exists', `an agent with id ${req.id} is already enrolled with another key; revoke and delete it first, or enroll with another --id`, { status: 409 });
      }
      const used = await store.agents.consumeEnrollmentToken(parsed.hash, now);
      if (!used.ok) throw new AppError(`enroll.token_${used.reason}`, REASONS[used.reason]!, { status: 401 });
      const rec: AgentRecord = {
        id: req.id,
        hostname: req.host.hostname,
        public_key: req.public_key,
        key_fingerprint: keyFingerprint(req.public_key),
        state: 'active',
        enrolled_at: now,
        last_seen_at: now,
        last_address: origin,
        heartbeat_interval_s: deps.heartbeatIntervalS,
        version: req.version,
        capabilities: req.capabilities,
        labels: { ...used.token.labels, ...req.labels },
        host: req.host,
        load: null,
        silent_since: null,
        token_id: used.token.id,
      };
      await store.agents.insertAgent(rec);
      await store.appendAudit({ actor: `agent:${rec.id}`, action: 'agent.enroll', target: `agent:${rec.id}`, origin, after: { id: rec.id, hostname: rec.hostname, key_fingerprint: rec.key_fingerprint, labels: rec.labels, token: used.token.id, version: rec.version } });
      return response;
    },
  };
}
export type Enrollment = ReturnType<typeof createEnrollment>;
