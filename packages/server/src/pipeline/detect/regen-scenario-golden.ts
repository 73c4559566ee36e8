/**
 * Regenerates content/tests/scenarios/<name>/expected.jsonl from the current content.
 * Run after changing a scenario or a parser, then review the diff line by line:
 *   node --import tsx packages/server/src/pipeline/detect/regen-scenario-golden.ts [name…]
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listScenarioCases, runScenarioCase } from './golden-case.js';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const only = process.argv.slice(2);
for (const c of listScenarioCases(repoRoot)) {
  if (only.length && !only.includes(c.name)) continue;
  const lines = await runScenarioCase(repoRoot, c);
  writeFileSync(c.expectedPath, lines.map((l) => `${l}\n`).join(''));
  console.log(`${c.name}: ${lines.length} alert(s)`);
}
