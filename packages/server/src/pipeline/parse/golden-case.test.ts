import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listParserCases, readLogLines, runParserCase, sharedDataDir, stableJson } from './golden-case.js';
import { compileParserSources } from './load-parsers.js';

function fakeRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'dio-golden-'));
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'content', 'tests', 'parsers', 'local'), { recursive: true });
  mkdirSync(join(repo, 'content', 'tests', 'parsers', 'shared-case'), { recursive: true });
  writeFileSync(join(repo, 'content', 'tests', 'parsers', 'local', 'input.log'), 'Oct  6 00:00:01 h p: hi\nnot syslog\n');
  writeFileSync(join(repo, 'content', 'tests', 'parsers', 'shared-case', 'case.json'), JSON.stringify({ input: 'shared:logs/x.log', type: 'syslog' }));
  return repo;
}

test('a case whose shared input is absent is skipped with the path in the reason', () => {
  const repo = fakeRepo();
  const [local, shared] = listParserCases(repo);
  assert.equal(local?.name, 'local');
  assert.equal(local?.skip, undefined);
  assert.equal(shared?.name, 'shared-case');
  assert.equal(shared?.type, 'syslog');
  assert.equal(shared?.inputPath, undefined);
  assert.match(shared?.skip ?? '', /shared data not present: .*shared\/data\/logs\/x\.log/);
  assert.equal(sharedDataDir(repo), join(repo, '..', 'shared', 'data'));
});

test('a present shared input is used', () => {
  const repo = fakeRepo();
  mkdirSync(join(sharedDataDir(repo), 'logs'), { recursive: true });
  writeFileSync(join(sharedDataDir(repo), 'logs', 'x.log'), 'Oct  6 00:00:01 h p: hi\r\n');
  const shared = listParserCases(repo)[1]!;
  assert.equal(shared.skip, undefined);
  assert.deepEqual(readLogLines(shared.inputPath!), ['Oct  6 00:00:01 h p: hi\r']);
});

test('runParserCase gives one stable JSON text per line', () => {
  const repo = fakeRepo();
  const parsers = compileParserSources([{ file: 'g.yaml', text: 'name: g\ndescription: g\nversion: 1\nwhen: {envelope: syslog}\ndataset: g\npatterns: [{id: any}]\n' }]);
  const out = runParserCase(parsers, listParserCases(repo)[0]!);
  assert.equal(out.length, 2);
  assert.equal(out[1], 'null');
  assert.equal(out[0], stableJson(JSON.parse(out[0]!)));
  assert.match(out[0], /^\{"@timestamp":"2026-10-06T00:00:01.000Z","dio":\{"input":"golden","parser":"g"\},"event":/);
});
