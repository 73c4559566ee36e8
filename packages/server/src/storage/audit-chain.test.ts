import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { auditHash, canonicalJson, GENESIS_HASH, verifyAuditChain } from './audit-chain.js';
import type { AuditRecord } from './port.js';

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const r = { seq, at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), actor: 'user:alice', action: 'decision.create', target: `decision:${seq}`, origin: 'cli', after: { seq } };
    const hash = auditHash(prev, r);
    out.push({ ...r, prev_hash: prev, hash });
    prev = hash;
  }
  return out;
}

describe('canonicalJson', () => {
  test('sorts keys recursively and otherwise follows JSON.stringify', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    assert.equal(canonicalJson({ u: undefined, f: () => 1, n: NaN, i: -Infinity, arr: [undefined, () => 1] }), '{"arr":[null,null],"i":null,"n":null}');
    assert.equal(canonicalJson(new Date(0)), '"1970-01-01T00:00:00.000Z"');
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson('é\u2028"'), JSON.stringify('é\u2028"'));
    assert.throws(() => canonicalJson({ big: 1n }), TypeError);
  });

  test('equals JSON.stringify up to key order, and ignores insertion order (fast-check)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assert.deepEqual(JSON.parse(canonicalJson(v)), JSON.parse(JSON.stringify(v)));
        const reversed = JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
          x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
        );
        assert.equal(canonicalJson(reversed), canonicalJson(v));
      }),
    );
  });
});

describe('audit chain', () => {
  test('auditHash is sha256(prev_hash + canonical JSON of the record fields)', () => {
    const r = { seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'cli', action: 'x', target: 't', origin: 'cli', before: { b: 2, a: 1 } };
    const expected = createHash('sha256')
      .update(GENESIS_HASH + '{"action":"x","actor":"cli","at":"2026-01-01T00:00:00.000Z","before":{"a":1,"b":2},"origin":"cli","seq":1,"target":"t"}')
      .digest('hex');
    assert.equal(auditHash(GENESIS_HASH, r), expected);
    assert.equal(GENESIS_HASH, '0'.repeat(64));
  });

  test('verifyAuditChain accepts an intact chain and names the first broken record', () => {
    const c = chain(5);
    assert.deepEqual(verifyAuditChain([]), { ok: true });
    assert.deepEqual(verifyAuditChain(c), { ok: true });
    assert.deepEqual(verifyAuditChain(c.map((r) => (r.seq === 2 ? { ...r, origin: 'api' } : r))), { ok: false, brokenAt: 2 });
    assert.deepEqual(verifyAuditChain(c.map((r) => (r.seq === 5 ? { ...r, hash: 'f'.repeat(64) } : r))), { ok: false, brokenAt: 5 });
    assert.deepEqual(verifyAuditChain(c.filter((r) => r.seq !== 1)), { ok: false, brokenAt: 2 });
    assert.deepEqual(verifyAuditChain(c.slice(3), { anchor: { seq: 3, hash: c[2]!.hash } }), { ok: true });
    assert.deepEqual(verifyAuditChain(c.slice(3), { anchor: { seq: 3, hash: GENESIS_HASH } }), { ok: false, brokenAt: 4 });
  });
});
