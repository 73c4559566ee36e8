import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalBan, cidrContains, formatCidr, outermost, parseCidr, rangeToCidrs } from './cidr.js';

describe('cidr', () => {
  test('canonical forms', () => {
    const cases: [string, string | null][] = [
      ['192.0.2.1', '192.0.2.1'],
      ['192.0.2.1/32', '192.0.2.1'],
      ['192.0.2.77/24', '192.0.2.0/24'],
      ['10.0.0.0/8', '10.0.0.0/8'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8::1/128', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:db8:abcd:12::/48', '2001:db8:abcd::/48'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::/10', 'fe80::/10'],
      ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
      ['::ffff:c000:201', '192.0.2.1'],
      ['1::192.0.2.1', '1::c000:201'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['192.0.2.1/33', null],
      ['2001:db8::/129', null],
      ['192.0.2.1/', null],
      ['192.0.2.1/-1', null],
      ['192.0.2.01', null],
      ['256.0.0.1', null],
      ['1:2:3:4:5:6:7:8:9', null],
      ['1::2::3', null],
      [':::', null],
      ['fe80::1%eth0', null],
      ['12345::', null],
      ['', null],
      [' 192.0.2.1', null],
      ['192.0.2.1; rm -rf /', null],
      ['-F', null],
    ];
    for (const [input, want] of cases) assert.equal(canonicalBan(input), want, input);
  });

  test('IPv6 text matches the WHATWG (RFC 5952) serialiser for any address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const ours = canonicalBan(ip);
        const url = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        // IPv4-mapped addresses deliberately become IPv4
        if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(url)) return ours !== null && !ours.includes(':');
        return ours === url;
      }),
    );
  });

  test('canonicalising is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 128 }), (ip, len) => {
        const c = canonicalBan(`${ip}/${Math.min(len, ip.includes(':') ? 128 : 32)}`);
        return c !== null && canonicalBan(c) === c;
      }),
    );
  });

  test('containment and outermost', () => {
    const p = (s: string) => parseCidr(s)!;
    assert.ok(cidrContains(p('10.0.0.0/8'), p('10.1.2.3')));
    assert.ok(cidrContains(p('10.0.0.0/8'), p('10.0.0.0/8')));
    assert.ok(!cidrContains(p('10.1.2.3'), p('10.0.0.0/8')));
    assert.ok(!cidrContains(p('10.0.0.0/8'), p('11.0.0.0/8')));
    assert.ok(!cidrContains(p('::/96'), p('0.0.0.1')));
    const items = ['10.1.2.3', '10.0.0.0/8', '10.1.0.0/16', '192.0.2.1', '2001:db8::/32', '2001:db8::1', '2001:db9::1'].map((v) => ({ v, cidr: p(v) }));
    const { outer, nested } = outermost(items);
    assert.deepEqual(outer.map((o) => o.v), ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '2001:db9::1']);
    assert.deepEqual(nested.map((o) => o.v).sort(), ['10.1.0.0/16', '10.1.2.3', '2001:db8::1']);
  });

  test('ranges become the CIDRs that cover them exactly', () => {
    const r = (a: string, b: string) => rangeToCidrs(parseCidr(a)!.family, parseCidr(a)!.addr, parseCidr(b)!.addr).map(formatCidr);
    assert.deepEqual(r('192.0.2.0', '192.0.2.255'), ['192.0.2.0/24']);
    assert.deepEqual(r('192.0.2.1', '192.0.2.6'), ['192.0.2.1', '192.0.2.2/31', '192.0.2.4/31', '192.0.2.6']);
    assert.deepEqual(r('2001:db8::', '2001:db8::1:ffff'), ['2001:db8::/111']);
  });
});
