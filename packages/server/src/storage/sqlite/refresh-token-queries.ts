import type { Kysely, Transaction } from 'kysely';
import type { DbSchema } from '../migrations/schema.js';
import type { RefreshTokenRecord, RotateResult } from '../port-auth.js';
import { cleanText, requireEpochMs } from './query-helpers.js';
import { check, NextRefreshTokenSchema, orConflict, RefreshTokenRecordSchema, storedTime } from './record-checks.js';

/**
 * Refresh tokens (Kysely only, dialect-neutral). A token is spent by setting used_at; it is never
 * deleted before it expires, so presenting a spent token again is recognised as a replay.
 */

const hashArg = (h: string): string => cleanText(h, 'refresh token hash', 128);

export async function insertRefreshToken(db: Kysely<DbSchema>, t: RefreshTokenRecord): Promise<void> {
  check(RefreshTokenRecordSchema, t, 'refresh token');
  await orConflict(db.insertInto('refresh_tokens').values({ ...t, used_at: null, revoked_at: null }).execute(), 'a refresh token with this hash');
}

async function revokeFamily(trx: Transaction<DbSchema>, familyId: string, now: number): Promise<void> {
  await trx.updateTable('refresh_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
}

/**
 * Checks in order: unknown, spent (→ reused, family revoked), revoked, expired. The spend itself
 * is a conditional UPDATE, so when two rotations race only one matches the row; on PostgreSQL
 * the loser waits for the winner's row lock, matches nothing, and is treated as the replay it is.
 */
export async function rotateRefreshToken(db: Kysely<DbSchema>, oldHash: string, next: Omit<RefreshTokenRecord, 'family_id' | 'user_id'>, now: number): Promise<RotateResult> {
  const hash = hashArg(oldHash);
  check(NextRefreshTokenSchema, next, 'next refresh token');
  storedTime(now, 'now');
  return db.transaction().execute(async (trx): Promise<RotateResult> => {
    const read = () => trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    const cur = await read();
    if (cur === undefined) return { status: 'unknown' };
    const ids = { user_id: cur.user_id, family_id: cur.family_id };
    const reused = async (): Promise<RotateResult> => {
      await revokeFamily(trx, ids.family_id, now);
      return { status: 'reused', ...ids };
    };
    if (cur.used_at !== null) return reused();
    if (cur.revoked_at !== null) return { status: 'revoked' };
    if (Number(cur.expires_at) <= now) return { status: 'expired' };
    const spent = await trx.updateTable('refresh_tokens').set({ used_at: now }).where('token_hash', '=', hash).where('used_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(spent.numUpdatedRows) === 0) {
      // Someone else changed the row between the read and the update: a logout, or a rotation.
      const again = await read();
      return again !== undefined && again.used_at === null && again.revoked_at !== null ? { status: 'revoked' } : reused();
    }
    await orConflict(trx.insertInto('refresh_tokens').values({ ...next, ...ids, used_at: null, revoked_at: null }).execute(), 'a refresh token with this hash');
    return { status: 'ok', ...ids };
  });
}

async function revokeWhere(db: Kysely<DbSchema>, column: 'family_id' | 'user_id', value: string, now: number): Promise<number> {
  cleanText(value, column, 64);
  storedTime(now, 'now');
  return db.transaction().execute(async (trx) => {
    const live = await trx
      .selectFrom('refresh_tokens')
      .select((eb) => eb.fn.countAll().as('n'))
      .where(column, '=', value)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    await trx.updateTable('refresh_tokens').set({ revoked_at: now }).where(column, '=', value).where('revoked_at', 'is', null).execute();
    return Number(live.n);
  });
}

/** Returns how many tokens could still have been rotated (unspent, unrevoked, unexpired). */
export function revokeRefreshFamily(db: Kysely<DbSchema>, familyId: string, now: number): Promise<number> {
  return revokeWhere(db, 'family_id', familyId, now);
}

export function revokeUserRefreshTokens(db: Kysely<DbSchema>, userId: string, now: number): Promise<number> {
  return revokeWhere(db, 'user_id', userId, now);
}

export async function purgeRefreshTokens(db: Kysely<DbSchema>, before: number): Promise<number> {
  requireEpochMs(before, 'before');
  const r = await db.deleteFrom('refresh_tokens').where('expires_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
