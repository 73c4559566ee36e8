import assert from 'node:assert/strict';
import { isAppError } from '../../../shared/app-error.js';
import type { ManualClock } from '../../../shared/clock.js';
import type { Page, Store } from '../../port.js';

/** What each contract test gets: a fresh, migrated store and the clock the store was built with. */
export interface ContractEnv {
  store: Store;
  clock: ManualClock;
}
export type EnvRef = () => ContractEnv;

/** Asserts the promise rejects with an AppError of `code` (and `status`, when given). */
export async function rejectsWith(p: Promise<unknown>, code: string, status?: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isAppError(e), `expected an AppError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (status !== undefined) assert.equal(e.status, status);
    return true;
  });
}

/** Follows next_cursor to the end, failing if the walk does not terminate. */
export async function allPages<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>, maxPages = 10_000): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= maxPages; pages++) {
    const page = await fetch(cursor);
    items.push(...page.items);
    if (page.next_cursor === null) return { items, pages };
    assert.ok(page.items.length > 0, 'a page with a next_cursor must not be empty');
    cursor = page.next_cursor;
  }
  assert.fail('pagination did not terminate');
}

/** Sorts newest first by (time, id) — the order every listing promises. */
export function newestFirst<T>(items: T[], key: (x: T) => [number, string | number]): T[] {
  return [...items].sort((a, b) => {
    const [ta, ia] = key(a);
    const [tb, ib] = key(b);
    if (ta !== tb) return tb - ta;
    return ia < ib ? 1 : ia > ib ? -1 : 0;
  });
}
