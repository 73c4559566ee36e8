import { sql, type Kysely } from 'kysely';
import { AppError, errorMessage } from '../../shared/app-error.js';
import { auditHash, GENESIS_HASH } from '../audit-chain.js';
import type { DbSchema } from '../migrations/schema.js';
import type { AuditInput, AuditQuery, AuditRecord } from '../port.js';
import { clampLimit, cleanText, requireEpochMs, searchable } from './query-helpers.js';

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

/** ISO text of an epoch-ms bound; `at` is always toISOString output, whose text order is time order for years 0–9999. */
const MAX_ISO_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
function isoBound(ms: number | undefined, what: string): string | undefined {
  if (requireEpochMs(ms, what) === undefined) return undefined;
  return new Date(Math.min(MAX_ISO_MS, Math.max(0, Math.floor(ms!)))).toISOString();
}

/**
 * Records with seq > since_seq, oldest first (so a verifier can walk the chain page by page).
 * A target prefix is compared with substr, not LIKE: SQLite's LIKE ignores ASCII case and
 * PostgreSQL's does not, and substr counts code points on both.
 */
export async function listAudit(db: Kysely<DbSchema>, q: AuditQuery): Promise<AuditRecord[]> {
  let qb = db.selectFrom('audit').selectAll();
  if (q.since_seq !== undefined) {
    if (!Number.isFinite(q.since_seq)) throw new AppError('store.invalid_input', 'store: since_seq must be a number', { status: 400 });
    qb = qb.where('seq', '>', q.since_seq);
  }
  if (q.actor !== undefined) qb = qb.where('actor', '=', searchable(q.actor));
  if (q.action !== undefined) qb = qb.where('action', '=', searchable(q.action));
  if (q.target !== undefined) {
    const t = searchable(q.target);
    qb = t.endsWith(':') ? qb.where(sql<string>`substr(${sql.ref('target')}, 1, ${sql.lit([...t].length)})`, '=', t) : qb.where('target', '=', t);
  }
  const since = isoBound(q.since, 'since');
  const until = isoBound(q.until, 'until');
  if (since !== undefined) qb = qb.where('at', '>=', since);
  if (until !== undefined) qb = qb.where('at', '<', until);
  const rows = await qb.orderBy('seq', 'asc').limit(clampLimit(q.limit, MAX_AUDIT_PAGE)).execute();
  return rows.map(fromRow);
}

/** The chain's head, to anchor a later verification (0 and the genesis hash when the log is empty). */
export async function auditHead(db: Kysely<DbSchema>): Promise<{ seq: number; hash: string }> {
  const last = await db.selectFrom('audit').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return last === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: Number(last.seq), hash: last.hash };
}
