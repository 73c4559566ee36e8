import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isIP } from '@dio/protocol';
import { canonicalIp } from './ip-canon.js';

test('IPv4 is accepted as written, without leading zeros or extra parts', () => {
  assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1');
  assert.equal(canonicalIp('0.0.0.0'), '0.0.0.0');
  assert.equal(canonicalIp('255.255.255.255'), '255.255.255.255');
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '1..2.3', '1.2.3.4 ', ' 1.2.3.4', '', 'a.b.c.d', '1.2.3.-4']) {
    assert.equal(canonicalIp(bad), undefined, bad);
  }
});

test('IPv6 is canonicalised per RFC 5952', () => {
  assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalIp('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIp('::'), '::');
  assert.equal(canonicalIp('::1'), '::1');
  assert.equal(canonicalIp('fe80::'), 'fe80::');
  assert.equal(canonicalIp('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(canonicalIp('1:2:3:4:5:6:7:0'), '1:2:3:4:5:6:7:0');
  assert.equal(canonicalIp('64:ff9b::192.0.2.33'), '64:ff9b::c000:221');
});

test('IPv4-mapped IPv6 becomes the IPv4 address', () => {
  assert.equal(canonicalIp('::ffff:203.0.113.5'), '203.0.113.5');
  assert.equal(canonicalIp('::FFFF:cb00:7105'), '203.0.113.5');
  assert.equal(canonicalIp('0:0:0:0:0:ffff:1.2.3.4'), '1.2.3.4');
});

test('invalid IPv6 and zone ids are refused', () => {
  for (const bad of ['1::2::3', ':1:2', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', 'g::1', '1.2.3.4::', '::1.2.3', '1:2:3:4:5:6:7', ':::']) {
    assert.equal(canonicalIp(bad), undefined, bad);
  }
});

test('whatever canonicalIp returns is a valid IP, and canonical forms are fixed points', () => {
  const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), v6, fc.string({ maxLength: 50 })), (s) => {
      const c = canonicalIp(s);
      if (c === undefined) return;
      assert.ok(isIP(c), `${s} → ${c}`);
      assert.equal(canonicalIp(c), c);
    }),
    { numRuns: 3000 },
  );
});
