/**
 * Coverage report for log files: share parsed, hits per parser/pattern, and the shapes of lines
 * that were not parsed or only reached a catch-all pattern (id 'other' / 'any').
 *   node --import tsx packages/server/src/pipeline/parse/parse-coverage.ts [--type auto] [--ref ISO] FILE…
 * Shapes replace addresses, numbers and quoted text so similar lines group together.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLogLines } from './golden-case.js';
import { loadParsers } from './load-parsers.js';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args.splice(i, 2)[1]! : dflt;
};
const type = opt('--type', 'auto');
const referenceTime = Date.parse(opt('--ref', new Date().toISOString()));
const parsers = await loadParsers(join(repoRoot, 'content', 'parsers'));

/** A line's shape: variable parts replaced so lines of one kind group together. */
export function shape(s: string): string {
  return s
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, 'IP')
    .replace(/\b[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\b/gi, 'IP6')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 160);
}

for (const file of args) {
  const lines = readLogLines(file);
  const ctx = { source: file, type, referenceTime };
  const hits = new Map<string, number>();
  const unparsed = new Map<string, number>();
  const fallback = new Map<string, number>();
  let parsed = 0;
  for (const line of lines) {
    const r = parsers.explain(line, ctx);
    if (r === null) {
      const k = shape(line.replace(/^\S+\s+\S+\s+\S+\s+/, ''));
      unparsed.set(k, (unparsed.get(k) ?? 0) + 1);
      continue;
    }
    parsed++;
    const key = `${r.parser}/${r.pattern}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    if (r.pattern === 'other' || r.pattern === 'any') {
      const prog = r.result.event.process?.name ?? '-';
      const k = `${r.parser} ${prog}: ${shape(r.result.event.message ?? '')}`;
      fallback.set(k, (fallback.get(k) ?? 0) + 1);
    }
  }
  const pct = lines.length ? ((100 * parsed) / lines.length).toFixed(2) : '0';
  console.log(`\n${file}\n  type=${type}: ${parsed}/${lines.length} parsed (${pct}%)`);
  for (const [k, n] of [...hits].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(8)}  ${k}`);
  const top = (m: Map<string, number>, title: string) => {
    if (m.size === 0) return;
    console.log(`  ${title} (${m.size} shapes):`);
    for (const [k, n] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${String(n).padStart(8)}  ${k}`);
  };
  top(unparsed, 'unparsed');
  top(fallback, 'catch-all only');
}
