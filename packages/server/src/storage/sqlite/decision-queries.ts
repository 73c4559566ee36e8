import type { Kysely } from 'kysely';
import { DecisionSchema, DECISION_STATUSES, EnforcementSchema, type Decision, type DecisionFilter } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { DbSchema } from '../migrations/schema.js';
import type { DecisionPatch, Page } from '../port.js';
import { clampLimit, cleanText, decodeCursor, invalidInput, isoToMs, requireEpochMs, searchable, toPage } from './query-helpers.js';

/** Decision queries (Kysely only, dialect-neutral). */

const parseDoc = (r: { doc: string }): Decision => JSON.parse(r.doc) as Decision;

export async function insertDecision(db: Kysely<DbSchema>, d: Decision): Promise<void> {
  const parsed = DecisionSchema.safeParse(d);
  if (!parsed.success) throw invalidInput('decision', parsed.error);
  await db
    .insertInto('decisions')
    .values({
      id: cleanText(d.id, 'decision id', 64),
      created_at: isoToMs(d.created_at, 'decision created_at'),
      value: d.value,
      status: d.status,
      origin: d.origin,
      expires_at: isoToMs(d.expires_at, 'decision expires_at'),
      simulated: d.simulated ? 1 : 0,
      doc: JSON.stringify(d),
    })
    .execute();
}

export async function getDecision(db: Kysely<DbSchema>, id: string): Promise<Decision | undefined> {
  const row = await db.selectFrom('decisions').select('doc').where('id', '=', searchable(id)).executeTakeFirst();
  return row === undefined ? undefined : parseDoc(row);
}

export async function listDecisions(db: Kysely<DbSchema>, f: DecisionFilter): Promise<Page<Decision>> {
  const limit = clampLimit(f.limit);
  let qb = db.selectFrom('decisions').select(['id', 'created_at', 'doc']);
  if (f.status !== undefined) qb = qb.where('status', '=', searchable(f.status));
  if (f.value !== undefined) qb = qb.where('value', '=', searchable(f.value));
  if (f.origin !== undefined) qb = qb.where('origin', '=', searchable(f.origin));
  if (f.cursor !== undefined) {
    const c = decodeCursor(f.cursor, 'string');
    qb = qb.where('created_at', '<=', c.t).where((eb) => eb.or([eb('created_at', '<', c.t), eb('id', '<', c.id)]));
  }
  const rows = await qb.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  return toPage(rows, limit, (r) => [Number(r.created_at), r.id], parseDoc);
}

export async function activeDecisions(db: Kysely<DbSchema>, now: number): Promise<Decision[]> {
  requireEpochMs(now, 'now');
  const rows = await db.selectFrom('decisions').select('doc').where('status', '=', 'active').where('expires_at', '>', now).orderBy('expires_at').execute();
  return rows.map(parseDoc);
}

export async function updateDecision(db: Kysely<DbSchema>, id: string, patch: DecisionPatch): Promise<Decision | undefined> {
  if (patch.status !== undefined && !(DECISION_STATUSES as readonly string[]).includes(patch.status)) {
    throw new AppError('store.invalid_input', `store: invalid decision status ${JSON.stringify(patch.status)}`, { status: 400 });
  }
  if (patch.enforcement !== undefined && !EnforcementSchema.safeParse(patch.enforcement).success) {
    throw new AppError('store.invalid_input', 'store: invalid decision enforcement', { status: 400 });
  }
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('decisions').select('doc').where('id', '=', searchable(id)).executeTakeFirst();
    if (row === undefined) return undefined;
    const d = parseDoc(row);
    if (patch.status !== undefined) d.status = patch.status;
    if (patch.enforcement !== undefined) d.enforcement = patch.enforcement;
    await trx.updateTable('decisions').set({ status: d.status, doc: JSON.stringify(d) }).where('id', '=', d.id).execute();
    return d;
  });
}

export async function expireDecisions(db: Kysely<DbSchema>, now: number): Promise<Decision[]> {
  requireEpochMs(now, 'now');
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('decisions').select(['id', 'doc']).where('status', '=', 'active').where('expires_at', '<=', now).orderBy('expires_at').execute();
    const out: Decision[] = [];
    for (const r of rows) {
      const d = parseDoc(r);
      d.status = 'expired';
      await trx.updateTable('decisions').set({ status: 'expired', doc: JSON.stringify(d) }).where('id', '=', r.id).execute();
      out.push(d);
    }
    return out;
  });
}

export async function countDecisionsFor(db: Kysely<DbSchema>, value: string, since: number): Promise<number> {
  requireEpochMs(since, 'since');
  const r = await db.selectFrom('decisions').select((eb) => eb.fn.countAll().as('n')).where('value', '=', searchable(value)).where('created_at', '>=', since).executeTakeFirstOrThrow();
  return Number(r.n);
}
