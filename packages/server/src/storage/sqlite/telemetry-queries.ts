import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import { AppError } from '../../shared/app-error.js';
import type { DbSchema } from '../migrations/schema.js';
import type { TelemetryRow } from '../port-agents.js';
import { clampLimit, requireEpochMs, searchable } from './query-helpers.js';
import { check, jsonText, TelemetryRowSchema } from './record-checks.js';

/**
 * Telemetry series (Kysely only, dialect-neutral). Each row carries `n`, the number of raw points
 * it stands for (1 when written by insertTelemetry), so folding weights every average by it and
 * a bucket folded in several passes — or chunks — ends up exactly as if folded at once.
 */

const UPSERT_CHUNK = 200;
/** Rows folded per transaction: a few milliseconds of work, then other writers get their turn. */
export const FOLD_CHUNK = 500;
/** Rows deleted per statement while purging, as purgeEvents does. */
const PURGE_CHUNK = 5000;
export const MAX_TELEMETRY_PAGE = 10_000;
/** One sample holds up to 2,048 listening sockets and 40 processes. */
const MAX_SAMPLE = 1024 * 1024;

type Series = Record<string, number>;
const parseSeries = (s: string): Series => JSON.parse(s) as Series;
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

function positiveInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new AppError('store.invalid_input', `store: ${what} must be a positive integer number of seconds`, { status: 400 });
  return v;
}

/** Upsert; a batch naming one key twice keeps the last row (PostgreSQL refuses a statement that would update a row twice). */
export async function insertTelemetry(db: Kysely<DbSchema>, rows: readonly TelemetryRow[]): Promise<void> {
  const byKey = new Map<string, DbSchema['telemetry']>();
  rows.forEach((r, i) => {
    check(TelemetryRowSchema, r, `telemetry row ${i}`);
    const row = { agent_id: r.agent_id, resolution_s: r.resolution_s, ts: r.ts, avg: JSON.stringify(r.avg), max: JSON.stringify(r.max), n: 1, sample: jsonText(r.sample, 'telemetry sample', MAX_SAMPLE) };
    byKey.set(`${r.agent_id}\0${r.resolution_s}\0${r.ts}`, row);
  });
  const all = [...byKey.values()];
  if (all.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < all.length; i += UPSERT_CHUNK) {
      await trx
        .insertInto('telemetry')
        .values(all.slice(i, i + UPSERT_CHUNK))
        .onConflict((oc) =>
          oc.columns(['agent_id', 'resolution_s', 'ts']).doUpdateSet((eb) => ({
            avg: eb.ref('excluded.avg'),
            max: eb.ref('excluded.max'),
            n: eb.ref('excluded.n'),
            sample: eb.ref('excluded.sample'),
          })),
        )
        .execute();
    }
  });
}

/** Oldest first. Samples are left out (sample is null): a page of 10,000 full samples would be gigabytes; latestTelemetry has the drill-down. */
export async function queryTelemetry(db: Kysely<DbSchema>, q: { agent_id: string; resolution_s: number; since?: number; until?: number; limit: number }): Promise<TelemetryRow[]> {
  const since = requireEpochMs(q.since, 'since');
  const until = requireEpochMs(q.until, 'until');
  let qb = db.selectFrom('telemetry').select(['agent_id', 'resolution_s', 'ts', 'avg', 'max']).where('agent_id', '=', searchable(q.agent_id)).where('resolution_s', '=', positiveInt(q.resolution_s, 'resolution_s'));
  if (since !== undefined) qb = qb.where('ts', '>=', since);
  if (until !== undefined) qb = qb.where('ts', '<', until);
  const rows = await qb.orderBy('ts').limit(clampLimit(q.limit, MAX_TELEMETRY_PAGE)).execute();
  return rows.map((r) => ({ agent_id: r.agent_id, ts: Number(r.ts), resolution_s: Number(r.resolution_s), avg: parseSeries(r.avg), max: parseSeries(r.max), sample: null }));
}

/** "Raw" means written with a sample; downsampled rows never have one. */
export async function latestTelemetry(db: Kysely<DbSchema>, agentId: string): Promise<TelemetryRow | undefined> {
  const r = await db.selectFrom('telemetry').selectAll().where('agent_id', '=', searchable(agentId)).where('sample', 'is not', null).orderBy('ts', 'desc').limit(1).executeTakeFirst();
  if (r === undefined) return undefined;
  return { agent_id: r.agent_id, ts: Number(r.ts), resolution_s: Number(r.resolution_s), avg: parseSeries(r.avg), max: parseSeries(r.max), sample: r.sample === null ? null : JSON.parse(r.sample) };
}

interface Bucket {
  agent_id: string;
  ts: number;
  n: number;
  /** Per series: weighted sum of averages and the weight it carries. */
  sum: Map<string, { s: number; w: number }>;
  max: Series;
}

function fold(b: Bucket, avg: Series, max: Series, n: number): void {
  b.n += n;
  for (const [k, v] of Object.entries(avg)) {
    const acc = b.sum.get(k) ?? { s: 0, w: 0 };
    acc.s += v * n;
    acc.w += n;
    b.sum.set(k, acc);
  }
  for (const [k, v] of Object.entries(max)) b.max[k] = k in b.max ? Math.max(b.max[k]!, v) : v;
}

const keyMatch = (keys: readonly { agent_id: string; ts: number }[]) => (eb: ExpressionBuilder<DbSchema, 'telemetry'>) =>
  eb.or(keys.map((k) => eb.and([eb('agent_id', '=', k.agent_id), eb('ts', '=', k.ts)])));

/** One chunk: fold up to FOLD_CHUNK rows into their buckets, merge existing buckets, delete the rows. */
async function foldChunk(trx: Transaction<DbSchema>, from: number, to: number, before: number): Promise<number> {
  const rows = await trx.selectFrom('telemetry').select(['agent_id', 'ts', 'avg', 'max', 'n']).where('resolution_s', '=', from).where('ts', '<', before).orderBy('ts').orderBy('agent_id').limit(FOLD_CHUNK).execute();
  if (rows.length === 0) return 0;
  const width = to * 1000;
  const buckets = new Map<string, Bucket>();
  for (const r of rows) {
    const ts = Math.floor(Number(r.ts) / width) * width;
    const key = `${r.agent_id}\0${ts}`;
    let b = buckets.get(key);
    if (b === undefined) buckets.set(key, (b = { agent_id: r.agent_id, ts, n: 0, sum: new Map(), max: {} }));
    fold(b, parseSeries(r.avg), parseSeries(r.max), Number(r.n));
  }
  const existing = await trx.selectFrom('telemetry').select(['agent_id', 'ts', 'avg', 'max', 'n']).where('resolution_s', '=', to).where(keyMatch([...buckets.values()])).execute();
  for (const e of existing) fold(buckets.get(`${e.agent_id}\0${Number(e.ts)}`)!, parseSeries(e.avg), parseSeries(e.max), Number(e.n));
  const out = [...buckets.values()].map((b) => ({
    agent_id: b.agent_id,
    resolution_s: to,
    ts: b.ts,
    avg: JSON.stringify(Object.fromEntries([...b.sum].map(([k, { s, w }]) => [k, s / w]))),
    max: JSON.stringify(b.max),
    n: b.n,
    sample: null,
  }));
  for (let i = 0; i < out.length; i += UPSERT_CHUNK) {
    await trx
      .insertInto('telemetry')
      .values(out.slice(i, i + UPSERT_CHUNK))
      .onConflict((oc) => oc.columns(['agent_id', 'resolution_s', 'ts']).doUpdateSet((eb) => ({ avg: eb.ref('excluded.avg'), max: eb.ref('excluded.max'), n: eb.ref('excluded.n') })))
      .execute();
  }
  const keys = rows.map((r) => ({ agent_id: r.agent_id, ts: Number(r.ts) }));
  const del = await trx.deleteFrom('telemetry').where('resolution_s', '=', from).where(keyMatch(keys)).executeTakeFirst();
  return Number(del.numDeletedRows);
}

/**
 * Buckets start at floor(ts / to) * to seconds (epoch ms, aligned to the epoch, so every agent's
 * buckets line up). Each chunk is its own transaction: a fold stopped half-way leaves every row
 * either still raw or inside its bucket, never both, and the next run finishes it.
 */
export async function downsampleTelemetry(db: Kysely<DbSchema>, from: number, to: number, before: number): Promise<number> {
  positiveInt(from, 'from');
  positiveInt(to, 'to');
  if (to <= from) throw new AppError('store.invalid_input', 'store: downsampling needs a coarser resolution (to > from)', { status: 400 });
  requireEpochMs(before, 'before');
  let total = 0;
  for (;;) {
    const n = await db.transaction().execute((trx) => foldChunk(trx, from, to, before));
    total += n;
    if (n < FOLD_CHUNK) return total;
    await yieldToOthers();
  }
}

export async function purgeTelemetry(db: Kysely<DbSchema>, resolution_s: number, before: number): Promise<number> {
  positiveInt(resolution_s, 'resolution_s');
  requireEpochMs(before, 'before');
  let total = 0;
  for (;;) {
    const r = await db
      .deleteFrom('telemetry')
      .where((eb) =>
        eb(eb.refTuple('agent_id', 'resolution_s', 'ts'), 'in', eb.selectFrom('telemetry').select(['agent_id', 'resolution_s', 'ts']).where('resolution_s', '=', resolution_s).where('ts', '<', before).limit(PURGE_CHUNK).$asTuple('agent_id', 'resolution_s', 'ts')),
      )
      .executeTakeFirst();
    const n = Number(r.numDeletedRows);
    total += n;
    if (n < PURGE_CHUNK) return total;
    await yieldToOthers();
  }
}
