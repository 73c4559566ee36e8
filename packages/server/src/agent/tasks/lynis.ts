import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TaskParams, TaskResult } from '@dio/protocol';
import type { RunnerContext } from './policy.js';
import { resolveTool, runTool, toolFailed } from './run-tool.js';
import { invalidParams, taskFailed } from './task-errors.js';

type LynisResult = TaskResult<'lynis'>;
type Item = LynisResult['warnings'][number];

const MAX_ITEMS = 2000;

/** A report field that lynis fills with '-' (or nothing) when it has no value. */
const field = (s: string | undefined, max: number): string | undefined => {
  const t = s?.trim();
  return t === undefined || t === '' || t === '-' ? undefined : t.slice(0, max);
};

/** `ID|text|detail|solution|` — the layout of warning[] and suggestion[] lines in report.dat. */
function parseItem(value: string): Item | undefined {
  const [id, text, detail, solution] = value.split('|');
  const i = field(id, 64);
  const t = field(text, 1024);
  if (i === undefined || t === undefined) return undefined;
  const item: Item = { id: i, text: t };
  const d = field(detail, 1024);
  const s = field(solution, 1024);
  if (d !== undefined) item.detail = d;
  if (s !== undefined) item.solution = s;
  return item;
}

/**
 * lynis's report.dat → LynisResult. The file is `key=value` lines (`#` comments), with `[]`
 * keys repeated for lists; we keep warning[], suggestion[], hardening_index, lynis_version and
 * the test count (lynis_tests_done, else the length of tests_executed). Lists are capped at the
 * schema's 2000; unknown keys are ignored (lynis adds them between versions).
 */
export function parseLynisReport(text: string): LynisResult {
  const warnings: Item[] = [];
  const suggestions: Item[] = [];
  let hardening: number | null = null;
  let version: string | undefined;
  let done: number | undefined;
  let executed: number | undefined;
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0 || line.startsWith('#')) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replace(/\r$/, '');
    if (key === 'warning[]' || key === 'suggestion[]') {
      const list = key === 'warning[]' ? warnings : suggestions;
      const item = parseItem(value);
      if (item !== undefined && list.length < MAX_ITEMS) list.push(item);
    } else if (key === 'hardening_index') {
      const n = Number(value);
      hardening = /^\d{1,3}$/.test(value) && n <= 100 ? n : null;
    } else if (key === 'lynis_version') version = field(value, 32);
    else if (key === 'lynis_tests_done' && /^\d{1,9}$/.test(value)) done = Number(value);
    else if (key === 'tests_executed') executed = value.split('|').filter((t) => t !== '').length;
  }
  const result: LynisResult = { hardening_index: hardening, warnings, suggestions };
  const tests = done ?? executed;
  if (tests !== undefined) result.tests_performed = tests;
  if (version !== undefined) result.lynis_version = version;
  return result;
}

/** Where lynis looks for its include dir (the order of its own search), for the group check. */
function includeDirs(lynis: string): string[] {
  return ['/usr/local/include/lynis', '/usr/local/lynis/include', '/usr/share/lynis/include', join(dirname(lynis), 'include')];
}

async function exists(p: string, dir: boolean): Promise<boolean> {
  return stat(p).then(
    (s) => (dir ? s.isDirectory() : s.isFile()),
    () => false,
  );
}

/**
 * Fails fast on a group lynis does not have (each group is an include file `tests_<group>`),
 * rather than after a minutes-long audit; `lynis show groups` itself takes ~10 s, so the files
 * are checked instead. When the include dir is not found the post-run check still catches it.
 */
async function checkGroups(lynis: string, groups: readonly string[]): Promise<void> {
  for (const dir of includeDirs(lynis)) {
    if (!(await exists(dir, true))) continue;
    for (const g of groups) {
      if (!(await exists(join(dir, `tests_${g}`), false))) throw invalidParams(`lynis has no test group "${g}" (see: lynis show groups)`);
    }
    return;
  }
}

/**
 * argv for the audit. `--quick` never waits for a key press; `--no-colors` keeps escape codes
 * out of the captured output; `--no-log` writes no /var/log/lynis.log (the report is all we
 * read); `--report-file` puts report.dat in the task's private dir instead of /var/log. Groups
 * are validated ([a-z_]) and go as one argument: lynis splits the list on spaces itself.
 */
export function lynisArgs(reportFile: string, groups: readonly string[] | undefined): string[] {
  const args = ['audit', 'system', '--quick', '--no-colors', '--no-log', '--report-file', reportFile];
  if (groups !== undefined && groups.length > 0) args.push('--tests-from-group', groups.join(' '));
  return args;
}

/** The lynis task: audit, then read the report it wrote. */
export async function runLynis(params: TaskParams<'lynis'>, ctx: RunnerContext): Promise<LynisResult> {
  const file = await resolveTool('lynis', ctx.policy.tools.lynis);
  const groups = params.groups?.length ? [...new Set(params.groups)] : undefined;
  if (groups !== undefined) await checkGroups(file, groups);
  const reportFile = join(ctx.workDir, 'report.dat');
  const args = lynisArgs(reportFile, groups);
  ctx.logger.debug({ args }, 'running lynis');
  const res = await runTool({ tool: 'lynis', file, args, cwd: ctx.workDir, signal: ctx.signal, maxOutputBytes: ctx.policy.max_output_bytes });
  // 78 is lynis's "warnings found" code when a profile sets error-on-warnings: still a report.
  if (res.code !== 0 && res.code !== 78) throw toolFailed('lynis', res);
  const missing = /Can't find file \(category: ([a-z_]+)\)/.exec(res.stdout);
  if (missing !== null) throw invalidParams(`lynis has no test group "${missing[1]}" (see: lynis show groups)`);
  const size = await stat(reportFile).then(
    (s) => s.size,
    () => -1,
  );
  if (size < 0) throw taskFailed(`lynis finished but wrote no report file: ${res.stdout.trim().slice(-500)}`);
  if (size > ctx.policy.max_output_bytes) throw taskFailed(`lynis report is ${size} bytes, more than tasks.max_output_bytes`);
  const result = parseLynisReport(await readFile(reportFile, 'utf8'));
  // The index is a score over the tests that ran: over a few groups it reads as a terribly
  // hardened host (a one-group run scores ~1), so it is only reported for a full audit.
  if (groups !== undefined) result.hardening_index = null;
  return result;
}
