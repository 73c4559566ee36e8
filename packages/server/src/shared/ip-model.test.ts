import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
/**
 * The address model of @dio/protocol's ip-parse.ts (shared by the API schemas and every pipeline
 * stage), pinned against independent references built on Node's own parsers.
 */
import { isIP, canonicalCidr, canonicalIp, cidrOf, formatIpOrCidr, ipClass, ipFamily, ipInCidr, parseCidr, parseIpOrCidr, parseIpv4 } from '@dio/protocol';
import { refCanonical, refHas } from './ip-reference.test-util.js';

/** IPv6 text in random non-canonical spellings: upper case, leading zeros, no compression. */
const messyIpv6 = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.boolean(), fc.boolean(), fc.constantFrom(0, 0, 0xffff, 1))
  .map(([groups, upper, pad, tweak]) => {
    // bias towards special shapes: zero runs and ::ffff:0:0/96
    if (tweak === 0xffff) groups.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
    else if (tweak === 1) groups.fill(0, 2, 6);
    const s = groups.map((g) => (pad ? g.toString(16).padStart(4, '0') : g.toString(16))).join(':');
    return upper ? s.toUpperCase() : s;
  });

describe('canonicalIp', () => {
  test('examples', () => {
    const cases: [string, string | undefined][] = [
      ['192.0.2.1', '192.0.2.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['255.255.255.255', '255.255.255.255'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // first of equal runs
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
      ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], // the longest run wins
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // even when it is not the first
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['fe80::', 'fe80::'],
      ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::FFFF:c000:0201', '192.0.2.1'],
      ['0:0:0:0:0:ffff:8.8.8.8', '8.8.8.8'],
      ['::1.2.3.4', '::102:304'],
      ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
      ['fe80::1%eth0', undefined],
      ['01.2.3.4', undefined],
      ['1.2.3', undefined],
      ['1.2.3.4.5', undefined],
      ['256.0.0.1', undefined],
      [' 1.2.3.4', undefined],
      ['1.2.3.4 ', undefined],
      ['1..2.3', undefined],
      ['a.b.c.d', undefined],
      ['1.2.3.04', undefined],
      [':1:2', undefined],
      ['g::1', undefined],
      ['1.2.3.4::', undefined],
      ['::1.2.3', undefined],
      ['1:2:3:4:5:6:7', undefined],
      ['[::1]', undefined],
      ['1:2:3:4:5:6:7:8:9', undefined],
      ['1::2::3', undefined],
      [':::', undefined],
      ['12345::', undefined],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::ffff:1.2.3.04', undefined],
      ['', undefined],
    ];
    for (const [input, want] of cases) assert.equal(canonicalIp(input), want, JSON.stringify(input));
  });

  test('property: canonicalIp and the schemas\' isIP agree with the reference (URL serialisation)', () => {
    const anyIp = fc.oneof(fc.ipV4(), fc.ipV6(), messyIpv6, fc.ipV4Extended(), fc.string({ maxLength: 12 }), fc.string({ maxLength: 50 }));
    fc.assert(
      fc.property(anyIp, (s) => {
        assert.equal(canonicalIp(s), refCanonical(s), s);
        assert.equal(isIP(s), refCanonical(s) !== undefined, s);
      }),
      { numRuns: 5000 },
    );
  });

  test('property: canonical form is a fixed point', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), messyIpv6), (s) => {
        const c = canonicalIp(s);
        assert.ok(c !== undefined);
        assert.equal(canonicalIp(c), c);
      }),
    );
  });
});

test('ipFamily and parseIpv4', () => {
  assert.equal(ipFamily('10.1.2.3'), 4);
  assert.equal(ipFamily('::ffff:10.1.2.3'), 4);
  assert.equal(ipFamily('2001:db8::'), 6);
  assert.equal(ipFamily('nope'), undefined);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIpv4('1.2.3.4'), 0x01020304);
  assert.equal(parseIpv4('1.2.3.-4'), -1);
});

test('ipClass', () => {
  const cases: [string, string | undefined][] = [
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fc00::', 'private'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['febf:ffff::1', 'link_local'],
    ['fec0::1', 'reserved'],
    ['100.63.255.255', 'public'],
    ['100.64.0.0', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['192.0.2.7', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.255', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['3fff:fff::1', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.0.9', 'public'],
    ['192.88.99.1', 'reserved'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2001:3::1', 'public'],
    ['2001:4:112::1', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['4000::1', 'reserved'],
    ['bogus', undefined],
  ];
  for (const [ip, want] of cases) assert.equal(ipClass(ip), want, ip);
});

describe('CIDR', () => {
  test('parse and canonical form', () => {
    assert.deepEqual(parseCidr('10.1.2.3/8'), { family: 4, bits: 8, base: 0x0a000000, last: 0x0affffff });
    assert.deepEqual(parseCidr('0.0.0.0/0'), { family: 4, bits: 0, base: 0, last: 0xffffffff });
    assert.equal(canonicalCidr('10.1.2.3/8'), '10.0.0.0/8');
    assert.equal(canonicalCidr('192.0.2.9/32'), '192.0.2.9/32');
    assert.equal(canonicalCidr('2001:DB8::1/32'), '2001:db8::/32');
    assert.equal(canonicalCidr('2001:db8::1/128'), '2001:db8::1/128');
    assert.equal(canonicalCidr('::/0'), '::/0');
    assert.equal(canonicalCidr('::ffff:10.9.8.7/104'), '10.0.0.0/8');
    assert.equal(canonicalCidr('::ffff:0:0/96'), '0.0.0.0/0');
    assert.equal(canonicalCidr('::ffff:0:0/95'), '::fffe:0:0/95');
    assert.equal(canonicalCidr('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/1'), '8000::/1');
    const v6 = parseCidr('2001:db8::/32');
    assert.ok(v6?.family === 6);
    assert.equal(v6.last, (0x20010db8n << 96n) | ((1n << 96n) - 1n));
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0', '/8', '10.0.0.0/8/8', '::/129', '10.0.0.0/-1', '10.0.0.0/ 8', 'fe80::%1/64', '10.0.0.0/1000']) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
    assert.equal(parseIpOrCidr('10.0.0.1')?.bits, 32);
    assert.equal(parseIpOrCidr('::ffff:10.0.0.1')?.family, 4);
    assert.equal(parseIpOrCidr('2001:db8::1')?.bits, 128);
  });

  test('formatIpOrCidr: the one spelling of a ban value (bare /32 and /128)', () => {
    const cases: [string, string | undefined][] = [
      ['192.0.2.1', '192.0.2.1'],
      ['192.0.2.1/32', '192.0.2.1'],
      ['192.0.2.77/24', '192.0.2.0/24'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8::1/128', '2001:db8::1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:abcd:12::/48', '2001:db8:abcd::/48'],
      ['fe80::/10', 'fe80::/10'],
      ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
      ['::ffff:c000:201/128', '192.0.2.1'],
      ['1::192.0.2.1', '1::c000:201'],
      ['192.0.2.1/', undefined],
      ['192.0.2.1/-1', undefined],
      ['192.0.2.01', undefined],
      [' 192.0.2.1', undefined],
      ['192.0.2.1; rm -rf /', undefined],
      ['-F', undefined],
      ['', undefined],
    ];
    for (const [input, want] of cases) {
      const c = parseIpOrCidr(input);
      assert.equal(c && formatIpOrCidr(c), want, input);
    }
  });

  test('property: formatIpOrCidr is idempotent and agrees with canonicalIp on addresses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), messyIpv6), fc.integer({ min: 0, max: 128 }), (ip, len) => {
        const c = formatIpOrCidr(parseIpOrCidr(`${ip}/${Math.min(len, ip.includes(':') ? 128 : 32)}`)!);
        assert.equal(formatIpOrCidr(parseIpOrCidr(c)!), c);
        assert.equal(formatIpOrCidr(parseIpOrCidr(ip)!), canonicalIp(ip));
      }),
    );
  });

  test('cidrOf builds the range parseCidr would read', () => {
    assert.deepEqual(cidrOf(4, 0x0a010203n, 8), parseCidr('10.0.0.0/8'));
    assert.deepEqual(cidrOf(6, 0x20010db8n << 96n, 32), parseCidr('2001:db8::/32'));
    assert.deepEqual(cidrOf(6, (0xffffn << 32n) | 0xc0000201n, 120), parseCidr('192.0.2.0/24'));
    for (const [f, a, b] of [[4, 1n << 32n, 32], [4, 0n, 33], [6, -1n, 0], [6, 0n, 1.5]] as const) assert.equal(cidrOf(f, a, b), undefined);
  });

  test('ipInCidr edges', () => {
    assert.ok(ipInCidr('10.255.255.255', '10.0.0.0/8'));
    assert.ok(!ipInCidr('11.0.0.0', '10.0.0.0/8'));
    assert.ok(ipInCidr('1.2.3.4', '0.0.0.0/0'));
    assert.ok(ipInCidr('1.2.3.4', '1.2.3.4/32'));
    assert.ok(!ipInCidr('1.2.3.5', '1.2.3.4/32'));
    assert.ok(ipInCidr('::ffff:10.1.1.1', '10.0.0.0/8'));
    assert.ok(ipInCidr('10.1.1.1', '::ffff:10.0.0.0/104'));
    assert.ok(ipInCidr('10.1.1.1', '::/0'), 'v4 is ::ffff:a.b.c.d, inside ::/0');
    assert.ok(!ipInCidr('2001:db8::1', '0.0.0.0/0'));
    assert.ok(ipInCidr('2001:db8:ffff::', '2001:db8::/32'));
    assert.ok(!ipInCidr('2001:db9::', '2001:db8::/32'));
    assert.ok(ipInCidr('::1', '::1/128'));
    assert.ok(!ipInCidr('::2', '::1/128'));
    assert.ok(!ipInCidr('not-an-ip', '::/0'));
    assert.ok(!ipInCidr('1.2.3.4', 'bad'));
    const parsed = parseCidr('192.168.0.0/16')!;
    assert.ok(ipInCidr('192.168.200.1', parsed));
  });

  test('property: ipInCidr agrees with the BigInt reference', () => {
    const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`);
    const v6 = fc.tuple(fc.oneof(fc.ipV6(), messyIpv6), fc.integer({ min: 0, max: 128 })).map(([a, b]) => `${a}/${b}`);
    fc.assert(
      fc.property(fc.oneof(v4, v6), fc.oneof(fc.ipV4(), fc.ipV6(), messyIpv6), (cidr, ip) => {
        assert.equal(ipInCidr(ip, cidr), refHas([cidr], ip), `${ip} in ${cidr}`);
        // an address is always inside its own CIDR, whatever the prefix
        const own = `${ip}/${ip.includes(':') ? 77 : 13}`;
        assert.ok(ipInCidr(ip, own), own);
      }),
      { numRuns: 5000 },
    );
  });
});
