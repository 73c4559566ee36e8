import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TELEMETRY_SERIES, TelemetrySampleSchema } from '@dio/protocol';
import { seriesOf } from './telemetry-series.js';
import { buildSample } from './testdata/sample-builder.js';

test('a sample becomes every TELEMETRY_SERIES value plus one series per core', () => {
  const s = buildSample({ ts: Date.UTC(2026, 0, 1), cpu: 37.5, cores: 2, mem: 61, swap: 5, load1: 1.25, disks: [40, 96.5, 10], rx: 1234, tx: 99, established: 42, listening: 7, processes: 321 });
  assert.ok(TelemetrySampleSchema.safeParse(s).success);
  const v = seriesOf(s);
  assert.deepEqual(v, {
    cpu_pct: 37.5,
    mem_pct: 61,
    swap_pct: 5,
    load1: 1.25,
    disk_max_pct: 96.5,
    net_rx_bps: 1234,
    net_tx_bps: 99,
    conn_established: 42,
    listening: 7,
    processes: 321,
    cpu_core_0: 37.5,
    cpu_core_1: 37.5,
  });
  assert.deepEqual(Object.keys(v).slice(0, TELEMETRY_SERIES.length), [...TELEMETRY_SERIES]);
});

test('series a sample cannot support are left out, not zero', () => {
  const s = buildSample({ ts: Date.UTC(2026, 0, 1), disks: [], cores: 0 });
  delete s.load.processes;
  const v = seriesOf(s);
  assert.equal('disk_max_pct' in v, false);
  assert.equal('processes' in v, false);
  assert.equal(Object.keys(v).some((k) => k.startsWith('cpu_core_')), false);
  assert.ok(Object.values(v).every(Number.isFinite));
});
