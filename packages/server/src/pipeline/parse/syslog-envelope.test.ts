import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipStructuredData, SyslogEnvelope } from './syslog-envelope.js';

const REF = Date.parse('2026-10-07T00:00:00Z');

function parse(line: string) {
  const env = new SyslogEnvelope();
  if (!env.parse(line, REF)) return null;
  const { iso, pri, version, host, program, pid, procid, msgid, message } = env;
  return { iso, pri, version, host, program, pid, procid, msgid, message };
}

describe('RFC 3164 / BSD', () => {
  test('auth.log line', () => {
    assert.deepEqual(parse('Oct  6 00:00:01 bastion01 sshd[20020]: Invalid user gitlab from 198.51.100.223 port 8694'), {
      iso: '2026-10-06T00:00:01.000Z', pri: -1, version: 0, host: 'bastion01', program: 'sshd', pid: 20020, procid: undefined, msgid: undefined, message: 'Invalid user gitlab from 198.51.100.223 port 8694',
    });
  });

  test('optional PRI, tag without pid, empty message', () => {
    const r = parse('<38>Oct 16 10:11:12 h prog: ');
    assert.equal(r?.pri, 38);
    assert.equal(r?.program, 'prog');
    assert.equal(r?.pid, -1);
    assert.equal(r?.message, '');
  });

  test('no hostname and no tag', () => {
    assert.deepEqual([parse('Oct  6 00:00:07 myprog[123]: x')?.host, parse('Oct  6 00:00:07 myprog[123]: x')?.program], [undefined, 'myprog']);
    const r = parse('Oct  6 00:00:05 host-c -- MARK --');
    assert.equal(r?.program, undefined);
    assert.equal(r?.message, '-- MARK --');
  });

  test('refuses what is not syslog', () => {
    for (const bad of ['', 'hello', 'Oct  6 00:00:01', 'Oct  6 00:00:01 ', 'Oct 36 00:00:01 h p: m', '<999>Oct  6 00:00:01 h p: m', '<>Oct  6 00:00:01 h p: m', '<13>', '1.2.3.4 - - [06/Oct/2026:00:00:01 +0000] "GET / HTTP/1.1" 200 1']) {
      assert.equal(parse(bad), null, JSON.stringify(bad));
    }
  });

  test('fields repeat correctly across lines (no stale state)', () => {
    const env = new SyslogEnvelope();
    assert.ok(env.parse('Oct  6 00:00:01 a p[1]: x', REF));
    assert.ok(env.parse('<13>Oct  6 00:00:02 b q: y', REF));
    assert.deepEqual([env.host, env.program, env.pid, env.pri, env.message], ['b', 'q', -1, 13, 'y']);
    assert.ok(env.parse('Oct  6 00:00:03 c r[x]: z', REF));
    assert.deepEqual([env.host, env.program, env.pid, env.procid, env.pri], ['c', 'r', -1, 'x', -1]);
  });
});

describe('rsyslog high precision', () => {
  test('ISO-8601 timestamp with microseconds and offset', () => {
    const r = parse('2026-10-06T00:00:01.123456+02:00 host prog[7]: msg');
    assert.equal(r?.iso, '2026-10-05T22:00:01.123Z');
    assert.deepEqual([r?.host, r?.program, r?.pid, r?.message], ['host', 'prog', 7, 'msg']);
  });
});

describe('RFC 5424', () => {
  test('full header with structured data and BOM', () => {
    const r = parse('<165>1 2026-01-01T00:00:00.123+01:00 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] \uFEFFAn application event');
    assert.deepEqual(r, {
      iso: '2025-12-31T23:00:00.123Z', pri: 165, version: 1, host: 'mymachine.example.com', program: 'evntslog', pid: -1, procid: undefined, msgid: 'ID47', message: 'An application event',
    });
  });

  test('escaped ] and " inside values do not end the element', () => {
    const r = parse('<34>1 2026-10-06T00:00:20Z h app 12 - [a@1 x="]\\]"][b@2 y="q\\"]\\\\"] tail text');
    assert.equal(r?.message, 'tail text');
    assert.equal(r?.pid, 12);
    assert.equal(r?.procid, '12');
  });

  test('NILVALUEs and no message', () => {
    const r = parse('<34>1 - - - - - -');
    assert.deepEqual([r?.iso, r?.host, r?.program, r?.msgid, r?.message], ['2026-10-07T00:00:00.000Z', undefined, undefined, undefined, '']);
  });

  test('malformed 5424 is refused', () => {
    for (const bad of ['<34>1 2026-10-06T00:00:20Z h app - - [x a="1"', '<34>1 2026-10-06T00:00:20Z h app - -', '<34>1 notatime h a - - - m', '<34>1 2026-10-06T00:00:20Z h app - - -x']) {
      assert.equal(parse(bad), null, bad);
    }
  });

  test('skipStructuredData', () => {
    assert.equal(skipStructuredData('- x', 0), 1);
    assert.equal(skipStructuredData('[a][b c="d"] x', 0), 12);
    assert.equal(skipStructuredData('[a x="\\]"] m', 0), 10);
    assert.equal(skipStructuredData('[a x="]', 0), -1);
    assert.equal(skipStructuredData('x', 0), -1);
  });
});

describe('fast and general 3164 paths agree', () => {
  test('a line read without PRI (fast path) equals the same line with PRI (regex path)', async () => {
    const fc = (await import('fast-check')).default;
    const tok = (chars: string[], max: number) => fc.array(fc.constantFrom(...chars), { minLength: 0, maxLength: max }).map((a) => a.join(''));
    const odd = ['a', 'Z', '0', '9', '-', '.', '/', ':', '[', ']', ' ', '_', 'é'];
    fc.assert(
      fc.property(
        fc.constantFrom('Oct  6', 'Oct 16', 'Feb 29', 'Dec 31', 'Jan 01', 'Foo  1', 'Oct 32'),
        fc.constantFrom('00:00:01', '23:59:59', '24:00:00', '12:3x:00'),
        tok(odd, 8),
        tok(odd, 8),
        fc.option(tok(['1', '2', 'x', ']', ' '], 4), { nil: undefined }),
        tok(odd, 12),
        (day, time, host, prog, pid, msg) => {
          const rest = `${host} ${prog}${pid === undefined ? '' : `[${pid}]`}: ${msg}`;
          const a = parse(`${day} ${time} ${rest}`);
          const b = parse(`<13>${day} ${time} ${rest}`);
          if (a === null || b === null) return assert.equal(a, b);
          assert.deepEqual({ ...a, pri: 13 }, b);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
