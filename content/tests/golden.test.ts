/**
 * Golden walker: every case folder under content/tests/<suite>/ becomes one test.
 *
 * Suites:
 *   parsers — content/tests/parsers/<name>/{input.log, expected.jsonl[, case.json]}: each input line
 *             parsed with the content parsers; expected.jsonl holds the event (keys sorted) or null.
 *             Regenerate with packages/server/src/pipeline/parse/regen-golden.ts and review the diff.
 *   scenarios — content/tests/scenarios/<name>/: alerts raised by the shipped scenarios (see below).
 *
 * To add a suite (e.g. scenarios under content/tests/scenarios/<name>/), append a GoldenSuite to
 * SUITES: `cases()` lists the folders once (async setup such as loading content goes there), and
 * each case's `run()` throws (assert) on mismatch. A case with `skip` set is reported as skipped
 * with that reason (used when its input lives in the shared data set and that is absent).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventSchema } from '@dio/protocol';
import { listParserCases, readLogLines, runParserCase, type ParserCase } from '../../packages/server/src/pipeline/parse/golden-case.js';
import { loadParsers } from '../../packages/server/src/pipeline/parse/load-parsers.js';
import type { LineParser } from '../../packages/server/src/pipeline/parse/port.js';
import { listScenarioCases, runScenarioCase } from '../../packages/server/src/pipeline/detect/golden-case.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface GoldenCase {
  name: string;
  skip?: string | undefined;
  run(): void | Promise<void>;
}

interface GoldenSuite {
  name: string;
  cases(): Promise<GoldenCase[]>;
}

const MAX_REPORTED = 5;

function checkParserCase(parsers: LineParser, c: ParserCase): void {
  const actual = runParserCase(parsers, c);
  const expected = readFileSync(c.expectedPath, 'utf8').split('\n');
  if (expected[expected.length - 1] === '') expected.pop();
  const input = c.inputPath === undefined ? [] : readLogLines(c.inputPath);
  assert.equal(actual.length, expected.length, `${c.name}: ${actual.length} input lines but ${expected.length} expected lines (regenerate the golden?)`);
  const problems: string[] = [];
  actual.forEach((got, i) => {
    if (problems.length >= MAX_REPORTED) return;
    if (got !== 'null') {
      const r = EventSchema.safeParse(JSON.parse(got));
      if (!r.success) problems.push(`line ${i + 1}: event fails EventSchema: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    }
    if (got !== expected[i]) {
      problems.push(`line ${i + 1}: ${JSON.stringify(input[i]?.slice(0, 300))}\n    expected ${expected[i]}\n    actual   ${got}`);
    }
  });
  assert.equal(problems.length, 0, `${c.name} (${c.dir}):\n  ${problems.join('\n  ')}`);
}

const parserSuite: GoldenSuite = {
  name: 'parsers',
  async cases() {
    const parsers = await loadParsers(join(repoRoot, 'content', 'parsers'));
    return listParserCases(repoRoot).map((c) => ({ name: c.name, skip: c.skip, run: () => checkParserCase(parsers, c) }));
  },
};

/**
 * scenarios — content/tests/scenarios/<name>/{input.log, expected.jsonl[, case.json]}: the input
 * through parse → enrich → detect with every shipped scenario; expected.jsonl holds one summary
 * per alert in order (benign lines in an input must add none). Regenerate with
 * packages/server/src/pipeline/detect/regen-scenario-golden.ts and review the diff.
 */
const scenarioSuite: GoldenSuite = {
  name: 'scenarios',
  cases() {
    return Promise.resolve(
      listScenarioCases(repoRoot).map((c) => ({
        name: c.name,
        run: async () => {
          const actual = await runScenarioCase(repoRoot, c);
          const expected = readFileSync(c.expectedPath, 'utf8').split('\n').filter((l) => l !== '');
          assert.deepEqual(actual.map((l) => JSON.parse(l) as unknown), expected.map((l) => JSON.parse(l) as unknown), `${c.name} (${c.dir}): alerts differ from expected.jsonl`);
        },
      })),
    );
  },
};

const SUITES: GoldenSuite[] = [parserSuite, scenarioSuite];

for (const suite of SUITES) {
  const cases = await suite.cases();
  await describe(`golden: ${suite.name}`, () => {
    if (cases.length === 0) test('no cases', { skip: `no case folders under content/tests/${suite.name}` }, () => {});
    for (const c of cases) test(c.name, c.skip === undefined ? {} : { skip: c.skip }, () => c.run());
  });
}
