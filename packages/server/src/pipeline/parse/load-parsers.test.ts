import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSchema } from '@dio/protocol';
import { isAppError } from '../../shared/app-error.js';
import { compileParserSources, loadParsers } from './load-parsers.js';

const REF = Date.parse('2026-10-07T00:00:00Z');
const ctx = (type = 'auto') => ({ source: 'test', type, referenceTime: REF });

const base = (extra: string) => `
name: demo
description: demo parser
version: 1
when: {envelope: syslog, program: demo}
dataset: demo
${extra}`;

function compileError(text: string, file = 'demo.yaml'): string {
  try {
    compileParserSources([{ file, text }]);
  } catch (e) {
    assert.ok(isAppError(e), String(e));
    assert.equal(e.code, 'content.invalid_parser');
    return e.message;
  }
  assert.fail('expected a content error');
}

describe('validation errors name the file and the key', () => {
  test('unknown keys', () => {
    assert.match(compileError(base('colour: red\npatterns: [{id: a}]')), /^demo\.yaml: .*colour/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^x", sett: {}}]')), /demo\.yaml: patterns\.0.*sett/);
  });
  test('unknown field, missing group, bad conversions and constants', () => {
    assert.match(compileError(base('patterns: [{id: a, regex: "^(?<x>y)", set: {source.ipp: {group: x}}}]')), /patterns\[0\] \(a\)\.set\.source\.ipp: unknown field/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^(?<x>y)", set: {user.name: {group: z}}}]')), /set\.user\.name: the regex has no group "z"/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^(?<x>y)", set: {source.port: {group: x, type: ip}}}]')), /source\.port\.type: "ip" does not fit a int field/);
    assert.match(compileError(base('patterns: [{id: a, set: {source.port: 70000}}]')), /source\.port: expected an integer in \[0, 65535\]/);
    assert.match(compileError(base('patterns: [{id: a, set: {event.outcome: ok}}]')), /event\.outcome: expected success \| failure \| unknown/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^(?<x>y)", set: {event.category: {group: x}}}]')), /only takes a constant/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^(?<x>y)", set: {event.outcome: {group: x, map: {y: yes}}}}]')), /map\.y: expected success/);
  });
  test('regex problems', () => {
    assert.match(compileError(base('patterns: [{id: a, regex: "^(x"}]')), /patterns\[0\] \(a\)\.regex: invalid regex/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^(a+)+$"}]')), /regex refused: nested quantifier/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^(.*) (.*)$"}]')), /unbounded wildcards/);
  });
  test('structure problems', () => {
    assert.match(compileError(base('patterns: [{id: a}, {id: b, regex: "^x"}]')), /only the last pattern may/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^x"}, {id: a, regex: "^y"}]')), /duplicate pattern id/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^x"}]').replace('when: {envelope: syslog, program: demo}', 'when: {envelope: none}')), /envelope: none patterns need a timestamp/);
    assert.match(compileError(base('patterns: [{id: a, regex: "^x"}]').replace('dataset: demo', 'dataset: {nginx: a}')), /dataset: a per-type map needs a `default`/);
    assert.match(compileError('name: [x'), /demo\.yaml: invalid YAML/);
    assert.match(compileError('- 1\n- 2'), /demo\.yaml: \(top level\)/);
    const twice = () => compileParserSources([{ file: 'a.yaml', text: base('patterns: [{id: a}]') }, { file: 'b.yaml', text: base('patterns: [{id: a}]') }]);
    assert.throws(twice, /b\.yaml: name: "demo" is already used by a\.yaml/);
  });
  test('a missing directory is a clear error', async () => {
    await assert.rejects(loadParsers('/nonexistent/dio-parsers'), (e: unknown) => isAppError(e) && e.code === 'content.unreadable');
  });
});

describe('dispatch and mappings', () => {
  const demo = `
name: demo
description: demo
version: 1
types: [demo, syslog]
priority: 5
when: {envelope: syslog, program: [demo, demo2]}
dataset: {demo: demo.main, default: demo.other}
module: demo
defaults:
  event.category: [host]
patterns:
  - id: full
    startsWith: 'ev '
    regex: '^ev (?<ip>\\S+) (?<port>\\S+) (?<word>\\S+) (?<status>\\S+)(?: (?<flag>F))?(?: (?<long>.+))?$'
    set:
      event.action: demo_event
      event.outcome: {group: status, type: http_outcome}
      source.ip: {group: ip}
      source.port: {group: port}
      user.name: {group: word, type: lowercase, except: ['-']}
      labels.kind: {group: word, map: {A: alpha, B: beta}, default: other}
      labels.flag: {group: flag, type: flag}
      labels.long: {group: long}
      network.transport: tcp
  - id: rest
`;
  const generic = `
name: generic
description: any program
version: 1
types: [syslog]
when: {envelope: syslog}
dataset: generic
patterns: [{id: any}]
`;
  const set = compileParserSources([{ file: 'generic.yaml', text: generic }, { file: 'demo.yaml', text: demo }]);

  test('names are ordered by priority and types are known', () => {
    assert.deepEqual(set.names, ['demo', 'generic']);
    assert.deepEqual([...set.types].sort(), ['auto', 'demo', 'syslog']);
  });

  test('conversions, maps, flags, except and defaults', () => {
    const r = set.parse('Oct  6 00:00:01 h demo[5]: ev ::ffff:10.0.0.1 22 A 404 F more text', ctx('demo'));
    assert.ok(r);
    const e = r.event;
    assert.equal(e.event.dataset, 'demo.main');
    assert.equal(e.event.action, 'demo_event');
    assert.equal(e.event.outcome, 'failure');
    assert.deepEqual(e.event.category, ['host']);
    assert.deepEqual(e.source, { ip: '10.0.0.1', port: 22 });
    assert.deepEqual(e.user, { name: 'a' });
    assert.deepEqual(e.labels, { kind: 'alpha', flag: 'true', long: 'more text' });
    assert.equal(e.network?.transport, 'tcp');
    assert.deepEqual(e.dio, { parser: 'demo', input: 'test' });
    assert.ok(EventSchema.safeParse(e).success);
  });

  test('invalid values are omitted, not fatal', () => {
    const e = set.parse('Oct  6 00:00:01 h demo2: ev 300.1.1.1 99999 - abc', ctx('demo'))!.event;
    assert.equal(e.source, undefined);
    assert.equal(e.user, undefined);
    assert.equal(e.event.outcome, undefined);
    assert.deepEqual(e.labels, { kind: 'other' });
    assert.equal(e.process?.name, 'demo2');
  });

  test('long values are truncated to the schema limit', () => {
    const e = set.parse(`Oct  6 00:00:01 h demo: ev 1.2.3.4 1 A 200 ${'x'.repeat(5000)}`, ctx('demo'))!.event;
    assert.equal(e.labels?.long?.length, 4096);
    assert.ok(EventSchema.safeParse(e).success);
  });

  test('the source type selects parsers and the per-type dataset', () => {
    const line = 'Oct  6 00:00:01 h demo: ev 1.2.3.4 1 A 200';
    assert.equal(set.parse(line, ctx('auto'))?.event.event.dataset, 'demo.other');
    assert.equal(set.parse(line, ctx('syslog'))?.event.event.dataset, 'demo.other');
    assert.equal(set.parse('Oct  6 00:00:01 h other: ev 1', ctx('demo')), null, 'type demo has no generic parser');
    assert.equal(set.parse('Oct  6 00:00:01 h other: ev 1', ctx('syslog'))?.event.event.dataset, 'generic');
    assert.equal(set.parse(line, ctx('nope')), null);
  });

  test('a program parser that does not match falls through to its catch-all, then to generic', () => {
    const x = set.explain('Oct  6 00:00:01 h demo: something else', ctx('auto'));
    assert.deepEqual([x?.parser, x?.pattern, x?.envelope], ['demo', 'rest', 'syslog']);
    const y = set.explain('Oct  6 00:00:01 h cron: job', ctx('auto'));
    assert.deepEqual([y?.parser, y?.pattern], ['generic', 'any']);
    assert.equal(set.explain('not syslog', ctx('auto')), null);
  });
});

describe('the shipped content', () => {
  test('content/parsers loads', async () => {
    const dir = join(import.meta.dirname, '..', '..', '..', '..', '..', 'content', 'parsers');
    const parsers = await loadParsers(dir);
    for (const t of ['auto', 'sshd', 'syslog', 'nginx', 'apache']) assert.ok(parsers.types.has(t), t);
  });

  test('loadParsers reads only yaml files of a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dio-parsers-'));
    writeFileSync(join(dir, 'README.md'), '# not a parser');
    writeFileSync(join(dir, 'demo.yml'), base('patterns: [{id: a}]'));
    const p = await loadParsers(dir);
    assert.deepEqual(p.names, ['demo']);
  });
});
