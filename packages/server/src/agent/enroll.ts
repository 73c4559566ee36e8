import { EnrollResponseSchema, type EnrollRequest } from '@dio/protocol';
import { parseEnrollmentToken } from '../auth/credentials.js';
import { keyFingerprint } from '../shared/agent-signature.js';
import { AppError } from '../shared/app-error.js';
import { readEnrollment, writeEnrollment, type EnrollmentState } from './identity.js';
import { send } from './signed-client.js';

/**
 * Enrolls this agent once: sends the token and the public key, checks that the key the server
 * answers with is the one the token names (fingerprint), and pins it in the state directory.
 * Later starts reuse the pinned state; a token is only needed again after `dio agents delete`.
 */
export async function enrollOnce(o: { server: string; token?: string; stateDir: string; request: Omit<EnrollRequest, 'token'> }): Promise<EnrollmentState> {
  const server = o.server.replace(/\/+$/, '');
  const existing = readEnrollment(o.stateDir);
  if (existing) {
    if (existing.server !== server) {
      throw new AppError('agent.enrolled_elsewhere', `this state directory (${o.stateDir}) is enrolled with ${existing.server}, not ${server}; use another --state-dir, or remove ${o.stateDir}/enrollment.json to move the agent`, { status: 400 });
    }
    if (existing.agent_id !== o.request.id) {
      throw new AppError('agent.enrolled_elsewhere', `this state directory is enrolled as agent ${existing.agent_id}, not ${o.request.id}`, { status: 400 });
    }
    return existing;
  }
  if (!o.token) throw new AppError('agent.not_enrolled', `this agent is not enrolled yet: pass --token (create one on the server with \`dio agents token create\`)`, { status: 400 });
  const parsed = parseEnrollmentToken(o.token.trim());
  if (!parsed) throw new AppError('agent.bad_token', 'that is not a DIO enrollment token (expected dio_et_….<fingerprint>)', { status: 400 });
  const res = await send(new URL(server), 'POST', '/api/v1/agent/enroll', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ ...o.request, token: o.token.trim() })), 30_000);
  let body: { error?: { code: string; message: string } } | undefined;
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    body = undefined;
  }
  if (res.status < 200 || res.status > 299) throw new AppError(body?.error?.code ?? 'agent.enroll_failed', `enrollment refused: ${body?.error?.message ?? `HTTP ${res.status}`}`, { status: res.status });
  const ok = EnrollResponseSchema.safeParse(body);
  if (!ok.success) throw new AppError('agent.enroll_failed', 'the server sent an invalid enrollment answer', { status: 502 });
  if (keyFingerprint(ok.data.server_key) !== parsed.fingerprint) {
    throw new AppError('agent.server_key_mismatch', `the server's signing key (${keyFingerprint(ok.data.server_key)}) is not the one the token names (${parsed.fingerprint}): refusing to trust it`, { status: 400 });
  }
  const state: EnrollmentState = { agent_id: ok.data.agent_id, server, server_key: ok.data.server_key, enrolled_at: new Date().toISOString() };
  writeEnrollment(o.stateDir, state);
  return state;
}
