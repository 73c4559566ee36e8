import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../shared/app-error.js';
import type { BanEntry, Firewall } from './port.js';
import { verifyFirewall } from './verify.js';

/**
 * The Firewall contract every adapter runs (dry-run always; nftables and iptables inside a
 * network namespace the test creates). Each test gets a fresh firewall from `make` and hands it
 * to `dispose` afterwards, even when it fails. Addresses come from the documentation ranges.
 */
export interface ContractOptions {
  /** A skip message (e.g. 'needs root and nft'), or false/undefined to run. */
  skip?: string | false;
}

const HOUR = 3_600_000;
const ban = (value: string, ttlMs = HOUR): BanEntry => ({ value, expiresAt: Date.now() + ttlMs });

export function runFirewallContract(name: string, make: () => Promise<Firewall>, dispose: (fw: Firewall) => Promise<void>, opts: ContractOptions = {}): void {
  const withFw = async (fn: (fw: Firewall) => Promise<void>): Promise<void> => {
    const fw = await make();
    try {
      await fw.init();
      await fn(fw);
    } finally {
      await dispose(fw);
    }
  };

  describe(`Firewall contract: ${name}`, { skip: opts.skip || undefined }, () => {
    test('init is idempotent and starts empty', () =>
      withFw(async (fw) => {
        await fw.init();
        assert.deepEqual(await fw.list(), []);
        await fw.apply([ban('192.0.2.1')], []);
        await fw.init(); // re-init keeps the contents
        assert.deepEqual(await fw.list(), ['192.0.2.1']);
      }));

    test('adds IPv4, IPv6 and CIDRs and lists them canonically', () =>
      withFw(async (fw) => {
        const r = await fw.apply([ban('192.0.2.1'), ban('2001:DB8:0:0::1'), ban('198.51.100.7/24'), ban('2001:db8:abcd::/48'), ban('203.0.113.9/32')], []);
        assert.equal(r.added, 5);
        assert.ok(r.commands.length > 0 && r.commands.every((c) => typeof c === 'string'));
        assert.deepEqual(await fw.list(), ['192.0.2.1', '198.51.100.0/24', '203.0.113.9', '2001:db8::1', '2001:db8:abcd::/48']);
        assert.deepEqual(await verifyFirewall(fw, [ban('192.0.2.1'), ban('2001:db8::1'), ban('198.51.100.0/24'), ban('2001:db8:abcd::/48'), ban('203.0.113.9')]), { ok: true, missing: [], unexpected: [] });
      }));

    test('re-adding refreshes the timeout and is idempotent', () =>
      withFw(async (fw) => {
        await fw.apply([ban('192.0.2.2', 60_000), ban('2001:db8::2', 60_000)], []);
        const again = await fw.apply([ban('192.0.2.2', 2 * HOUR), ban('2001:db8::2', 2 * HOUR)], []);
        assert.equal(again.added, 2);
        await fw.apply([ban('192.0.2.2', 2 * HOUR)], []);
        assert.deepEqual(await fw.list(), ['192.0.2.2', '2001:db8::2']);
        for (const e of await fw.entries()) {
          assert.ok(e.expiresAt !== null && e.expiresAt > Date.now() + HOUR, `${e.value} expires at ${e.expiresAt}, not refreshed`);
        }
      }));

    test('removes present entries; removing absent ones is a no-op', () =>
      withFw(async (fw) => {
        await fw.apply([ban('192.0.2.3'), ban('192.0.2.4'), ban('2001:db8::3')], []);
        const r1 = await fw.apply([], ['192.0.2.3', '2001:DB8::3']);
        assert.equal(r1.removed, 2);
        const r2 = await fw.apply([], ['192.0.2.3', '198.51.100.99', '2001:db8::99']);
        assert.equal(r2.removed, 0);
        assert.deepEqual(await fw.list(), ['192.0.2.4']);
      }));

    test('a value both added and removed in one batch ends up added', () =>
      withFw(async (fw) => {
        await fw.apply([ban('192.0.2.5')], []);
        await fw.apply([ban('192.0.2.5')], ['192.0.2.5']);
        assert.deepEqual(await fw.list(), ['192.0.2.5']);
      }));

    test('nested ranges are enforced, and the inner ban survives removing the outer', () =>
      withFw(async (fw) => {
        await fw.apply([ban('198.51.100.9')], []);
        await fw.apply([ban('198.51.100.0/24'), ban('2001:db8:1::/48'), ban('2001:db8:1::7')], []);
        const all = [ban('198.51.100.9'), ban('198.51.100.0/24'), ban('2001:db8:1::/48'), ban('2001:db8:1::7')];
        assert.deepEqual((await verifyFirewall(fw, all)).missing, []);
        await fw.apply([], ['198.51.100.0/24', '2001:db8:1::/48']);
        assert.deepEqual(await fw.list(), ['198.51.100.9', '2001:db8:1::7']);
        assert.equal((await verifyFirewall(fw, [ban('198.51.100.9'), ban('2001:db8:1::7')])).ok, true);
      }));

    test('list reads back what apply wrote, and verify reports drift', () =>
      withFw(async (fw) => {
        await fw.apply([ban('192.0.2.6'), ban('2001:db8::6')], []);
        assert.deepEqual(await verifyFirewall(fw, [ban('192.0.2.6'), ban('2001:db8::6'), ban('192.0.2.7')]), { ok: false, missing: ['192.0.2.7'], unexpected: [] });
        assert.deepEqual(await verifyFirewall(fw, [ban('192.0.2.6')]), { ok: false, missing: [], unexpected: ['2001:db8::6'] });
      }));

    test('sync replaces the contents', () =>
      withFw(async (fw) => {
        await fw.apply([ban('192.0.2.8'), ban('192.0.2.9'), ban('2001:db8::8')], []);
        const r = await fw.sync([ban('192.0.2.9'), ban('192.0.2.10'), ban('2001:db8::10'), ban('198.51.100.0/24'), ban('198.51.100.1')]);
        assert.equal(r.added, 5);
        assert.equal(r.removed, 2);
        assert.equal((await verifyFirewall(fw, [ban('192.0.2.9'), ban('192.0.2.10'), ban('2001:db8::10'), ban('198.51.100.0/24'), ban('198.51.100.1')])).ok, true);
        await fw.sync([]);
        assert.deepEqual(await fw.list(), []);
      }));

    test('invalid entries fail the whole batch before anything changes', () =>
      withFw(async (fw) => {
        await fw.apply([ban('192.0.2.11')], []);
        for (const bad of ['not-an-ip', '0.0.0.0/0', '::/0', '192.0.2.1/33', '192.0.2.1; flush ruleset', '']) {
          await assert.rejects(fw.apply([ban('192.0.2.12'), ban(bad)], []), (e: unknown) => e instanceof AppError && e.code === 'firewall.invalid_entry', bad);
        }
        await assert.rejects(fw.apply([], ['-F']), (e: unknown) => e instanceof AppError && e.code === 'firewall.invalid_entry');
        assert.deepEqual(await fw.list(), ['192.0.2.11']);
      }));

    test('entries already expired are skipped', () =>
      withFw(async (fw) => {
        const r = await fw.apply([{ value: '192.0.2.13', expiresAt: Date.now() - 1000 }], []);
        assert.equal(r.added, 0);
        assert.deepEqual(await fw.list(), []);
      }));

    test('teardown removes everything, twice is fine, and init works again', () =>
      withFw(async (fw) => {
        await fw.apply([ban('192.0.2.14'), ban('2001:db8::14')], []);
        await fw.teardown();
        await fw.teardown();
        assert.deepEqual(await fw.list(), []);
        await fw.init();
        await fw.apply([ban('192.0.2.15')], []);
        assert.deepEqual(await fw.list(), ['192.0.2.15']);
      }));
  });
}
