import type { Kysely } from 'kysely';
import { AppError, errorMessage } from '../../shared/app-error.js';
import { auditHash, GENESIS_HASH } from '../audit-chain.js';
import type { DbSchema } from '../migrations/schema.js';
import type { AuditInput, AuditRecord } from '../port.js';
import { clampLimit, cleanText, searchable } from './query-helpers.js';

/** Audit log queries (Kysely only, dialect-neutral). The log is append-only: no update, no delete. */

const MAX_FIELD = 512;
/** Bound on before/after snapshots so one audit record cannot bloat the log. */
const MAX_SNAPSHOT = 256 * 1024;
export const MAX_AUDIT_PAGE = 10_000;

const field = (v: unknown, name: string): string => cleanText(v, `audit ${name}`, MAX_FIELD);

/** JSON text of a snapshot, or null when absent. */
function snapshot(v: unknown, name: string): string | null {
  if (v === undefined) return null;
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (e) {
    throw new AppError('store.invalid_input', `store: audit ${name} is not JSON-serialisable: ${errorMessage(e)}`, { status: 400, cause: e });
  }
  if (s === undefined) return null;
  if (s.length > MAX_SNAPSHOT) throw new AppError('store.invalid_input', `store: audit ${name} is larger than ${MAX_SNAPSHOT} characters`, { status: 400 });
  return s;
}

type AuditRow = DbSchema['audit'];

function fromRow(r: AuditRow): AuditRecord {
  const rec: AuditRecord = { seq: Number(r.seq), at: r.at, actor: r.actor, action: r.action, target: r.target, origin: r.origin, prev_hash: r.prev_hash, hash: r.hash };
  if (r.before !== null) rec.before = JSON.parse(r.before);
  if (r.after !== null) rec.after = JSON.parse(r.after);
  return rec;
}

/**
 * Appends a record chained to the newest one. The hash covers the snapshots as they will read back
 * from the database (parsed from the stored JSON), so verifying a listed chain reproduces it.
 * On PostgreSQL two concurrent appends would collide on the seq primary key; one fails cleanly.
 */
export async function appendAudit(db: Kysely<DbSchema>, input: AuditInput, now: number): Promise<AuditRecord> {
  const row = {
    actor: field(input.actor, 'actor'),
    action: field(input.action, 'action'),
    target: field(input.target, 'target'),
    origin: field(input.origin, 'origin'),
    before: snapshot(input.before, 'before'),
    after: snapshot(input.after, 'after'),
    at: new Date(now).toISOString(),
  };
  return db.transaction().execute(async (trx) => {
    const last = await trx.selectFrom('audit').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const seq = last === undefined ? 1 : Number(last.seq) + 1;
    const prev_hash = last?.hash ?? GENESIS_HASH;
    const rec = fromRow({ ...row, seq, prev_hash, hash: '' });
    rec.hash = auditHash(prev_hash, rec);
    await trx.insertInto('audit').values({ ...row, seq, prev_hash, hash: rec.hash }).execute();
    return rec;
  });
}

/** Records with seq > since_seq, oldest first (so a verifier can walk the chain page by page). */
export async function listAudit(db: Kysely<DbSchema>, q: { since_seq?: number; actor?: string; action?: string; limit: number }): Promise<AuditRecord[]> {
  let qb = db.selectFrom('audit').selectAll();
  if (q.since_seq !== undefined) {
    if (!Number.isFinite(q.since_seq)) throw new AppError('store.invalid_input', 'store: since_seq must be a number', { status: 400 });
    qb = qb.where('seq', '>', q.since_seq);
  }
  if (q.actor !== undefined) qb = qb.where('actor', '=', searchable(q.actor));
  if (q.action !== undefined) qb = qb.where('action', '=', searchable(q.action));
  const rows = await qb.orderBy('seq', 'asc').limit(clampLimit(q.limit, MAX_AUDIT_PAGE)).execute();
  return rows.map(fromRow);
}
