import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { isAppError } from '../../shared/app-error.js';
import { createLogger } from '../../shared/logger.js';
import { makeEvent } from '../testdata/fixtures.js';
import { createSqliteStore } from './sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'dio-sqlite-fail-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const tempPath = () => join(root, `t${++seq}`, 'dio.db');

async function errorOf(p: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isAppError(e), `expected an AppError, got ${String(e)}`);
    return { code: e.code, status: e.status, message: e.message };
  }
  assert.fail('expected a rejection');
}

async function seeded(path: string): Promise<void> {
  const store = createSqliteStore({ path });
  await store.migrate();
  await store.insertEvents([makeEvent()]);
  await store.close();
}

describe('sqlite failure modes', () => {
  test('a batch that fails half-way stores nothing and leaves its batch id unused', async () => {
    const path = tempPath();
    const store = createSqliteStore({ path });
    await store.migrate();
    const raw = new Database(path);
    raw.exec(`create trigger boom before insert on events when new.message = 'boom' begin select raise(abort, 'disk on fire'); end`);
    // 1000 events: the failing one is in the second 500-row statement, after the first one succeeded
    const evs = Array.from({ length: 1000 }, (_, i) => makeEvent({ message: i === 800 ? 'boom' : `line ${i}` }));
    const err = await errorOf(store.insertEvents(evs, { batchId: 'half-1' }));
    assert.equal(err.code, 'store.write_failed');
    assert.match(err.message, /insertEvents failed: disk on fire/);
    assert.equal((await store.stats()).events, 0);
    raw.exec('drop trigger boom');
    raw.close();
    assert.deepEqual(await store.insertEvents(evs, { batchId: 'half-1' }), { inserted: 1000, duplicate: false });
    await store.close();
  });

  test('a read-only store serves reads, refuses writes with store.write_failed, and logs once', async () => {
    const path = tempPath();
    await seeded(path);
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const store = createSqliteStore({ path, readonly: true, logger: createLogger({ level: 'info', destination: sink }) });
    await store.migrate(); // already at the latest schema: nothing to write
    assert.equal((await store.stats()).events, 1);
    for (let i = 0; i < 3; i++) {
      const err = await errorOf(store.insertEvents([makeEvent()]));
      assert.deepEqual([err.code, err.status], ['store.write_failed', 503]);
      assert.match(err.message, /^store: insertEvents failed: attempt to write a readonly database \(SQLITE_READONLY\)$/);
    }
    assert.equal(lines.filter((l) => l.includes('insertEvents failed')).length, 1, 'repeated failures are logged once');
    await store.close();
  });

  test('the database file removed while open: store.unavailable instead of silently lost writes', async () => {
    const path = tempPath();
    const store = createSqliteStore({ path });
    await store.migrate();
    await store.insertEvents([makeEvent()]);
    rmSync(dirname(path), { recursive: true, force: true });
    const err = await errorOf(store.insertEvents([makeEvent()]));
    assert.deepEqual([err.code, err.status], ['store.unavailable', 503]);
    assert.match(err.message, /was removed or replaced while open/);
    assert.equal((await errorOf(store.listAlerts({ limit: 1 }))).code, 'store.unavailable');
    await store.close();
  });

  test('a write lock held by another process: store.write_failed after the busy timeout, then recovery', async () => {
    const path = tempPath();
    const store = createSqliteStore({ path, busyTimeoutMs: 50 });
    await store.migrate();
    const other = new Database(path);
    other.exec('begin immediate');
    const err = await errorOf(store.insertEvents([makeEvent()], { batchId: 'locked-1' }));
    assert.equal(err.code, 'store.write_failed');
    assert.match(err.message, /database is locked \(SQLITE_BUSY\)/);
    assert.equal((await store.stats()).events, 0, 'reads still work under WAL');
    other.exec('rollback');
    other.close();
    assert.deepEqual(await store.insertEvents([makeEvent()], { batchId: 'locked-1' }), { inserted: 1, duplicate: false });
    await store.close();
  });

  test('opening something that is not a usable database fails with store.unavailable', () => {
    const dir = join(root, `t${++seq}`);
    mkdirSync(join(dir, 'is-a-dir.db'), { recursive: true });
    writeFileSync(join(dir, 'garbage.db'), 'this is not an SQLite database, just some text that is long enough to have a header'.repeat(20));
    for (const [path, opts] of [
      [join(dir, 'is-a-dir.db'), {}],
      [join(dir, 'garbage.db'), {}],
      [join(dir, 'missing.db'), { readonly: true }],
      ['', {}],
    ] as const) {
      assert.throws(
        () => createSqliteStore({ path, ...opts }),
        (e: unknown) => isAppError(e) && e.code === 'store.unavailable' && e.status === 503 && e.message.includes(path),
      );
    }
  });
});

describe('sqlite read-only file', () => {
  const child = fileURLToPath(new URL('./testdata/readonly-child.ts', import.meta.url));
  const repo = fileURLToPath(new URL('../../../../../', import.meta.url));

  test('a database file made read-only (chmod 444): reads work, writes fail with store.write_failed, no crash', async (t) => {
    const path = tempPath();
    await seeded(path);
    chmodSync(path, 0o444);
    // root ignores file modes, so as root the child runs as "nobody"; the directory stays writable
    // so SQLite can create its shared-memory file next to the database, as on a real host.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chmodSync(dirname(path), 0o777);
      chmodSync(root, 0o755);
    }
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, path], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, DIO_LOG_LEVEL: 'silent' },
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    if (r.error !== undefined && 'code' in r.error && r.error.code === 'EPERM') {
      t.skip('running as root without the right to switch to an unprivileged user');
      return;
    }
    assert.equal(r.status, 0, `child failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual(out.migrate, { ok: true });
    assert.deepEqual(out.read, { ok: 0 });
    assert.equal(out.insert.code, 'store.write_failed');
    assert.equal(out.insert.status, 503);
    assert.match(out.insert.message, /readonly database/);
    assert.equal(out.audit.code, 'store.write_failed');
  });
});
