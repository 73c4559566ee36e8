/**
 * A minimal MaxMind DB writer for tests (https://maxmind.github.io/MaxMind-DB/): 24-bit records,
 * one data entry per network, no pointer dedup. Enough to build tiny operator-style city/ASN
 * databases with exact, known answers. IPv4 networks in an IPv6 tree go under ::/96, where
 * readers look for them.
 */
import { parseIpOrCidr } from '@dio/protocol';

type Value = string | number | boolean | Value[] | { [k: string]: Value };

interface TrieNode {
  kids: [TrieNode | number | undefined, TrieNode | number | undefined];
}

export function buildMmdb(networks: { cidr: string; data: Value }[], opts: { ipVersion: 4 | 6; databaseType: string }): Buffer {
  const bitsTotal = opts.ipVersion === 4 ? 32 : 128;
  const root: TrieNode = { kids: [undefined, undefined] };
  const data: Buffer[] = [];
  let dataLen = 0;
  for (const n of networks) {
    const c = parseIpOrCidr(n.cidr);
    if (c === undefined) throw new Error(`bad cidr ${n.cidr}`);
    let value: bigint;
    let bits: number;
    if (c.family === 4) {
      value = BigInt(c.base);
      bits = opts.ipVersion === 4 ? c.bits : c.bits + 96;
    } else {
      if (opts.ipVersion === 4) throw new Error('IPv6 network in an IPv4 database');
      value = c.base;
      bits = c.bits;
    }
    if (bits === 0) throw new Error('a /0 network needs no database');
    const enc = encode(n.data);
    const offset = dataLen;
    data.push(enc);
    dataLen += enc.length;
    let node = root;
    for (let d = 0; d < bits; d++) {
      const bit = Number((value >> BigInt(bitsTotal - 1 - d)) & 1n);
      if (d === bits - 1) {
        node.kids[bit] = -1 - offset; // leaf, negative to tell it from a node
        break;
      }
      const next = node.kids[bit];
      if (typeof next === 'number') throw new Error(`overlapping networks at ${n.cidr}`);
      node = next ?? (node.kids[bit] = { kids: [undefined, undefined] });
    }
  }
  // number the nodes breadth-first
  const order: TrieNode[] = [root];
  for (let i = 0; i < order.length; i++) for (const k of order[i]!.kids) if (typeof k === 'object') order.push(k);
  const index = new Map(order.map((n, i) => [n, i]));
  const nodeCount = order.length;
  const tree = Buffer.alloc(nodeCount * 6);
  order.forEach((n, i) => {
    n.kids.forEach((k, side) => {
      const rec = k === undefined ? nodeCount : typeof k === 'number' ? nodeCount + 16 + (-1 - k) : index.get(k)!;
      tree.writeUIntBE(rec, i * 6 + side * 3, 3);
    });
  });
  const meta = encode({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: Math.floor(Date.UTC(2026, 0, 1) / 1000),
    database_type: opts.databaseType,
    description: { en: 'DIO test database' },
    ip_version: opts.ipVersion,
    languages: ['en'],
    node_count: nodeCount,
    record_size: 24,
  });
  const marker = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com')]);
  return Buffer.concat([tree, Buffer.alloc(16), ...data, marker, meta]);
}

function header(type: number, size: number): Buffer {
  // size < 29 fits the control byte; larger sizes spill into 1, 2 or 3 following bytes
  const [sizeBits, ext] =
    size < 29 ? [size, []] : size < 285 ? [29, [size - 29]] : size < 65821 ? [30, [(size - 285) >> 8, (size - 285) & 255]] : [31, [((size - 65821) >> 16) & 255, ((size - 65821) >> 8) & 255, (size - 65821) & 255]];
  const ctrl = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  return Buffer.from([...ctrl, ...ext]);
}

function uintBytes(n: number): Buffer {
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return Buffer.from(out);
}

function encode(v: Value): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([header(2, b.length), b]);
  }
  if (typeof v === 'boolean') return header(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) {
      const b = uintBytes(v);
      return Buffer.concat([header(v < 65536 ? 5 : 6, b.length), b]);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([header(3, 8), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([header(11, v.length), ...v.map(encode)]);
  const keys = Object.keys(v);
  return Buffer.concat([header(7, keys.length), ...keys.flatMap((k) => [encode(k), encode(v[k]!)])]);
}
