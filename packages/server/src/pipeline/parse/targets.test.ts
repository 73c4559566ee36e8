import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from './assemble.js';
import { lookupTarget, SLOTS, TARGETS, type Rec } from './targets.js';

test('assemble puts every non-constant target at its own dotted path and clears its slot', () => {
  for (const [path, t] of TARGETS) {
    if (t.kind === 'array') continue;
    const v = new Array<unknown>(SLOTS).fill(undefined);
    const ee: Rec = {};
    const e: Rec = { event: ee };
    v[t.id] = 'v';
    assemble(e, ee, v, t.ns, undefined);
    let cur: unknown = e;
    for (const part of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
    assert.equal(cur, 'v', `${path} (id ${t.id})`);
    assert.ok(v.every((x) => x === undefined), `${path}: slot cleared`);
  }
});

test('ids are unique and dense, and label keys are validated', () => {
  const ids = [...TARGETS.values()].map((t) => t.id).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: SLOTS }, (_, i) => i));
  assert.equal(lookupTarget('labels.auth_method')?.kind, 'label');
  assert.equal(lookupTarget('labels.'), undefined);
  assert.equal(lookupTarget('labels.a b'), undefined);
  assert.equal(lookupTarget('source.ipp'), undefined);
});
