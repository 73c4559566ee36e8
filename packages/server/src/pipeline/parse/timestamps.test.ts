import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BsdClock, Rfc3339Clock } from './timestamps.js';
import { createTokenClock } from './token-clock.js';

const REF = Date.parse('2026-10-07T00:00:00Z');

describe('BsdClock', () => {
  test('uses the year of the reference time', () => {
    const c = new BsdClock();
    assert.ok(c.parse('Oct  6', '00:00:01', undefined, REF));
    assert.equal(c.iso, '2026-10-06T00:00:01.000Z');
    assert.equal(c.ts, Date.parse('2026-10-06T00:00:01Z'));
  });

  test('a time more than one day after the reference belongs to the previous year', () => {
    const c = new BsdClock();
    assert.ok(c.parse('Oct  8', '00:00:00', undefined, REF));
    assert.equal(c.iso, '2026-10-08T00:00:00.000Z', 'exactly one day ahead stays in this year');
    assert.ok(c.parse('Oct  8', '00:00:01', undefined, REF));
    assert.equal(c.iso, '2025-10-08T00:00:01.000Z');
    assert.ok(c.parse('Dec 31', '23:59:59', undefined, REF));
    assert.equal(c.iso, '2025-12-31T23:59:59.000Z');
  });

  test('the cached second follows a moving reference time', () => {
    const c = new BsdClock();
    assert.ok(c.parse('Oct  9', '12:00:00', undefined, REF));
    assert.equal(c.iso, '2025-10-09T12:00:00.000Z');
    // same text, later reference: now it is this year's
    assert.ok(c.parse('Oct  9', '12:00:00', undefined, REF + 3 * 86_400_000));
    assert.equal(c.iso, '2026-10-09T12:00:00.000Z');
    // reference in the next year
    assert.ok(c.parse('Oct  9', '12:00:00', undefined, Date.parse('2027-01-02T00:00:00Z')));
    assert.equal(c.iso, '2026-10-09T12:00:00.000Z');
    assert.ok(c.parse('Jan  1', '00:00:00', undefined, Date.parse('2027-01-02T00:00:00Z')));
    assert.equal(c.iso, '2027-01-01T00:00:00.000Z');
  });

  test('day forms, fractions and leap days', () => {
    const c = new BsdClock();
    assert.ok(c.parse('Oct 06', '01:02:03', '5', REF));
    assert.equal(c.iso, '2026-10-06T01:02:03.500Z');
    assert.ok(c.parse('Oct 6', '01:02:03', '123456', REF));
    assert.equal(c.iso, '2026-10-06T01:02:03.123Z');
    assert.equal(c.ts, Date.parse('2026-10-06T01:02:03.123Z'));
    const leapRef = Date.parse('2025-01-10T00:00:00Z');
    assert.ok(c.parse('Feb 29', '12:00:00', undefined, Date.parse('2024-03-01T00:00:00Z')));
    assert.equal(c.iso, '2024-02-29T12:00:00.000Z');
    assert.ok(c.parse('Feb 29', '12:00:00', undefined, leapRef), 'no Feb 29 in 2025: the previous year');
    assert.equal(c.iso, '2024-02-29T12:00:00.000Z');
    assert.equal(c.parse('Feb 29', '12:00:00', undefined, Date.parse('2027-06-01T00:00:00Z')), false, 'neither 2027 nor 2026 has one');
  });

  test('refuses impossible dates and times', () => {
    const c = new BsdClock();
    for (const [d, t] of [['Oct 32', '00:00:00'], ['Foo  1', '00:00:00'], ['Oct  6', '24:00:00'], ['Oct  6', '23:60:00'], ['Oct  6', '23:59:61'], ['Feb 30', '00:00:00'], ['Oct  0', '00:00:00']]) {
      assert.equal(c.parse(d!, t!, undefined, REF), false, `${d} ${t}`);
    }
    assert.equal(c.parse('Oct  6', '00:00:00', undefined, NaN), false);
  });
});

describe('Rfc3339Clock', () => {
  test('zones, fractions and cache reuse', () => {
    const c = new Rfc3339Clock();
    assert.ok(c.parse('2026-01-01', '00:00:00', '123', '+01:00'));
    assert.equal(c.iso, '2025-12-31T23:00:00.123Z');
    assert.ok(c.parse('2026-01-01', '00:00:00', '999999', '+01:00'));
    assert.equal(c.iso, '2025-12-31T23:00:00.999Z');
    assert.ok(c.parse('2026-01-01', '00:00:00', undefined, 'Z'));
    assert.equal(c.iso, '2026-01-01T00:00:00.000Z');
    assert.ok(c.parse('2026-01-01', '00:00:00', undefined, '-0530'));
    assert.equal(c.iso, '2026-01-01T05:30:00.000Z');
  });

  test('refuses invalid parts', () => {
    const c = new Rfc3339Clock();
    assert.equal(c.parse('2026-13-01', '00:00:00', undefined, 'Z'), false);
    assert.equal(c.parse('2026-02-29', '00:00:00', undefined, 'Z'), false);
    assert.equal(c.parse('2026-01-01', '00:00:00', undefined, '+25:00'), false);
    assert.equal(c.parse('1969-12-31', '00:00:00', undefined, 'Z'), false);
    assert.equal(c.parse('2026-01-01', '00:00:00', 'abc', 'Z'), false);
  });
});

describe('token clocks', () => {
  test('clf', () => {
    const c = createTokenClock('clf');
    assert.ok(c.parse('06/Oct/2026:00:00:01 +0200', REF));
    assert.equal(c.iso, '2026-10-05T22:00:01.000Z');
    assert.ok(c.parse('06/Oct/2026:00:00:01 +0200', REF));
    assert.equal(c.ts, Date.parse('2026-10-05T22:00:01Z'));
    for (const bad of ['32/Oct/2026:00:00:01 +0000', '06/Oct/2026:00:00:01', '06/Xyz/2026:00:00:01 +0000', '06/Oct/2026:00:00:01 +2400']) assert.equal(c.parse(bad, REF), false, bad);
  });

  test('nginx_error and apache_error are read as UTC', () => {
    const n = createTokenClock('nginx_error');
    assert.ok(n.parse('2026/10/06 00:00:01', REF));
    assert.equal(n.iso, '2026-10-06T00:00:01.000Z');
    assert.equal(n.parse('2026/10/06 00:00:1', REF), false);
    const a = createTokenClock('apache_error');
    assert.ok(a.parse('Sun Dec 04 04:47:44 2005', REF));
    assert.equal(a.iso, '2005-12-04T04:47:44.000Z');
    assert.ok(a.parse('Wed Oct 11 14:32:52.123456 2000', REF));
    assert.equal(a.iso, '2000-10-11T14:32:52.123Z');
    assert.ok(a.parse('Wed Oct  1 14:32:52 2000', REF));
    assert.equal(a.iso, '2000-10-01T14:32:52.000Z');
    assert.equal(a.parse('Wed Oct 11 14:32:52.x 2000', REF), false);
  });

  test('bsd, rfc3339 and unix tokens', () => {
    const b = createTokenClock('bsd');
    assert.ok(b.parse('Oct  6 00:00:01', REF));
    assert.equal(b.iso, '2026-10-06T00:00:01.000Z');
    const r = createTokenClock('rfc3339');
    assert.ok(r.parse('2026-10-06T00:00:01.5+00:00', REF));
    assert.equal(r.iso, '2026-10-06T00:00:01.500Z');
    assert.equal(r.parse('2026-10-06T00:00:01', REF), false, 'a zone is required');
    const u = createTokenClock('unix');
    assert.ok(u.parse('1791244801.25', REF));
    assert.equal(u.iso, '2026-10-06T00:00:01.250Z');
    const ms = createTokenClock('unix_ms');
    assert.ok(ms.parse('1791244801250', REF));
    assert.equal(ms.iso, '2026-10-06T00:00:01.250Z');
    assert.equal(u.parse('-1', REF), false);
  });
});
