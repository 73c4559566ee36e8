import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isIP, isIPv4, isIPv6, isCIDR } from './ip.js';

test('accepts valid IPv4 and IPv6 addresses', () => {
  for (const ip of ['0.0.0.0', '192.0.2.1', '255.255.255.255', '::', '::1', '2001:db8::1', 'fe80::1:2:3:4', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8', '1::8', '1:2:3:4:5:6::8']) {
    assert.ok(isIP(ip), ip);
  }
});

test('refuses malformed addresses', () => {
  for (const bad of ['', '1.2.3', '256.1.1.1', '01.2.3.4', '1.2.3.4.5', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '1.2.3.4 ', ' ::1', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '12345::']) {
    assert.ok(!isIP(bad), JSON.stringify(bad));
  }
});

test('CIDR prefix bounds', () => {
  assert.ok(isCIDR('10.0.0.0/8'));
  assert.ok(isCIDR('2001:db8::/32'));
  assert.ok(!isCIDR('10.0.0.0/33'));
  assert.ok(!isCIDR('2001:db8::/129'));
  assert.ok(!isCIDR('10.0.0.0'));
  assert.ok(!isCIDR('10.0.0.0/'));
});

test('property: every generated IPv4/IPv6 is accepted', () => {
  fc.assert(fc.property(fc.ipV4(), (ip) => isIPv4(ip)));
  fc.assert(fc.property(fc.ipV6(), (ip) => isIPv6(ip)));
});

test('property: arbitrary strings never throw', () => {
  fc.assert(fc.property(fc.string(), (s) => { isIP(s); isCIDR(s); return true; }));
});
