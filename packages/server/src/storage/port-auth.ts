import type { Role } from '@dio/protocol';

/**
 * The parts of the Store that hold identities: users, refresh tokens, API keys and server
 * secrets. Records carry hashes, never the secrets themselves. Times are epoch ms. Same error
 * codes as the Store (port.ts); a duplicate username or id is `store.conflict` (409).
 */
export interface UserRecord {
  id: string;
  username: string;
  /** argon2id PHC string. */
  password_hash: string;
  role: Role;
  disabled: boolean;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  /** Consecutive failed logins since the last success (drives lockout). */
  failed_logins: number;
  locked_until: number | null;
}

export type UserPatch = Partial<Pick<UserRecord, 'role' | 'disabled' | 'password_hash' | 'last_login_at' | 'failed_logins' | 'locked_until'>>;

export interface RefreshTokenRecord {
  /** sha256 hex of the opaque token. */
  token_hash: string;
  /** Every token descended from one login shares a family; reuse of a spent token revokes the family. */
  family_id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export type RotateResult =
  | { status: 'ok'; user_id: string; family_id: string }
  /** The token was already spent: someone replayed it. The family is revoked in the same transaction. */
  | { status: 'reused'; user_id: string; family_id: string }
  | { status: 'expired' | 'revoked' | 'unknown' };

export interface ApiKeyRecord {
  /** Public part of the key (it appears in the key string), used to look it up. */
  id: string;
  name: string;
  role: Role;
  /** sha256 hex of the secret part. */
  key_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked: boolean;
}

export interface AuthStore {
  /** `store.conflict` when the id or username exists. */
  insertUser(u: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | undefined>;
  getUserByName(username: string): Promise<UserRecord | undefined>;
  /** All users, by username. */
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;
  /** Merges the patch and sets updated_at = now; undefined when there is no such user. */
  updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord | undefined>;

  insertRefreshToken(t: RefreshTokenRecord): Promise<void>;
  /**
   * Spends `oldHash` and stores `next` in the same family, atomically: of two concurrent
   * rotations of one token exactly one gets `ok`, the other `reused` (and the family is revoked).
   * `next.family_id` and `next.user_id` are taken from the spent token.
   */
  rotateRefreshToken(oldHash: string, next: Omit<RefreshTokenRecord, 'family_id' | 'user_id'>, now: number): Promise<RotateResult>;
  /** Revokes every token of the family (logout); returns how many were live. */
  revokeRefreshFamily(familyId: string, now: number): Promise<number>;
  /** Revokes every token of the user (disable, password change). */
  revokeUserRefreshTokens(userId: string, now: number): Promise<number>;
  /** Forgets tokens that expired before `before`. */
  purgeRefreshTokens(before: number): Promise<number>;

  /** `store.conflict` when the id exists. */
  insertApiKey(k: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** All keys, newest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  updateApiKey(id: string, patch: Partial<Pick<ApiKeyRecord, 'revoked' | 'last_used_at'>>): Promise<ApiKeyRecord | undefined>;

  getSecret(name: string): Promise<string | undefined>;
  /**
   * Stores `value` under `name` unless one is there, and returns the stored value: two servers
   * starting at once on one database agree on a single secret.
   */
  putSecretIfAbsent(name: string, value: string, now: number): Promise<string>;
}
