import { AppError } from '../../shared/app-error.js';

/**
 * Input checks and keyset paging shared by the query modules. A cursor is base64url JSON of the last
 * row's (time, id) key; it is opaque to clients and validated on the way back in.
 */
export interface CursorKey<Id extends string | number> {
  t: number;
  id: Id;
}

export const MAX_PAGE = 1000;

export function encodeCursor(t: number, id: string | number): string {
  return Buffer.from(JSON.stringify([t, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, idKind: 'string'): CursorKey<string>;
export function decodeCursor(cursor: string, idKind: 'number'): CursorKey<number>;
export function decodeCursor(cursor: string, idKind: 'string' | 'number'): CursorKey<string | number> {
  const bad = () => new AppError('store.invalid_cursor', 'store: the page cursor is malformed (pass back next_cursor unchanged)', { status: 400 });
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 2) throw bad();
  const [t, id] = v as [unknown, unknown];
  if (typeof t !== 'number' || !Number.isSafeInteger(t)) throw bad();
  if (idKind === 'number' ? typeof id !== 'number' || !Number.isSafeInteger(id) : typeof id !== 'string' || id.length > 128) throw bad();
  return { t, id: id as string | number };
}

/** Limits outside 1..max are clamped rather than refused: callers asked for "a page". */
export function clampLimit(limit: number | undefined, max = MAX_PAGE, fallback = 100): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(limit)));
}

/** Epoch ms of an ISO-8601 timestamp; a clear 400 when it does not parse. */
export function isoToMs(value: string, what: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new AppError('store.invalid_input', `store: ${what} is not a valid timestamp: ${JSON.stringify(String(value).slice(0, 64))}`, { status: 400 });
  return ms;
}

export function requireEpochMs(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value)) throw new AppError('store.invalid_input', `store: ${what} must be epoch milliseconds`, { status: 400 });
  return value;
}

/** Escapes LIKE wildcards for use with `ESCAPE '\'` (the same on SQLite and PostgreSQL). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Slices the limit+1 rows a page query fetched into a page and the cursor of its last item. */
export function toPage<R, T>(rows: R[], limit: number, key: (r: R) => [number, string | number], map: (r: R) => T): { items: T[]; next_cursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  const next_cursor = more && last !== undefined ? encodeCursor(...key(last)) : null;
  return { items: kept.map(map), next_cursor };
}

/** A 400 naming the first schema issue, for inputs that fail their protocol zod schema. */
export function invalidInput(what: string, error: { issues: { path: PropertyKey[]; message: string }[] }): AppError {
  const first = error.issues[0];
  const where = first === undefined ? '' : ` at ${first.path.map(String).join('.') || '(root)'}: ${first.message}`;
  return new AppError('store.invalid_input', `store: invalid ${what}${where}`, { status: 400, details: error.issues });
}

const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

/**
 * Text columns other than the JSON document are copies kept for filtering. PostgreSQL refuses NUL
 * in text and both dialects turn lone surrogates into U+FFFD, so copies — and the filter values
 * compared with them — are normalised the same way; the document keeps the exact value.
 */
export function searchable(s: string): string {
  const w = toWellFormed(s);
  return w.includes('\0') ? w.replaceAll('\0', '\uFFFD') : w;
}

export function searchableOrNull(s: string | undefined): string | null {
  return s === undefined ? null : searchable(s);
}

/** Identifiers and other authoritative text must survive every dialect unchanged. */
export function cleanText(v: unknown, what: string, max: number, min = 1): string {
  if (typeof v !== 'string' || v.length < min || v.length > max || searchable(v) !== v) {
    throw new AppError('store.invalid_input', `store: ${what} must be ${min}..${max} characters of well-formed text without NUL`, { status: 400 });
  }
  return v;
}
