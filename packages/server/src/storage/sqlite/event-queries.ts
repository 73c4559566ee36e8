import { CompiledQuery, sql, type Insertable, type Kysely } from 'kysely';
import type { DioEvent } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { DbSchema, EventsTable } from '../migrations/schema.js';
import type { EventQuery, Page, StoredEvent } from '../port.js';
import { clampLimit, cleanText, decodeCursor, escapeLike, requireEpochMs, searchable, searchableOrNull, toPage } from './query-helpers.js';

/**
 * Event queries, written against Kysely only (no driver, no dialect-specific SQL) so a PostgreSQL
 * adapter can run them unchanged.
 */

/** Rows per INSERT statement: 500 × 6 parameters stays far below SQLite's and PostgreSQL's caps. */
const INSERT_CHUNK = 500;
/** Rows per DELETE while purging; each chunk is its own short transaction. */
export const PURGE_CHUNK = 5000;
const MAX_BATCH_ID = 128;
const MAX_TEXT_QUERY = 256;

/**
 * The message is the bulk of an event, so it is stored once, in its column, and put back on read —
 * unless the column cannot hold it exactly (NUL, lone surrogates: see `searchable`), in which case
 * the document keeps the original and the column a normalised copy for text search.
 */
export function toEventRow(ev: DioEvent): Insertable<EventsTable> {
  const ts = Date.parse(ev['@timestamp']);
  if (!Number.isFinite(ts)) throw new AppError('store.invalid_input', `store: event @timestamp is not a valid timestamp: ${JSON.stringify(String(ev['@timestamp']).slice(0, 64))}`, { status: 400 });
  const message = ev.message;
  const column = searchableOrNull(message);
  let doc: string;
  if (message !== undefined && column === message) {
    const { message: _m, ...rest } = ev;
    doc = JSON.stringify(rest);
  } else {
    doc = JSON.stringify(ev);
  }
  return { ts, action: searchableOrNull(ev.event?.action), dataset: searchableOrNull(ev.event?.dataset), source_ip: searchableOrNull(ev.source?.ip), message: column, doc };
}

export function fromEventRow(r: { id: number | string; ts: number | string; message: string | null; doc: string }): StoredEvent {
  const event = JSON.parse(r.doc) as DioEvent;
  if (r.message !== null && event.message === undefined) event.message = r.message;
  return { id: Number(r.id), ts: Number(r.ts), event };
}

export type InsertSql = (rows: number) => string;

/**
 * SQL of an n-row events INSERT, compiled once per size by the dialect's own compiler and then
 * reused with fresh parameters: building a 500-row Kysely query costs ~10% of an insert's CPU.
 */
export function createInsertSql(db: Kysely<DbSchema>, maxEntries = 32): InsertSql {
  const cache = new Map<number, string>();
  const placeholder: Insertable<EventsTable> = { ts: 0, action: null, dataset: null, source_ip: null, message: null, doc: '' };
  return (n) => {
    let text = cache.get(n);
    if (text === undefined) {
      text = db.insertInto('events').values(Array.from({ length: n }, () => placeholder)).compile().sql;
      cache.set(n, text);
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    }
    return text;
  };
}

export async function insertEvents(db: Kysely<DbSchema>, insertSql: InsertSql, events: readonly DioEvent[], batchId: string | undefined, now: number): Promise<{ inserted: number; duplicate: boolean }> {
  if (batchId !== undefined) cleanText(batchId, 'batch id', MAX_BATCH_ID);
  // Serialise before the transaction opens: a bad event fails the call without holding a lock.
  const rows = events.map(toEventRow);
  if (rows.length === 0 && batchId === undefined) return { inserted: 0, duplicate: false };
  return db.transaction().execute(async (trx) => {
    if (batchId !== undefined) {
      const r = await trx
        .insertInto('ingest_batches')
        .values({ batch_id: batchId, received_at: now })
        .onConflict((oc) => oc.column('batch_id').doNothing())
        .executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return { inserted: 0, duplicate: true };
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const end = Math.min(rows.length, i + INSERT_CHUNK);
      // Parameter order must match the placeholder row's column order in createInsertSql.
      const params: unknown[] = [];
      for (let j = i; j < end; j++) {
        const r = rows[j]!;
        params.push(r.ts, r.action, r.dataset, r.source_ip, r.message, r.doc);
      }
      await trx.executeQuery(CompiledQuery.raw(insertSql(end - i), params));
    }
    return { inserted: rows.length, duplicate: false };
  });
}

export async function queryEvents(db: Kysely<DbSchema>, q: EventQuery): Promise<Page<StoredEvent>> {
  const limit = clampLimit(q.limit);
  const since = requireEpochMs(q.since, 'since');
  const until = requireEpochMs(q.until, 'until');
  let qb = db.selectFrom('events').select(['id', 'ts', 'message', 'doc']);
  if (since !== undefined) qb = qb.where('ts', '>=', since);
  if (until !== undefined) qb = qb.where('ts', '<', until);
  if (q.source_ip !== undefined) qb = qb.where('source_ip', '=', searchable(q.source_ip));
  if (q.action !== undefined) qb = qb.where('action', '=', searchable(q.action));
  if (q.text !== undefined && q.text !== '') {
    if (q.text.length > MAX_TEXT_QUERY) throw new AppError('store.invalid_input', `store: text query longer than ${MAX_TEXT_QUERY} characters`, { status: 400 });
    const pattern = `%${escapeLike(searchable(q.text).toLowerCase())}%`;
    qb = qb.where(sql<boolean>`lower(${sql.ref('message')}) like ${pattern} escape '\\'`);
  }
  if (q.cursor !== undefined) {
    const c = decodeCursor(q.cursor, 'number');
    // ts <= t narrows the index range; the OR picks up ties on ts after the last id seen.
    qb = qb.where('ts', '<=', c.t).where((eb) => eb.or([eb('ts', '<', c.t), eb('id', '<', c.id)]));
  }
  const rows = await qb.orderBy('ts', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  return toPage(rows, limit, (r) => [Number(r.ts), Number(r.id)], fromEventRow);
}

/**
 * Deletes events older than `before` a chunk at a time, yielding between chunks so ingest is never
 * blocked behind one long write. Not one transaction on purpose: a purge stopped half-way leaves
 * only older events behind and the next purge finishes it. Batch ids older than `before` go too —
 * a retry that late is not a retry.
 */
export async function purgeEvents(db: Kysely<DbSchema>, before: number): Promise<number> {
  requireEpochMs(before, 'before');
  let total = 0;
  for (;;) {
    const r = await db
      .deleteFrom('events')
      .where('id', 'in', (eb) => eb.selectFrom('events').select('id').where('ts', '<', before).limit(PURGE_CHUNK))
      .executeTakeFirst();
    const n = Number(r.numDeletedRows);
    total += n;
    if (n < PURGE_CHUNK) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await db.deleteFrom('ingest_batches').where('received_at', '<', before).execute();
  return total;
}
