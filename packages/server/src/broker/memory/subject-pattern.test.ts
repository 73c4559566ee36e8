import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertSubject, compilePattern, matchTokens, patternIsSubset, patternsOverlap, patternTokens } from './subject-pattern.js';

// Every subject of 1..4 tokens over a 2-letter alphabet: enough to witness overlap and subset.
const ALPHABET = ['a', 'b'];
const SUBJECTS: string[][] = [];
for (let len = 1; len <= 4; len++) {
  const build = (prefix: string[]): void => {
    if (prefix.length === len) SUBJECTS.push(prefix);
    else for (const t of ALPHABET) build([...prefix, t]);
  };
  build([]);
}

const token = fc.constantFrom('a', 'b', '*');
const pattern = fc
  .tuple(fc.array(token, { minLength: 0, maxLength: 3 }), fc.boolean())
  .filter(([tokens, tail]) => tokens.length > 0 || tail)
  .map(([tokens, tail]) => (tail ? [...tokens, '>'] : tokens));

test('matchTokens follows NATS wildcard rules', () => {
  const m = (p: string, s: string) => matchTokens(p.split('.'), s.split('.'));
  assert.ok(m('dio.*.events', 'dio.web01.events'));
  assert.ok(!m('dio.*.events', 'dio.web01.x.events'));
  assert.ok(m('dio.>', 'dio.a'));
  assert.ok(m('dio.>', 'dio.a.b.c'));
  assert.ok(!m('dio.>', 'dio'));
  assert.ok(m('dio.alerts', 'dio.alerts'));
  assert.ok(!m('dio.alerts', 'dio.alerts.x'));
  assert.ok(compilePattern('a.*').matches('a.b'));
  assert.ok(!compilePattern('a.b').matches('a.c'));
});

test('patternsOverlap agrees with brute force', () => {
  fc.assert(
    fc.property(pattern, pattern, (a, b) => {
      // Subjects longer than 4 tokens only matter through '>', which both sides then match anyway.
      const witness = SUBJECTS.some((s) => matchTokens(a, s) && matchTokens(b, s));
      assert.equal(patternsOverlap(a, b), witness, `${a.join('.')} vs ${b.join('.')}`);
    }),
    { numRuns: 2000 },
  );
});

test('patternIsSubset agrees with brute force', () => {
  fc.assert(
    fc.property(pattern, pattern, (inner, outer) => {
      const counter = SUBJECTS.some((s) => matchTokens(inner, s) && !matchTokens(outer, s));
      assert.equal(patternIsSubset(inner, outer), !counter, `${inner.join('.')} ⊆ ${outer.join('.')}`);
    }),
    { numRuns: 2000 },
  );
});

test('subject and pattern validation', () => {
  for (const ok of ['a', 'dio.events.web-01', 'a_b.c:d']) assertSubject(ok);
  for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>', 'a\tb', 'x'.repeat(257), 42]) {
    assert.throws(() => assertSubject(bad), (e: { code?: string }) => e.code === 'broker.invalid', String(bad));
  }
  for (const ok of ['a.*', 'a.>', '>', '*.b.*']) patternTokens(ok);
  for (const bad of ['a.>.b', 'a*', 'a.b>', '', 'a..b']) {
    assert.throws(() => patternTokens(bad), (e: { code?: string }) => e.code === 'broker.invalid', bad);
  }
});
