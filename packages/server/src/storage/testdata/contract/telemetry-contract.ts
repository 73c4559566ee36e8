import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TelemetryRow } from '../../port-agents.js';
import { makeTelemetryRow } from '../fixtures.js';
import { rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const S = 1000;

const close = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

/** Raw 10 s rows with cpu_pct = i and mem_pct = 2i (max = value + 1) for i = 0..count-1 from `start`. */
function rawRows(agent_id: string, start: number, count: number, step = 10): TelemetryRow[] {
  return Array.from({ length: count }, (_, i) => makeTelemetryRow({ agent_id, resolution_s: step, ts: start + i * step * S, avg: { cpu_pct: i, mem_pct: 2 * i }, max: { cpu_pct: i + 1, mem_pct: 2 * i + 1 }, sample: { i } }));
}

export function telemetryContract(env: EnvRef): void {
  describe('telemetry', () => {
    test('insertTelemetry upserts by (agent, resolution, ts); queryTelemetry is oldest first, bounded, without samples', async () => {
      const { telemetry } = env().store;
      await telemetry.insertTelemetry([...rawRows('web01', T0, 6), ...rawRows('db01', T0, 2)]);
      const q = await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, limit: 100 });
      assert.deepEqual(q.map((r) => r.ts), [0, 1, 2, 3, 4, 5].map((i) => T0 + i * 10 * S));
      assert.deepEqual(q[2], { agent_id: 'web01', ts: T0 + 20 * S, resolution_s: 10, avg: { cpu_pct: 2, mem_pct: 4 }, max: { cpu_pct: 3, mem_pct: 5 }, sample: null });
      assert.deepEqual((await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, since: T0 + 10 * S, until: T0 + 30 * S, limit: 100 })).map((r) => r.ts), [T0 + 10 * S, T0 + 20 * S]);
      assert.equal((await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, limit: 2 })).length, 2);
      assert.deepEqual(await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 60, limit: 100 }), []);

      const replaced = makeTelemetryRow({ agent_id: 'web01', ts: T0, avg: { cpu_pct: 99 }, max: { cpu_pct: 100 }, sample: { again: true } });
      await telemetry.insertTelemetry([makeTelemetryRow({ agent_id: 'web01', ts: T0, avg: { cpu_pct: 1 } }), replaced]);
      const [first] = await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, limit: 1 });
      assert.deepEqual(first, { ...replaced, sample: null }, 'the last row of a batch wins');
      assert.equal((await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, limit: 100 })).length, 6);
      await telemetry.insertTelemetry([]);
    });

    test('latestTelemetry is the newest raw row with its sample', async () => {
      const { telemetry } = env().store;
      assert.equal(await telemetry.latestTelemetry('web01'), undefined);
      const rows = rawRows('web01', T0, 3);
      await telemetry.insertTelemetry(rows);
      await telemetry.downsampleTelemetry(10, 60, T0 + 20 * S);
      assert.deepEqual(await telemetry.latestTelemetry('web01'), rows[2]);
      await telemetry.insertTelemetry([makeTelemetryRow({ agent_id: 'db01', ts: T0 + 3600 * S })]);
      assert.deepEqual(await telemetry.latestTelemetry('web01'), rows[2], 'other agents do not interfere');
    });

    test('downsampleTelemetry folds old rows into epoch-aligned buckets: weighted avg, max of max, merged across runs', async () => {
      const { telemetry } = env().store;
      // 12 raw rows per agent: T0 .. T0+110 s, i.e. two 60 s buckets
      await telemetry.insertTelemetry([...rawRows('web01', T0, 12), ...rawRows('db01', T0, 12)]);
      // first run folds only the first 9 rows of each agent (ts < T0 + 90 s)
      assert.equal(await telemetry.downsampleTelemetry(10, 60, T0 + 90 * S), 18);
      let b = await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 60, limit: 10 });
      assert.deepEqual(b.map((r) => r.ts), [T0, T0 + 60 * S]);
      close(b[0]!.avg.cpu_pct, 2.5, 'avg of 0..5');
      assert.equal(b[0]!.max.cpu_pct, 6);
      close(b[1]!.avg.cpu_pct, 7, 'avg of 6..8 so far');
      assert.equal(b[1]!.sample, null);
      assert.equal((await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, limit: 100 })).length, 3, 'folded rows are gone');
      // second run folds the rest into the existing bucket, weighted by the points each side holds
      assert.equal(await telemetry.downsampleTelemetry(10, 60, T0 + 3600 * S), 6);
      b = await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 60, limit: 10 });
      close(b[1]!.avg.cpu_pct, 8.5, 'avg of 6..11, not avg(7, 10)');
      close(b[1]!.avg.mem_pct, 17, 'mem avg of 12..22');
      assert.equal(b[1]!.max.mem_pct, 23);
      assert.equal((await telemetry.queryTelemetry({ agent_id: 'db01', resolution_s: 60, limit: 10 })).length, 2);
      assert.equal(await telemetry.downsampleTelemetry(10, 60, T0 + 3600 * S), 0);
      // a second level folds the 60 s buckets and keeps the weights of the raw points
      assert.equal(await telemetry.downsampleTelemetry(60, 3600, T0 + 3600 * S), 4);
      const [hour] = await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 3600, limit: 10 });
      close(hour?.avg.cpu_pct, 5.5, 'avg of 0..11');
      assert.equal(hour?.max.cpu_pct, 12);
    });

    test('downsampleTelemetry works through more rows than one chunk, exactly', async () => {
      const { telemetry } = env().store;
      const n = 1234;
      await telemetry.insertTelemetry(rawRows('web01', T0, n, 1));
      assert.equal(await telemetry.downsampleTelemetry(1, 600, T0 + n * S), n);
      const buckets = await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 600, limit: 10 });
      assert.deepEqual(buckets.map((r) => r.ts), [T0, T0 + 600 * S, T0 + 1200 * S]);
      close(buckets[0]!.avg.cpu_pct, 299.5, 'bucket 0: avg of 0..599');
      close(buckets[1]!.avg.cpu_pct, 899.5, 'bucket 1: avg of 600..1199');
      close(buckets[2]!.avg.cpu_pct, 1216.5, 'bucket 2: avg of 1200..1233');
      assert.equal(buckets[2]!.max.cpu_pct, n);
    });

    test('purgeTelemetry deletes one resolution older than before; bad arguments are refused', async () => {
      const { telemetry } = env().store;
      await telemetry.insertTelemetry([...rawRows('web01', T0, 5), makeTelemetryRow({ resolution_s: 60, ts: T0, sample: null })]);
      assert.equal(await telemetry.purgeTelemetry(10, T0 + 30 * S), 3);
      assert.deepEqual((await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, limit: 10 })).map((r) => r.ts), [T0 + 30 * S, T0 + 40 * S]);
      assert.equal((await telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 60, limit: 10 })).length, 1);
      assert.equal(await telemetry.purgeTelemetry(10, T0), 0);

      await rejectsWith(telemetry.downsampleTelemetry(60, 60, T0), 'store.invalid_input', 400);
      await rejectsWith(telemetry.downsampleTelemetry(10, 1.5, T0), 'store.invalid_input', 400);
      await rejectsWith(telemetry.purgeTelemetry(0, T0), 'store.invalid_input', 400);
      await rejectsWith(telemetry.insertTelemetry([makeTelemetryRow({ agent_id: '' })]), 'store.invalid_input', 400);
      await rejectsWith(telemetry.insertTelemetry([makeTelemetryRow({ avg: { cpu_pct: Number.NaN } })]), 'store.invalid_input', 400);
      await rejectsWith(telemetry.insertTelemetry([makeTelemetryRow({ ts: 1.5 })]), 'store.invalid_input', 400);
      await rejectsWith(telemetry.queryTelemetry({ agent_id: 'web01', resolution_s: 10, since: Number.NaN, limit: 1 }), 'store.invalid_input', 400);
    });
  });
}
