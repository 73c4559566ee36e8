import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backtrackingRisk, compileRegex, RegexError } from './regex-compile.js';

test('named groups become numbered groups with a name map', () => {
  const c = compileRegex('^(?<a>\\w+) (x)(?:y)(?<b>[(]z)(?<!q)(?<c>\\d)?$');
  assert.deepEqual([...c.groups], [['a', 1], ['b', 3], ['c', 4]]);
  assert.equal(c.count, 4);
  const m = c.re.exec('foo xy(z')!;
  assert.equal(m[1], 'foo');
  assert.equal(m[3], '(z');
  assert.equal(m.groups, undefined, 'no per-match groups object');
});

test('named backreferences are rewritten', () => {
  const c = compileRegex('^(?<q>["\'])(?<v>[^"\']*)\\k<q>$');
  assert.ok(c.re.test('"abc"'));
  assert.ok(!c.re.test('"abc\''));
  assert.throws(() => compileRegex('\\k<x>(?<x>a)'), RegexError);
});

test('invalid regexes are refused with the engine message', () => {
  assert.throws(() => compileRegex('(unclosed'), /invalid regex/);
  assert.throws(() => compileRegex('(?<a>x)(?<a>y)'), /invalid regex/);
});

test('catastrophic shapes are refused, ordinary ones pass', () => {
  for (const bad of ['(a+)+b', '(\\s*x)*', '(?:a|b+){2,}', '^(.*),(.*)$', '(x(y+)z)*']) assert.ok(backtrackingRisk(bad), bad);
  for (const ok of ['^Failed (\\S+) for (?:(invalid) user )?(.*) from (\\S+) port (\\d+)$', '"(?:[^"\\\\]|\\\\.)*"', '(?:\\.\\d+)?', 'a{2}(b{1,3})+', '[(.*)+]+']) {
    assert.equal(backtrackingRisk(ok), undefined, ok);
  }
  assert.throws(() => compileRegex('(a+)+$'), /nested quantifier/);
});
