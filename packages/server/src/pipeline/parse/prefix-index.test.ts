import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildPrefixIndex, candidates } from './prefix-index.js';

interface Item {
  id: number;
  startsWith: string | undefined;
}

test('candidates keep every item that could match, in order', () => {
  const alphabet = fc.constantFrom('a', 'b', 'c', ' ', 'é');
  const lit = fc.option(fc.array(alphabet, { minLength: 1, maxLength: 5 }).map((a) => a.join('')), { nil: undefined });
  fc.assert(
    fc.property(fc.array(lit, { maxLength: 12 }), fc.array(fc.array(alphabet, { maxLength: 7 }).map((a) => a.join('')), { maxLength: 20 }), (lits, texts) => {
      const items: Item[] = lits.map((startsWith, id) => ({ id, startsWith }));
      const root = buildPrefixIndex(items);
      for (const text of texts) {
        const got = candidates(root, text).map((i) => i.id);
        const must = items.filter((i) => i.startsWith === undefined || text.startsWith(i.startsWith)).map((i) => i.id);
        assert.deepEqual(got.filter((id) => must.includes(id)), must, `${JSON.stringify(text)}: ${JSON.stringify(got)} misses some of ${JSON.stringify(must)}`);
        assert.deepEqual([...got].sort((a, b) => a - b), got, 'order kept');
      }
    }),
    { numRuns: 2000 },
  );
});

test('only the characters that differ are read', () => {
  const items: Item[] = [
    { id: 0, startsWith: 'pam_unix(sshd:auth): authentication failure;' },
    { id: 1, startsWith: 'pam_unix(sshd:session): session opened ' },
    { id: 2, startsWith: 'pam_unix(sshd:session): session closed ' },
    { id: 3, startsWith: undefined },
  ];
  const root = buildPrefixIndex(items);
  assert.deepEqual(candidates(root, 'pam_unix(sshd:session): session closed for user x').map((i) => i.id), [2, 3]);
  assert.deepEqual(candidates(root, 'zzz').map((i) => i.id), [3]);
  assert.deepEqual(candidates(root, '').map((i) => i.id), [3]);
});
