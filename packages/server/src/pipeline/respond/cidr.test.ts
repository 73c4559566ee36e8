import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIpOrCidr, parseIpOrCidr, type Cidr } from '@dio/protocol';
import { cidrContains, compareCidr, outermost, rangeToCidrs } from './cidr.js';

// Parsing and canonical text of ban values are @dio/protocol's (tested in shared/ip-model.test.ts).
const p = (s: string): Cidr => parseIpOrCidr(s)!;

describe('cidr', () => {
  test('containment is per family', () => {
    assert.ok(cidrContains(p('10.0.0.0/8'), p('10.1.2.3')));
    assert.ok(cidrContains(p('10.0.0.0/8'), p('10.0.0.0/8')));
    assert.ok(cidrContains(p('10.0.0.0/8'), p('10.255.255.255')));
    assert.ok(!cidrContains(p('10.1.2.3'), p('10.0.0.0/8')));
    assert.ok(!cidrContains(p('10.0.0.0/8'), p('11.0.0.0/8')));
    assert.ok(!cidrContains(p('::/96'), p('0.0.0.1')));
    // the shared address model counts ::ffff:0:0/96 inside ::/1, but the kernel's v6 set never sees v4 packets
    assert.ok(!cidrContains(p('::/1'), p('192.0.2.1')));
    assert.ok(cidrContains(p('2001:db8::/32'), p('2001:db8:ffff::/48')));
    assert.ok(!cidrContains(p('2001:db8::/48'), p('2001:db8::/32')));
  });

  test('outermost splits nested entries from the ones an interval set can hold', () => {
    const items = ['10.1.2.3', '10.0.0.0/8', '10.1.0.0/16', '192.0.2.1', '2001:db8::/32', '2001:db8::1', '2001:db9::1'].map((v) => ({ v, cidr: p(v) }));
    const { outer, nested } = outermost(items);
    assert.deepEqual(outer.map((o) => o.v), ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '2001:db9::1']);
    assert.deepEqual(nested.map((o) => o.v).sort(), ['10.1.0.0/16', '10.1.2.3', '2001:db8::1']);
  });

  test('compareCidr orders by family, address, then broader first', () => {
    const sorted = ['2001:db8::1', '10.0.0.0/16', '10.0.0.0/8', '9.255.255.255', '::1'].map(p).sort(compareCidr).map(formatIpOrCidr);
    assert.deepEqual(sorted, ['9.255.255.255', '10.0.0.0/8', '10.0.0.0/16', '::1', '2001:db8::1']);
  });

  test('ranges become the CIDRs that cover them exactly', () => {
    const r = (a: string, b: string) => rangeToCidrs(p(a), p(b)).map(formatIpOrCidr);
    assert.deepEqual(r('192.0.2.0', '192.0.2.255'), ['192.0.2.0/24']);
    assert.deepEqual(r('192.0.2.1', '192.0.2.6'), ['192.0.2.1', '192.0.2.2/31', '192.0.2.4/31', '192.0.2.6']);
    assert.deepEqual(r('0.0.0.0', '255.255.255.255'), ['0.0.0.0/0']);
    assert.deepEqual(r('2001:db8::', '2001:db8::1:ffff'), ['2001:db8::/111']);
    assert.deepEqual(r('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), ['::/0']);
    assert.deepEqual(r('192.0.2.9', '192.0.2.1'), [], 'ends out of order');
    // the part of a v6 range inside ::ffff:0:0/96 is IPv4, as everywhere else, and an IPv4 end
    // of a v6 range (nft reads ::ffff:0:1 that way) is its ::ffff:a.b.c.d
    assert.deepEqual(r('::fffe:ffff:ffff', '::ffff:0:1'), ['::fffe:ffff:ffff', '0.0.0.0/31']);
    assert.deepEqual(r('255.255.255.254', '::1:0:0:1'), ['255.255.255.254/31', '::1:0:0:0/127']);
    assert.deepEqual(r('2001:db8::1', '192.0.2.1'), [], 'a v6 start after ::ffff:192.0.2.1');
    assert.equal(rangeToCidrs(p('10.0.0.1'), p('10.0.0.254'), 3).length, 3, 'limit');
  });

  test('property: rangeToCidrs covers exactly the range with disjoint, ordered blocks', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffff), (start, span) => {
        const end = Math.min(0xffffffff, start + span);
        const blocks = rangeToCidrs(p(ipv4(start)), p(ipv4(end)), 64);
        let next = start;
        for (const b of blocks) {
          assert.ok(b.family === 4);
          assert.equal(b.base, next, 'contiguous');
          next = b.last + 1;
        }
        assert.equal(next, end + 1, 'covers to the end');
        assert.ok(blocks.length <= 2 * 32, 'minimal split is at most 2 per bit');
      }),
      { numRuns: 500 },
    );
  });
});

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
