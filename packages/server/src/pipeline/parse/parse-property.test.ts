import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { EventSchema } from '@dio/protocol';
import { loadParsers } from './load-parsers.js';
import { MAX_LINE } from './parser-set.js';

const content = join(import.meta.dirname, '..', '..', '..', '..', '..', 'content');
const parsers = await loadParsers(join(content, 'parsers'));
const TYPES = ['auto', 'sshd', 'syslog', 'nginx', 'apache', 'http', 'unknown-type'];

/** Valid lines of every shape, to mutate. */
const seeds = ['sshd', 'syslog', 'http-access', 'nginx-error', 'apache-error'].flatMap((n) =>
  readFileSync(join(content, 'tests', 'parsers', n, 'input.log'), 'utf8').split('\n').filter(Boolean),
);

function check(line: string, type: string, referenceTime: number): void {
  const r = parsers.parse(line, { source: 'fuzz', type, referenceTime });
  if (r === null) return;
  const v = EventSchema.safeParse(r.event);
  assert.ok(v.success, `${JSON.stringify(line)} → ${JSON.stringify(r.event)}: ${v.success ? '' : v.error.message}`);
  assert.equal(Date.parse(r.event['@timestamp']), r.ts, '@timestamp is the ISO text of ts');
}

const typeArb = fc.constantFrom(...TYPES);
const refArb = fc.oneof(fc.constant(Date.parse('2026-10-07T00:00:00Z')), fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.constantFrom(NaN, -1, Infinity));

/** Random edits of a valid line: insert, delete or replace characters (including odd ones). */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('ins', 'del', 'rep'), fc.constantFrom(' ', ':', '[', ']', '"', '\\', '\0', '\uFEFF', '\uD800', '9', 'a', '-', '.', '\r', '%', '\u00e9')), { maxLength: 6 }),
  )
  .map(([line, edits]) => {
    let s = line;
    for (const [pos, op, ch] of edits) {
      const i = s.length === 0 ? 0 : pos % s.length;
      s = op === 'ins' ? s.slice(0, i) + ch + s.slice(i) : op === 'del' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + ch + s.slice(i + 1);
    }
    return s;
  });

describe('parse never throws and returns null or a schema-valid event', () => {
  test('arbitrary strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 })), typeArb, refArb, check), { numRuns: 3000 });
  });

  test('byte soup decoded as UTF-8 and Latin-1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), typeArb, (bytes, type) => {
        check(Buffer.from(bytes).toString('utf8'), type, Date.now());
        check(Buffer.from(bytes).toString('latin1'), type, Date.now());
      }),
      { numRuns: 2000 },
    );
  });

  test('mutated valid lines of every parser', () => {
    fc.assert(fc.property(mutated, typeArb, refArb, check), { numRuns: 5000 });
  });

  test('valid prefixes followed by junk, and repeated fragments', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.string({ maxLength: 200 }), fc.integer({ min: 1, max: 200 }), (line, junk, times) => {
        check(line + junk, 'auto', Date.now());
        check(line.slice(0, Math.floor(line.length / 2)) + junk, 'auto', Date.now());
        check(`Oct  6 00:00:01 h sshd[1]: Failed password for ${' from 1.2.3.4 port 22'.repeat(times)}${junk}`, 'auto', Date.now());
      }),
      { numRuns: 1000 },
    );
  });

  test('overlong lines are refused quickly', () => {
    const long = `Oct  6 00:00:01 h sshd[1]: Failed password for ${'a from '.repeat(MAX_LINE / 7)} from 1.2.3.4 port 1 ssh2`;
    assert.equal(parsers.parse(long, { source: 't', type: 'auto', referenceTime: 0 }), null);
    // just under the limit: adversarial but bounded work
    const near = `Oct  6 00:00:01 h sshd[1]: Invalid user ${' from x'.repeat((MAX_LINE - 100) / 7)}`;
    const t0 = performance.now();
    check(near, 'auto', Date.now());
    assert.ok(performance.now() - t0 < 5000, 'no catastrophic backtracking');
  });

  test('an overlong source id is cut to the schema limit', () => {
    const r = parsers.parse('Oct  6 00:00:01 h p: x', { source: 's'.repeat(2000), type: 'auto', referenceTime: Date.now() });
    assert.equal(r?.event.dio?.input?.length, 512);
  });

  test('no internal errors were swallowed', () => {
    assert.equal(parsers.errors, 0);
  });
});
