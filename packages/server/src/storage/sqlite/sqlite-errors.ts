import { AppError, errorMessage, isAppError } from '../../shared/app-error.js';

/** The SQLite result code name (SQLITE_READONLY, SQLITE_BUSY …) of a better-sqlite3 error. */
export function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** The database file itself is unusable (not a database, corrupt, cannot be opened). */
const UNAVAILABLE = /^SQLITE_(CANTOPEN|NOTADB|CORRUPT)/;
const CONFLICT = /^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)$/;

/**
 * Maps a failure of store operation `op` to an AppError. Driver failures are 503 (the database is
 * read-only, full, locked or broken: retry later); anything else that escaped is a 500.
 */
export function toStoreError(op: string, kind: 'read' | 'write', e: unknown): AppError {
  if (isAppError(e)) return e;
  const code = sqliteCode(e);
  const reason = code === undefined ? errorMessage(e) : `${errorMessage(e)} (${code})`;
  if (code !== undefined && CONFLICT.test(code)) {
    return new AppError('store.conflict', `store: ${op} failed: a record with this id already exists`, { status: 409, cause: e });
  }
  if (code !== undefined && UNAVAILABLE.test(code)) {
    return new AppError('store.unavailable', `store: ${op} failed: the database is unusable: ${reason}`, { status: 503, cause: e });
  }
  return new AppError(kind === 'write' ? 'store.write_failed' : 'store.read_failed', `store: ${op} failed: ${reason}`, { status: code === undefined ? 500 : 503, cause: e });
}
