import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { HostInfoSchema, TelemetrySampleSchema } from '@dio/protocol';
import { createTelemetryCollector } from './telemetry-collector.js';

const linux = process.platform === 'linux' && existsSync('/proc/stat');

test('the real /proc of this machine gives samples that fit the schema', { skip: !linux && 'needs Linux /proc' }, async () => {
  const c = createTelemetryCollector({ primeMs: 100 });
  for (let i = 0; i < 2; i++) {
    const s = await c.sample();
    const r = TelemetrySampleSchema.safeParse(s);
    assert.deepEqual(r.error?.issues, undefined);
    assert.ok(s.cpu.cores_pct.length >= 1);
    assert.ok(s.memory.total_bytes > 0);
    assert.ok(s.processes.length >= 1);
    assert.ok((s.load.processes ?? 0) >= s.processes.length);
  }
  const h = await c.hostInfo();
  assert.deepEqual(HostInfoSchema.safeParse(h).error?.issues, undefined);
  assert.ok(h.hostname.length > 0);
});
