import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadSummarySchema } from '@dio/protocol';
import { ManualClock } from '../../shared/clock.js';
import { createSelfUsage } from './self-usage.js';

test('self usage: CPU % of one core since the previous call, RSS now', () => {
  const clock = new ManualClock();
  let cpu = 2_000_000; // 2 s of CPU over 20 s of uptime
  const u = createSelfUsage({ clock, cpuMicros: () => cpu, rssBytes: () => 50_000_000, uptimeS: () => 20 });
  assert.deepEqual(u.selfUsage(), { agent_rss_bytes: 50_000_000, agent_cpu_pct: 10 });
  clock.advance(10_000);
  cpu += 50_000; // 50 ms in 10 s
  assert.deepEqual(u.selfUsage(), { agent_rss_bytes: 50_000_000, agent_cpu_pct: 0.5 });
  assert.equal(u.selfUsage().agent_cpu_pct, 0, 'no time elapsed');
});

test('self usage of this process fits the heartbeat load summary', () => {
  const u = createSelfUsage();
  u.selfUsage();
  const r = u.selfUsage();
  assert.ok(r.agent_rss_bytes > 1_000_000);
  assert.ok(LoadSummarySchema.safeParse(r).success);
});
