import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalIp } from '@dio/protocol';
import { connectionCounts, decodeHexAddress, decodeHexEndpoint, newSocketScan, scanSocketTable } from './net-sockets.js';
import { socketLine } from './testdata/fake-proc.js';

/** How the kernel prints an address on a little-endian host: each 32-bit word byte-reversed. */
function hexLE(bytes: readonly number[]): string {
  let s = '';
  for (let w = 0; w < bytes.length; w += 4) for (let b = 3; b >= 0; b--) s += bytes[w + b]!.toString(16).padStart(2, '0').toUpperCase();
  return s;
}

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

test('IPv4 hex is one little-endian word', () => {
  assert.equal(decodeHexAddress('0100007F'), '127.0.0.1');
  assert.equal(decodeHexAddress('00000000'), '0.0.0.0');
  assert.equal(decodeHexAddress('0202000A'), '10.0.2.2');
  assert.equal(decodeHexAddress('C0A80001', false), '192.168.0.1');
  assert.equal(decodeHexAddress(hexLE([203, 0, 113, 7])), '203.0.113.7');
});

test('IPv6 hex is four little-endian words', () => {
  assert.equal(decodeHexAddress('00000000000000000000000001000000'), '::1');
  assert.equal(decodeHexAddress('00000000000000000000000000000000'), '::');
  // 2001:db8::1 → words 20010db8 0 0 00000001, each printed byte-reversed
  assert.equal(decodeHexAddress('B80D0120000000000000000001000000'), '2001:db8::1');
  assert.equal(decodeHexAddress('000080FE00000000FF020000B73412FE'), 'fe80::2ff:fe12:34b7');
  // ::ffff:10.0.0.1 reads as the IPv4 address, the one spelling used everywhere in DIO
  assert.equal(decodeHexAddress('0000000000000000FFFF00000100000A'), '10.0.0.1');
  assert.equal(decodeHexAddress('20010DB8000000000000000000000001', false), '2001:db8::1');
});

test('IPv6 decoding matches the canonical form of the same 16 bytes (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 8 }), (bytes, zeros) => {
      for (const z of zeros) bytes[z * 2] = bytes[z * 2 + 1] = 0; // runs of zero groups exercise '::'
      const groups = [];
      for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
      assert.equal(decodeHexAddress(hexLE(bytes)), canonicalIp(groups.join(':')));
    }),
  );
});

test('bad hex is refused, ports are plain big-endian hex', () => {
  assert.equal(decodeHexAddress('0100007'), undefined);
  assert.equal(decodeHexAddress('zz00007F'), undefined);
  assert.deepEqual(decodeHexEndpoint('0100007F:0016'), { address: '127.0.0.1', port: 22 });
  assert.deepEqual(decodeHexEndpoint('00000000000000000000000000000000:01BB'), { address: '::', port: 443 });
  assert.equal(decodeHexEndpoint('0100007F'), undefined);
  assert.equal(decodeHexEndpoint('0100007F:1FFFF'), undefined);
});

test('TCP: LISTEN sockets listed, every state counted, duplicates kept once', () => {
  const acc = newSocketScan();
  const text =
    HEADER +
    [
      socketLine(0, '00000000:0016', '00000000:0000', 0x0a, 111),
      socketLine(1, '0100007F:1F90', '00000000:0000', 0x0a, 112),
      socketLine(2, '0100007F:1F90', '00000000:0000', 0x0a, 113), // SO_REUSEPORT twin
      socketLine(3, '0202000A:0016', '0102000A:C350', 0x01, 114),
      socketLine(4, '0202000A:0016', '0102000A:C351', 0x01, 115),
      socketLine(5, '0202000A:0016', '0102000A:C352', 0x06, 0),
      socketLine(6, '0202000A:0016', '0102000A:C353', 0x08, 116),
      'garbage line',
      '',
    ].join('\n');
  scanSocketTable(text, 'tcp', acc);
  assert.deepEqual(acc.listening, [
    { protocol: 'tcp', address: '0.0.0.0', port: 22, inode: 111 },
    { protocol: 'tcp', address: '127.0.0.1', port: 8080, inode: 112 },
  ]);
  assert.deepEqual(acc.byState, { LISTEN: 3, ESTABLISHED: 2, TIME_WAIT: 1, CLOSE_WAIT: 1 });
  assert.deepEqual(connectionCounts(acc.byState), { established: 2, time_wait: 1, total: 4, by_state: acc.byState });
});

test('UDP: unconnected sockets are the listeners; connected ones are not', () => {
  const acc = newSocketScan();
  const text =
    HEADER +
    [
      socketLine(0, '00000000:0035', '00000000:0000', 0x07, 201),
      socketLine(1, '0202000A:D431', '08080808:0035', 0x01, 202),
      socketLine(2, '00000000000000000000000000000000:0222', '00000000000000000000000000000000:0000', 0x07, 203),
    ].join('\n');
  scanSocketTable(text.split('\n').slice(0, 3).join('\n'), 'udp', acc);
  scanSocketTable(HEADER + text.split('\n')[3], 'udp6', acc);
  assert.deepEqual(acc.listening, [
    { protocol: 'udp', address: '0.0.0.0', port: 53, inode: 201 },
    { protocol: 'udp6', address: '::', port: 546, inode: 203 },
  ]);
  assert.deepEqual(acc.byState, {}, 'UDP sockets are not TCP connections');
});

test('listeners are bounded and the overflow counted', () => {
  const acc = newSocketScan();
  const lines = Array.from({ length: 30 }, (_, i) => socketLine(i, `00000000:${(1000 + i).toString(16).toUpperCase().padStart(4, '0')}`, '00000000:0000', 0x0a, 500 + i));
  scanSocketTable(HEADER + lines.join('\n'), 'tcp', acc, { maxListeners: 10 });
  assert.equal(acc.listening.length, 10);
  assert.equal(acc.truncated, 20);
  assert.equal(acc.byState.LISTEN, 30, 'counts stay exact past the list bound');
});
