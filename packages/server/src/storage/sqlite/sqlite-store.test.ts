import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../../shared/clock.js';
import { verifyAuditChain } from '../audit-chain.js';
import { runStoreContract } from '../store.case.test.js';
import { iso, makeAlert, makeEvent, makeTelemetryRow } from '../testdata/fixtures.js';
import { PURGE_CHUNK } from './event-queries.js';
import { createSqliteStore } from './sqlite-store.js';
import { FOLD_CHUNK } from './telemetry-queries.js';

runStoreContract('sqlite :memory:', ({ clock }) => Promise.resolve(createSqliteStore({ path: ':memory:', clock })));

const root = mkdtempSync(join(tmpdir(), 'dio-sqlite-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const tempPath = () => join(root, `t${++seq}`, 'data', 'dio.db');

runStoreContract('sqlite file', ({ clock }) => Promise.resolve(createSqliteStore({ path: tempPath(), clock })));

describe('sqlite specifics', () => {
  test('opens in WAL mode with synchronous=NORMAL, foreign keys and a busy timeout; creates the directory', async () => {
    const path = tempPath();
    assert.equal(existsSync(path), false);
    const store = createSqliteStore({ path, busyTimeoutMs: 1234 });
    await store.migrate();
    assert.deepEqual(store.settings(), { journal_mode: 'wal', synchronous: 1, foreign_keys: 1, busy_timeout: 1234 });
    await store.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal', 'WAL is persistent in the file');
    raw.close();
  });

  test('reopening a file keeps its data and continues the audit chain', async () => {
    const path = tempPath();
    const clock = new ManualClock();
    let store = createSqliteStore({ path, clock });
    await store.migrate();
    await store.insertEvents([makeEvent(), makeEvent()], { batchId: 'reopen-1' });
    const alert = makeAlert();
    await store.insertAlert(alert);
    await store.appendAudit({ actor: 'cli', action: 'a.one', target: 't', origin: 'cli' });
    await store.saveOffset({ source: 's', file_id: '1:2', offset: 10, head_hash: 'h', updated_at: iso(clock.now()) });
    await store.close();

    store = createSqliteStore({ path, clock });
    await store.migrate();
    assert.equal((await store.stats()).events, 2);
    assert.deepEqual(await store.getAlert(alert.id), alert);
    assert.equal((await store.insertEvents([makeEvent()], { batchId: 'reopen-1' })).duplicate, true);
    assert.equal((await store.getOffset('s'))?.offset, 10);
    await store.appendAudit({ actor: 'cli', action: 'a.two', target: 't', origin: 'cli' });
    const chain = await store.listAudit({ limit: 10 });
    assert.deepEqual(chain.map((r) => r.seq), [1, 2]);
    assert.deepEqual(verifyAuditChain(chain), { ok: true });
    await store.close();
  });

  test('verifyAuditChain catches a record edited or deleted in the database file itself', async () => {
    const path = tempPath();
    const store = createSqliteStore({ path });
    await store.migrate();
    for (let i = 0; i < 5; i++) await store.appendAudit({ actor: 'user:alice', action: 'decision.create', target: `decision:${i}`, origin: '127.0.0.1', after: { i } });
    const raw = new Database(path);
    raw.prepare(`update audit set actor = 'user:mallory' where seq = 2`).run();
    assert.deepEqual(verifyAuditChain(await store.listAudit({ limit: 100 })), { ok: false, brokenAt: 2 });
    raw.prepare(`update audit set actor = 'user:alice' where seq = 2`).run();
    assert.deepEqual(verifyAuditChain(await store.listAudit({ limit: 100 })), { ok: true });
    raw.prepare('delete from audit where seq = 3').run();
    assert.deepEqual(verifyAuditChain(await store.listAudit({ limit: 100 })), { ok: false, brokenAt: 4 });
    raw.close();
    await store.close();
  });

  test('purgeEvents works through more rows than one chunk', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await store.migrate();
    const t0 = Date.UTC(2026, 0, 1);
    const n = PURGE_CHUNK * 2 + 123;
    const base = makeEvent();
    const evs = Array.from({ length: n + 50 }, (_, i) => ({ ...base, '@timestamp': iso(t0 + i) }));
    for (let i = 0; i < evs.length; i += 1000) await store.insertEvents(evs.slice(i, i + 1000));
    // an insert issued while the purge runs gets in between chunks instead of waiting for the end
    const order: string[] = [];
    const purge = store.purgeEvents(t0 + n).then((x) => (order.push('purge'), x));
    const insert = store.insertEvents([{ ...base, '@timestamp': iso(t0 + 10 * n) }]).then((x) => (order.push('insert'), x));
    assert.equal(await purge, n);
    assert.equal((await insert).inserted, 1);
    assert.deepEqual(order, ['insert', 'purge']);
    assert.equal((await store.stats()).events, 51);
    await store.close();
  });

  test('downsampleTelemetry folds in chunks and lets other writes in between them', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await store.migrate();
    const t0 = Date.UTC(2026, 0, 1);
    const n = FOLD_CHUNK * 3 + 7;
    await store.telemetry.insertTelemetry(Array.from({ length: n }, (_, i) => makeTelemetryRow({ ts: t0 + i * 1000, resolution_s: 1, avg: { cpu_pct: 1 }, max: { cpu_pct: i } })));
    const order: string[] = [];
    const fold = store.telemetry.downsampleTelemetry(1, 3600, t0 + n * 1000).then((x) => (order.push('fold'), x));
    const write = store.appendAudit({ actor: 'cli', action: 'a', target: 't', origin: 'cli' }).then(() => order.push('write'));
    assert.equal(await fold, n);
    await write;
    assert.deepEqual(order, ['write', 'fold']);
    const [bucket] = await store.telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 3600, limit: 10 });
    assert.deepEqual({ ts: bucket?.ts, avg: bucket?.avg, max: bucket?.max }, { ts: t0, avg: { cpu_pct: 1 }, max: { cpu_pct: n - 1 } });
    await store.close();
  });

  test('the statement cache stays correct across many distinct statements', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await store.migrate();
    // batch sizes 1..300 produce 300 distinct INSERT statements, more than the cache holds
    let total = 0;
    for (let k = 1; k <= 300; k++) {
      await store.insertEvents(Array.from({ length: k }, () => makeEvent()));
      total += k;
    }
    assert.equal((await store.stats()).events, total);
    await store.close();
  });
});
