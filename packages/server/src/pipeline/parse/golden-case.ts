import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { LineParser } from './port.js';

/**
 * Parser golden cases: content/tests/parsers/<name>/{input.log, expected.jsonl[, case.json]}.
 * expected.jsonl holds one JSON per input line: the event (keys sorted) or `null` (unparsed).
 * case.json (optional) sets the context, and may point the input at the shared data set
 * (`"input": "shared:logs/…"`, resolved under <repo>/../shared/data) so large third-party logs
 * are never copied into the repository; such cases are skipped when that folder is absent.
 */
export const CaseFileSchema = z.strictObject({
  type: z.string().min(1).max(32).default('auto'),
  referenceTime: z.iso.datetime({ offset: true }).default('2026-10-07T00:00:00Z'),
  source: z.string().max(512).default('golden'),
  input: z.string().regex(/^shared:[A-Za-z0-9._/-]+$/).optional(),
  description: z.string().max(1000).optional(),
});

export interface ParserCase {
  name: string;
  dir: string;
  type: string;
  referenceTime: number;
  source: string;
  /** Input file, or undefined when it lives in the shared data set and that is absent. */
  inputPath: string | undefined;
  /** Why the case cannot run here (shared data missing). */
  skip: string | undefined;
  expectedPath: string;
}

export function sharedDataDir(repoRoot: string): string {
  return resolve(repoRoot, '..', 'shared', 'data');
}

export function listParserCases(repoRoot: string): ParserCase[] {
  const root = join(repoRoot, 'content', 'tests', 'parsers');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((name) => readParserCase(repoRoot, join(root, name), name));
}

function readParserCase(repoRoot: string, dir: string, name: string): ParserCase {
  const casePath = join(dir, 'case.json');
  const spec = CaseFileSchema.parse(existsSync(casePath) ? JSON.parse(readFileSync(casePath, 'utf8')) : {});
  let inputPath: string | undefined = join(dir, 'input.log');
  let skip: string | undefined;
  if (spec.input !== undefined) {
    const shared = sharedDataDir(repoRoot);
    inputPath = join(shared, spec.input.slice('shared:'.length));
    if (!existsSync(inputPath)) {
      skip = `shared data not present: ${inputPath} (the case reads its input from ${shared}, which is not part of the repo)`;
      inputPath = undefined;
    }
  }
  return { name, dir, type: spec.type, referenceTime: Date.parse(spec.referenceTime), source: spec.source, inputPath, skip, expectedPath: join(dir, 'expected.jsonl') };
}

/** Lines of a log file (.gz is inflated); a final newline does not make an extra empty line. */
export function readLogLines(path: string): string[] {
  const buf = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** JSON with object keys sorted, so golden files diff cleanly. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val === null || typeof val !== 'object' || Array.isArray(val)) return val;
    const o = val as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  });
}

/** Parses every input line of a case; one stable JSON text per line ('null' when unparsed). */
export function runParserCase(parsers: LineParser, c: ParserCase): string[] {
  if (c.inputPath === undefined) throw new Error(`case ${c.name}: ${c.skip}`);
  const ctx = { source: c.source, type: c.type, referenceTime: c.referenceTime };
  return readLogLines(c.inputPath).map((line) => {
    const r = parsers.parse(line, ctx);
    return r === null ? 'null' : stableJson(r.event);
  });
}
