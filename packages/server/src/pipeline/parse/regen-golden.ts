/**
 * Regenerates content/tests/parsers/<name>/expected.jsonl from the current parsers.
 *   node --import tsx packages/server/src/pipeline/parse/regen-golden.ts [name…]
 * Review the diff by eye before committing: the golden files are the parsers' specification.
 * Prints, per case, how many lines parsed and the count per parser/action to ease that review.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { listParserCases, runParserCase } from './golden-case.js';
import { loadParsers } from './load-parsers.js';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const only = new Set(process.argv.slice(2));
const parsers = await loadParsers(join(repoRoot, 'content', 'parsers'));

for (const c of listParserCases(repoRoot)) {
  if (only.size > 0 && !only.has(c.name)) continue;
  if (c.skip !== undefined) {
    console.log(`skip ${c.name}: ${c.skip}`);
    continue;
  }
  const out = runParserCase(parsers, c);
  writeFileSync(c.expectedPath, out.join('\n') + '\n');
  const counts = new Map<string, number>();
  let parsed = 0;
  for (const line of out) {
    if (line === 'null') continue;
    parsed++;
    const e = JSON.parse(line) as { dio?: { parser?: string }; event: { action?: string } };
    const key = `${e.dio?.parser ?? '?'}/${e.event.action ?? '-'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log(`${c.name}: ${parsed}/${out.length} parsed → ${c.expectedPath}`);
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${k}`);
}
