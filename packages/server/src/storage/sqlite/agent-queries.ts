import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AgentsTable, DbSchema, EnrollmentTokensTable } from '../migrations/schema.js';
import type { AgentPatch, AgentRecord, ConsumeTokenResult, EnrollmentTokenRecord } from '../port-agents.js';
import { cleanText, requireEpochMs, searchable } from './query-helpers.js';
import { AgentPatchSchema, AgentRecordSchema, check, definedOnly, EnrollmentTokenRecordSchema, orConflict, storedTime, toBool, toNumOrNull } from './record-checks.js';

/** Enrollment tokens, agents and request nonces (Kysely only, dialect-neutral). */

function tokenFromRow(r: Selectable<EnrollmentTokensTable>): EnrollmentTokenRecord {
  const t: EnrollmentTokenRecord = {
    id: r.id,
    token_hash: r.token_hash,
    created_by: r.created_by,
    created_at: Number(r.created_at),
    expires_at: Number(r.expires_at),
    max_uses: Number(r.max_uses),
    uses: Number(r.uses),
    labels: JSON.parse(r.labels) as Record<string, string>,
    revoked: toBool(r.revoked),
  };
  if (r.description !== null) t.description = r.description;
  return t;
}

export async function insertEnrollmentToken(db: Kysely<DbSchema>, t: EnrollmentTokenRecord): Promise<void> {
  check(EnrollmentTokenRecordSchema, t, 'enrollment token');
  const row = { ...t, labels: JSON.stringify(t.labels), description: t.description ?? null, revoked: t.revoked ? 1 : 0 };
  await orConflict(db.insertInto('enrollment_tokens').values(row).execute(), `an enrollment token with id ${JSON.stringify(t.id)} or this hash`);
}

export async function getEnrollmentToken(db: Kysely<DbSchema>, id: string): Promise<EnrollmentTokenRecord | undefined> {
  const r = await db.selectFrom('enrollment_tokens').selectAll().where('id', '=', searchable(id)).executeTakeFirst();
  return r === undefined ? undefined : tokenFromRow(r);
}

export async function listEnrollmentTokens(db: Kysely<DbSchema>): Promise<EnrollmentTokenRecord[]> {
  const rows = await db.selectFrom('enrollment_tokens').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(tokenFromRow);
}

export async function revokeEnrollmentToken(db: Kysely<DbSchema>, id: string): Promise<EnrollmentTokenRecord | undefined> {
  const r = await db.updateTable('enrollment_tokens').set({ revoked: 1 }).where('id', '=', searchable(id)).returningAll().executeTakeFirst();
  return r === undefined ? undefined : tokenFromRow(r);
}

/**
 * One conditional increment does the check and the count, so two agents racing for the last
 * use cannot both get it; only when it matches nothing is the row read to say why.
 */
export async function consumeEnrollmentToken(db: Kysely<DbSchema>, tokenHash: string, now: number): Promise<ConsumeTokenResult> {
  const hash = cleanText(tokenHash, 'enrollment token hash', 128);
  requireEpochMs(now, 'now');
  return db.transaction().execute(async (trx): Promise<ConsumeTokenResult> => {
    const used = await trx
      .updateTable('enrollment_tokens')
      .set((eb) => ({ uses: eb('uses', '+', 1) }))
      .where('token_hash', '=', hash)
      .where('revoked', '=', 0)
      .where('expires_at', '>', now)
      .where((eb) => eb('uses', '<', eb.ref('max_uses')))
      .returningAll()
      .executeTakeFirst();
    if (used !== undefined) return { ok: true, token: tokenFromRow(used) };
    const r = await trx.selectFrom('enrollment_tokens').select(['revoked', 'expires_at']).where('token_hash', '=', hash).executeTakeFirst();
    if (r === undefined) return { ok: false, reason: 'unknown' };
    if (toBool(r.revoked)) return { ok: false, reason: 'revoked' };
    if (Number(r.expires_at) <= now) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'exhausted' };
  });
}

function agentToRow(a: AgentRecord): Insertable<AgentsTable> {
  return {
    ...a,
    capabilities: JSON.stringify(a.capabilities),
    labels: JSON.stringify(a.labels),
    host: JSON.stringify(a.host),
    load: a.load === null ? null : JSON.stringify(a.load),
  };
}

function agentFromRow(r: Selectable<AgentsTable>): AgentRecord {
  return {
    id: r.id,
    hostname: r.hostname,
    public_key: r.public_key,
    key_fingerprint: r.key_fingerprint,
    state: r.state as AgentRecord['state'],
    enrolled_at: Number(r.enrolled_at),
    last_seen_at: toNumOrNull(r.last_seen_at),
    last_address: r.last_address,
    heartbeat_interval_s: Number(r.heartbeat_interval_s),
    version: r.version,
    capabilities: JSON.parse(r.capabilities) as string[],
    labels: JSON.parse(r.labels) as Record<string, string>,
    host: JSON.parse(r.host) as AgentRecord['host'],
    load: r.load === null ? null : (JSON.parse(r.load) as AgentRecord['load']),
    silent_since: toNumOrNull(r.silent_since),
    token_id: r.token_id,
  };
}

export async function insertAgent(db: Kysely<DbSchema>, a: AgentRecord): Promise<void> {
  check(AgentRecordSchema, a, 'agent');
  await orConflict(db.insertInto('agents').values(agentToRow(a)).execute(), `an agent with id ${JSON.stringify(a.id)}`);
}

export async function getAgent(db: Kysely<DbSchema>, id: string): Promise<AgentRecord | undefined> {
  const r = await db.selectFrom('agents').selectAll().where('id', '=', searchable(id)).executeTakeFirst();
  return r === undefined ? undefined : agentFromRow(r);
}

export async function listAgents(db: Kysely<DbSchema>): Promise<AgentRecord[]> {
  const rows = await db.selectFrom('agents').selectAll().orderBy('id').execute();
  return rows.map(agentFromRow);
}

/** Read, merge, write in one transaction; the JSON columns are replaced whole, like the record fields. */
export async function updateAgent(db: Kysely<DbSchema>, id: string, patch: AgentPatch): Promise<AgentRecord | undefined> {
  check(AgentPatchSchema, patch, 'agent patch');
  return db.transaction().execute(async (trx) => {
    const r = await trx.selectFrom('agents').selectAll().where('id', '=', searchable(id)).executeTakeFirst();
    if (r === undefined) return undefined;
    const merged: AgentRecord = { ...agentFromRow(r), ...definedOnly(patch) };
    const { id: _id, enrolled_at: _e, token_id: _t, ...set } = agentToRow(merged);
    await trx.updateTable('agents').set(set).where('id', '=', r.id).execute();
    return merged;
  });
}

export async function deleteAgent(db: Kysely<DbSchema>, id: string): Promise<boolean> {
  const r = await db.deleteFrom('agents').where('id', '=', searchable(id)).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** ON CONFLICT DO NOTHING instead of catching the violation: it leaves a PostgreSQL transaction usable. */
export async function useNonce(db: Kysely<DbSchema>, agentId: string, nonce: string, expiresAt: number): Promise<boolean> {
  const row = { agent_id: cleanText(agentId, 'agent id', 128), nonce: cleanText(nonce, 'nonce', 128), expires_at: storedTime(expiresAt, 'nonce expires_at') };
  const r = await db
    .insertInto('agent_nonces')
    .values(row)
    .onConflict((oc) => oc.columns(['agent_id', 'nonce']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function purgeNonces(db: Kysely<DbSchema>, now: number): Promise<number> {
  requireEpochMs(now, 'now');
  const r = await db.deleteFrom('agent_nonces').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
