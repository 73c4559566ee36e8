import type { Kysely } from 'kysely';
import { AgentIdSchema, DecisionChangeKindSchema, DecisionSchema, EnforcementReportSchema, type AgentEnforcement, type Decision, type EnforcementReport } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { DbSchema } from '../migrations/schema.js';
import type { DecisionChangeKind, DecisionChangeRecord } from '../port-agents.js';
import { clampLimit, cleanText, invalidInput, isoToMs, requireEpochMs, searchable } from './query-helpers.js';
import { check, storedTime } from './record-checks.js';

/**
 * The decision change log agents follow, and per-agent enforcement (Kysely only, dialect-neutral).
 * The log's seq is assigned by the database. On SQLite one writer commits at a time, so seqs
 * become visible in order; a PostgreSQL adapter must serialise appends (an advisory lock, say),
 * or a reader could see seq 6 commit before 5 and skip 5 for good.
 */

export const MAX_FEED_PAGE = 10_000;
const UPSERT_CHUNK = 200;

export async function appendDecisionChange(db: Kysely<DbSchema>, kind: DecisionChangeKind, decision: Decision, at: number): Promise<{ seq: number; duplicate: boolean }> {
  check(DecisionChangeKindSchema, kind, 'decision change kind');
  const parsed = DecisionSchema.safeParse(decision);
  if (!parsed.success) throw invalidInput('decision', parsed.error);
  const row = { decision_id: cleanText(decision.id, 'decision id', 64), kind, at: storedTime(at, 'at'), doc: JSON.stringify(decision) };
  return db.transaction().execute(async (trx) => {
    const added = await trx
      .insertInto('decision_changes')
      .values(row)
      .onConflict((oc) => oc.columns(['decision_id', 'kind']).doNothing())
      .returning('seq')
      .executeTakeFirst();
    if (added !== undefined) return { seq: Number(added.seq), duplicate: false };
    const first = await trx.selectFrom('decision_changes').select('seq').where('decision_id', '=', row.decision_id).where('kind', '=', kind).executeTakeFirstOrThrow();
    return { seq: Number(first.seq), duplicate: true };
  });
}

export async function listDecisionChanges(db: Kysely<DbSchema>, afterSeq: number, limit: number): Promise<DecisionChangeRecord[]> {
  if (!Number.isFinite(afterSeq)) throw new AppError('store.invalid_input', 'store: afterSeq must be a number', { status: 400 });
  const rows = await db.selectFrom('decision_changes').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(clampLimit(limit, MAX_FEED_PAGE)).execute();
  return rows.map((r) => ({ seq: Number(r.seq), kind: r.kind as DecisionChangeKind, decision: JSON.parse(r.doc) as Decision, at: Number(r.at) }));
}

export async function decisionChangeBounds(db: Kysely<DbSchema>): Promise<{ first: number | null; last: number }> {
  const r = await db
    .selectFrom('decision_changes')
    .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .executeTakeFirstOrThrow();
  return { first: r.first === null ? null : Number(r.first), last: r.last === null ? 0 : Number(r.last) };
}

/**
 * The newest change always stays, even when it is older than `before`: it is what remembers the
 * highest seq ever assigned (decisionChangeBounds().last) without dialect-specific sequence reads.
 */
export async function purgeDecisionChanges(db: Kysely<DbSchema>, before: number): Promise<number> {
  requireEpochMs(before, 'before');
  const r = await db
    .deleteFrom('decision_changes')
    .where('at', '<', before)
    .where('seq', '<', (eb) => eb.selectFrom('decision_changes').select((e) => e.fn.max('seq').as('m')))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Reports are folded per decision first (the newest wins, a tie goes to the later one), then
 * upserted with ON CONFLICT … WHERE stored.at <= new.at, so an older report never overwrites.
 */
export async function upsertEnforcement(db: Kysely<DbSchema>, agentId: string, reports: readonly EnforcementReport[]): Promise<void> {
  check(AgentIdSchema, agentId, 'agent id');
  const newest = new Map<string, DbSchema['agent_enforcement']>();
  reports.forEach((rep, i) => {
    check(EnforcementReportSchema, rep, `enforcement report ${i}`);
    const row = { agent_id: agentId, decision_id: cleanText(rep.decision_id, 'decision id', 64), status: rep.status, at: isoToMs(rep.at, 'enforcement at'), doc: JSON.stringify(rep) };
    const seen = newest.get(row.decision_id);
    if (seen === undefined || seen.at <= row.at) newest.set(row.decision_id, row);
  });
  const rows = [...newest.values()];
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
      await trx
        .insertInto('agent_enforcement')
        .values(rows.slice(i, i + UPSERT_CHUNK))
        .onConflict((oc) =>
          oc
            .columns(['agent_id', 'decision_id'])
            .doUpdateSet((eb) => ({ status: eb.ref('excluded.status'), at: eb.ref('excluded.at'), doc: eb.ref('excluded.doc') }))
            .where((eb) => eb('agent_enforcement.at', '<=', eb.ref('excluded.at'))),
        )
        .execute();
    }
  });
}

export async function listEnforcement(db: Kysely<DbSchema>, q: { decision_id?: string; agent_id?: string; limit: number }): Promise<AgentEnforcement[]> {
  if (q.decision_id === undefined && q.agent_id === undefined) throw new AppError('store.invalid_input', 'store: listEnforcement needs a decision_id or an agent_id', { status: 400 });
  let qb = db.selectFrom('agent_enforcement').select(['agent_id', 'doc']);
  if (q.decision_id !== undefined) qb = qb.where('decision_id', '=', searchable(q.decision_id));
  if (q.agent_id !== undefined) qb = qb.where('agent_id', '=', searchable(q.agent_id));
  const rows = await qb.orderBy('at', 'desc').orderBy('agent_id').orderBy('decision_id').limit(clampLimit(q.limit, MAX_FEED_PAGE)).execute();
  return rows.map((r) => ({ ...(JSON.parse(r.doc) as EnforcementReport), agent_id: r.agent_id }));
}
