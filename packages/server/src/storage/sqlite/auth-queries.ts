import type { Kysely, Selectable, Updateable } from 'kysely';
import type { ApiKeysTable, DbSchema, UsersTable } from '../migrations/schema.js';
import type { ApiKeyRecord, UserPatch, UserRecord } from '../port-auth.js';
import { searchable } from './query-helpers.js';
import { ApiKeyPatchSchema, ApiKeyRecordSchema, check, orConflict, SecretNameSchema, SecretValueSchema, storedTime, toBool, toNumOrNull, UserPatchSchema, UserRecordSchema } from './record-checks.js';

/** Users, API keys and server secrets (Kysely only, dialect-neutral). Refresh tokens: refresh-token-queries.ts. */

function userFromRow(r: Selectable<UsersTable>): UserRecord {
  return {
    id: r.id,
    username: r.username,
    password_hash: r.password_hash,
    role: r.role as UserRecord['role'],
    disabled: toBool(r.disabled),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
    last_login_at: toNumOrNull(r.last_login_at),
    failed_logins: Number(r.failed_logins),
    locked_until: toNumOrNull(r.locked_until),
  };
}

export async function insertUser(db: Kysely<DbSchema>, u: UserRecord): Promise<void> {
  check(UserRecordSchema, u, 'user');
  await orConflict(db.insertInto('users').values({ ...u, disabled: u.disabled ? 1 : 0 }).execute(), `a user with id ${JSON.stringify(u.id)} or username ${JSON.stringify(u.username)}`);
}

export async function getUser(db: Kysely<DbSchema>, id: string): Promise<UserRecord | undefined> {
  const r = await db.selectFrom('users').selectAll().where('id', '=', searchable(id)).executeTakeFirst();
  return r === undefined ? undefined : userFromRow(r);
}

/** Exact, case-sensitive match: the username is an identifier, as written at creation. */
export async function getUserByName(db: Kysely<DbSchema>, username: string): Promise<UserRecord | undefined> {
  const r = await db.selectFrom('users').selectAll().where('username', '=', searchable(username)).executeTakeFirst();
  return r === undefined ? undefined : userFromRow(r);
}

export async function listUsers(db: Kysely<DbSchema>): Promise<UserRecord[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('username').execute();
  return rows.map(userFromRow);
}

export async function countUsers(db: Kysely<DbSchema>): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function updateUser(db: Kysely<DbSchema>, id: string, patch: UserPatch, now: number): Promise<UserRecord | undefined> {
  check(UserPatchSchema, patch, 'user patch');
  storedTime(now, 'now');
  const set: Updateable<UsersTable> = { ...patch, disabled: patch.disabled === undefined ? undefined : patch.disabled ? 1 : 0, updated_at: now };
  const r = await db.updateTable('users').set(set).where('id', '=', searchable(id)).returningAll().executeTakeFirst();
  return r === undefined ? undefined : userFromRow(r);
}

function keyFromRow(r: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as ApiKeyRecord['role'],
    key_hash: r.key_hash,
    created_by: r.created_by,
    created_at: Number(r.created_at),
    expires_at: toNumOrNull(r.expires_at),
    last_used_at: toNumOrNull(r.last_used_at),
    revoked: toBool(r.revoked),
  };
}

export async function insertApiKey(db: Kysely<DbSchema>, k: ApiKeyRecord): Promise<void> {
  check(ApiKeyRecordSchema, k, 'API key');
  await orConflict(db.insertInto('api_keys').values({ ...k, revoked: k.revoked ? 1 : 0 }).execute(), `an API key with id ${JSON.stringify(k.id)}`);
}

export async function getApiKey(db: Kysely<DbSchema>, id: string): Promise<ApiKeyRecord | undefined> {
  const r = await db.selectFrom('api_keys').selectAll().where('id', '=', searchable(id)).executeTakeFirst();
  return r === undefined ? undefined : keyFromRow(r);
}

export async function listApiKeys(db: Kysely<DbSchema>): Promise<ApiKeyRecord[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(keyFromRow);
}

export async function updateApiKey(db: Kysely<DbSchema>, id: string, patch: Partial<Pick<ApiKeyRecord, 'revoked' | 'last_used_at'>>): Promise<ApiKeyRecord | undefined> {
  check(ApiKeyPatchSchema, patch, 'API key patch');
  if (patch.revoked === undefined && patch.last_used_at === undefined) return getApiKey(db, id);
  const set: Updateable<ApiKeysTable> = { last_used_at: patch.last_used_at, revoked: patch.revoked === undefined ? undefined : patch.revoked ? 1 : 0 };
  const r = await db.updateTable('api_keys').set(set).where('id', '=', searchable(id)).returningAll().executeTakeFirst();
  return r === undefined ? undefined : keyFromRow(r);
}

export async function getSecret(db: Kysely<DbSchema>, name: string): Promise<string | undefined> {
  const r = await db.selectFrom('server_secrets').select('value').where('name', '=', searchable(name)).executeTakeFirst();
  return r?.value;
}

/**
 * Insert-if-absent, then read back whatever is stored: on PostgreSQL a concurrent insert of the
 * same name makes this one wait for it and do nothing, and the read (a new statement) sees it.
 */
export async function putSecretIfAbsent(db: Kysely<DbSchema>, name: string, value: string, now: number): Promise<string> {
  check(SecretNameSchema, name, 'secret name');
  check(SecretValueSchema, value, 'secret value');
  storedTime(now, 'now');
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('server_secrets')
      .values({ name, value, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const r = await trx.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return r.value;
  });
}
