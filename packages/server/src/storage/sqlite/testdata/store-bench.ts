/**
 * Measures the SQLite store on a temp file: insertEvents of 100,000 events in batches of 1,000,
 * and listAlerts over 100,000 alerts (first page, a page deep into the listing, a filtered page).
 * Run: node --import tsx packages/server/src/storage/sqlite/testdata/store-bench.ts [events] [alerts]
 * Not a test: timings vary by machine, so nothing asserts them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@dio/protocol';
import { createSqliteStore } from '../sqlite-store.js';
import { iso, makeAlert, makeEvent } from '../../testdata/fixtures.js';

const N_EVENTS = Number(process.argv[2] ?? 100_000);
const N_ALERTS = Number(process.argv[3] ?? 100_000);
const BASE = Date.UTC(2026, 0, 1);

const dir = mkdtempSync(join(tmpdir(), 'dio-store-bench-'));
const store = createSqliteStore({ path: join(dir, 'dio.db') });
try {
  await store.migrate();
  const base = makeEvent();
  const events = Array.from({ length: N_EVENTS }, (_, i) => ({
    ...base,
    '@timestamp': iso(BASE + i * 10),
    message: `Failed password for invalid user u${i % 977} from 203.0.113.${i % 250} port ${1024 + (i % 60000)} ssh2`,
    source: { ip: `203.0.113.${i % 250}`, port: 1024 + (i % 60000) },
  }));
  let t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < events.length; i += 1000) await store.insertEvents(events.slice(i, i + 1000), { batchId: `bench-${i}` });
  let ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  // CPU time is reported too: on a shared machine it varies far less than wall time.
  console.log(`insertEvents: ${N_EVENTS} events in ${ms.toFixed(0)} ms = ${Math.round((N_EVENTS / ms) * 1000)} events/s; CPU ${cpuMs.toFixed(0)} ms = ${Math.round((N_EVENTS / cpuMs) * 1000)} events per CPU-second (batches of 1000, with batch ids)`);

  t0 = performance.now();
  const q1 = await store.queryEvents({ limit: 100 });
  const q2 = await store.queryEvents({ limit: 100, source_ip: '203.0.113.9', text: 'U97' });
  console.log(`queryEvents: first page ${(performance.now() - t0).toFixed(1)} ms for two queries (${q1.items.length}, ${q2.items.length} items)`);

  const proto = makeAlert();
  const sev = ['low', 'medium', 'high', 'critical'] as const;
  t0 = performance.now();
  const cpuA = process.cpuUsage();
  for (let i = 0; i < N_ALERTS; i++) {
    const a: Alert = { ...proto, id: `al-${String(i).padStart(8, '0')}`, created_at: iso(BASE + Math.floor(i / 3) * 1000), severity: sev[i % 4]!, scenario: i % 10 === 0 ? 'port-scan' : 'ssh-bruteforce' };
    await store.insertAlert(a);
  }
  ms = performance.now() - t0;
  const acpu = process.cpuUsage(cpuA);
  console.log(`insertAlert: ${N_ALERTS} alerts one by one in ${ms.toFixed(0)} ms = ${Math.round((N_ALERTS / ms) * 1000)} alerts/s; CPU ${((acpu.user + acpu.system) / 1000).toFixed(0)} ms`);

  const time = async (label: string, fn: () => Promise<unknown>) => {
    const runs = 20;
    await fn();
    const s = performance.now();
    for (let i = 0; i < runs; i++) await fn();
    console.log(`${label}: ${((performance.now() - s) / runs).toFixed(2)} ms`);
  };
  await time('listAlerts first page (100)', () => store.listAlerts({ limit: 100 }));
  let cursor: string | null = null;
  let pages = 0;
  t0 = performance.now();
  do {
    const p: Awaited<ReturnType<typeof store.listAlerts>> = await store.listAlerts({ limit: 100, ...(cursor === null ? {} : { cursor }) });
    cursor = p.next_cursor;
    pages++;
    if (pages === Math.floor(N_ALERTS / 100 / 2)) {
      const deep = cursor;
      await time(`listAlerts deep page (after ${pages * 100} rows)`, () => store.listAlerts({ limit: 100, cursor: deep! }));
    }
  } while (cursor !== null);
  console.log(`listAlerts: walked all ${pages} pages of 100 in ${(performance.now() - t0).toFixed(0)} ms`);
  await time('listAlerts filtered (scenario=port-scan, severity=high)', () => store.listAlerts({ limit: 100, scenario: 'port-scan', severity: 'high' }));
  console.log('stats:', await store.stats());
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
