import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../shared/logger.js';
import { createDryRunFirewall } from './dry-run/dry-run-firewall.js';
import { compareBans, verifyFirewall } from './verify.js';

const NOW = Date.UTC(2026, 0, 1);
const e = (value: string, expiresAt = NOW + 60_000) => ({ value, expiresAt });

describe('verifyFirewall', () => {
  test('compares canonical forms', () => {
    assert.deepEqual(compareBans(['192.0.2.1', '2001:db8::1', '10.0.0.0/8'], [e('192.0.2.1/32'), e('2001:DB8:0::1/128'), e('10.1.2.3/8')], NOW), { ok: true, missing: [], unexpected: [] });
  });

  test('reports missing and unexpected entries', () => {
    assert.deepEqual(compareBans(['192.0.2.1', '198.51.100.0/24', 'junk'], [e('192.0.2.1'), e('203.0.113.5')], NOW), {
      ok: false,
      missing: ['203.0.113.5'],
      unexpected: ['198.51.100.0/24', 'junk'],
    });
  });

  test('entries covered by a broader present entry count as present; expired expectations are ignored', () => {
    assert.deepEqual(compareBans(['10.0.0.0/8', '2001:db8::/32'], [e('10.0.0.0/8'), e('10.200.1.2'), e('2001:db8::/32'), e('2001:db8:5::/48'), e('192.0.2.1', NOW - 1)], NOW), {
      ok: true,
      missing: [],
      unexpected: [],
    });
    assert.deepEqual(compareBans(['10.1.2.3'], [e('10.1.2.0/24')], NOW).missing, ['10.1.2.0/24']);
    assert.deepEqual(compareBans(['::/96'], [e('10.1.2.3')], NOW).missing, ['10.1.2.3'], 'families never cover each other');
  });

  test('invalid expectations are reported as missing, not thrown', () => {
    assert.deepEqual(compareBans([], [e('nope')], NOW).missing, ['nope']);
  });

  test('reads the firewall', async () => {
    const fw = createDryRunFirewall({ logger: silentLogger(), render: 'nftables' });
    await fw.apply([e('192.0.2.1', Date.now() + 60_000)], []);
    assert.equal((await verifyFirewall(fw, [e('192.0.2.1', Date.now() + 60_000)])).ok, true);
  });

  test('large sets compare quickly', () => {
    const present: string[] = [];
    const expected = [];
    for (let i = 0; i < 65_536; i++) {
      const v = `10.${(i >> 8) & 255}.${i & 255}.1`;
      present.push(v);
      expected.push(e(v));
    }
    const t0 = performance.now();
    assert.equal(compareBans(present, expected, NOW).ok, true);
    const ms = performance.now() - t0;
    assert.ok(ms < 20_000, `took ${ms} ms`);
  });
});
