import { sql, type Kysely } from 'kysely';
import { AlertSchema, AlertStatusSchema, type Alert, type AlertFilter } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { DbSchema } from '../migrations/schema.js';
import type { Page } from '../port.js';
import { clampLimit, cleanText, decodeCursor, escapeLike, invalidInput, isoToMs, searchable, searchableOrNull, toPage } from './query-helpers.js';

/** Alert queries (Kysely only, dialect-neutral). */

export async function insertAlert(db: Kysely<DbSchema>, alert: Alert): Promise<void> {
  const parsed = AlertSchema.safeParse(alert);
  if (!parsed.success) throw invalidInput('alert', parsed.error);
  await db
    .insertInto('alerts')
    .values({
      id: cleanText(alert.id, 'alert id', 64),
      created_at: isoToMs(alert.created_at, 'alert created_at'),
      scenario: searchable(alert.scenario),
      severity: alert.severity,
      status: alert.status,
      source_ip: searchableOrNull(alert.source.ip),
      technique: alert.technique.id,
      doc: JSON.stringify(alert),
    })
    .execute();
}

export async function getAlert(db: Kysely<DbSchema>, id: string): Promise<Alert | undefined> {
  const row = await db.selectFrom('alerts').select('doc').where('id', '=', searchable(id)).executeTakeFirst();
  return row === undefined ? undefined : (JSON.parse(row.doc) as Alert);
}

export async function listAlerts(db: Kysely<DbSchema>, f: AlertFilter): Promise<Page<Alert>> {
  const limit = clampLimit(f.limit);
  let qb = db.selectFrom('alerts').select(['id', 'created_at', 'doc']);
  if (f.since !== undefined) qb = qb.where('created_at', '>=', isoToMs(f.since, 'since'));
  if (f.until !== undefined) qb = qb.where('created_at', '<', isoToMs(f.until, 'until'));
  if (f.scenario !== undefined) qb = qb.where('scenario', '=', searchable(f.scenario));
  if (f.severity !== undefined) qb = qb.where('severity', '=', searchable(f.severity));
  if (f.source_ip !== undefined) qb = qb.where('source_ip', '=', searchable(f.source_ip));
  if (f.status !== undefined) qb = qb.where('status', '=', searchable(f.status));
  if (f.technique !== undefined) {
    const t = searchable(f.technique);
    // A parent technique (T1110) also finds its sub-techniques (T1110.001), as ATT&CK groups them.
    qb = t.includes('.')
      ? qb.where('technique', '=', t)
      : qb.where((eb) => eb.or([eb('technique', '=', t), sql<boolean>`${sql.ref('technique')} like ${`${escapeLike(t)}.%`} escape '\\'`]));
  }
  if (f.cursor !== undefined) {
    const c = decodeCursor(f.cursor, 'string');
    qb = qb.where('created_at', '<=', c.t).where((eb) => eb.or([eb('created_at', '<', c.t), eb('id', '<', c.id)]));
  }
  const rows = await qb.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  return toPage(rows, limit, (r) => [Number(r.created_at), r.id], (r) => JSON.parse(r.doc) as Alert);
}

export async function setAlertStatus(db: Kysely<DbSchema>, id: string, status: Alert['status']): Promise<Alert | undefined> {
  if (!AlertStatusSchema.safeParse(status).success) throw new AppError('store.invalid_input', `store: invalid alert status ${JSON.stringify(status)}`, { status: 400 });
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('alerts').select('doc').where('id', '=', searchable(id)).executeTakeFirst();
    if (row === undefined) return undefined;
    const alert = { ...(JSON.parse(row.doc) as Alert), status };
    await trx.updateTable('alerts').set({ status, doc: JSON.stringify(alert) }).where('id', '=', alert.id).execute();
    return alert;
  });
}
