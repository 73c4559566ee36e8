import type { Kysely } from 'kysely';
import { AppError } from '../../shared/app-error.js';
import type { DbSchema } from '../migrations/schema.js';
import type { SourceOffset } from '../port.js';
import { cleanText, isoToMs, searchable } from './query-helpers.js';

/** Acquisition read positions (Kysely only, dialect-neutral). */

const MAX_KEY = 1024;

const key = (v: unknown, name: string): string => cleanText(v, `offset ${name}`, MAX_KEY, 0);

export async function getOffset(db: Kysely<DbSchema>, source: string): Promise<SourceOffset | undefined> {
  const r = await db.selectFrom('source_offsets').selectAll().where('source', '=', searchable(source)).executeTakeFirst();
  if (r === undefined) return undefined;
  return { source: r.source, file_id: r.file_id, offset: Number(r.file_offset), head_hash: r.head_hash, updated_at: new Date(Number(r.updated_at)).toISOString() };
}

/** Upsert: the newest position of a source replaces the previous one. */
export async function saveOffset(db: Kysely<DbSchema>, o: SourceOffset): Promise<void> {
  if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw new AppError('store.invalid_input', 'store: offset must be a non-negative integer', { status: 400 });
  const row = {
    source: key(o.source, 'source'),
    file_id: key(o.file_id, 'file_id'),
    file_offset: o.offset,
    head_hash: key(o.head_hash, 'head_hash'),
    updated_at: isoToMs(o.updated_at, 'offset updated_at'),
  };
  await db
    .insertInto('source_offsets')
    .values(row)
    .onConflict((oc) => oc.column('source').doUpdateSet({ file_id: row.file_id, file_offset: row.file_offset, head_hash: row.head_hash, updated_at: row.updated_at }))
    .execute();
}
