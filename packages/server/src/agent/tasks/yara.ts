import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskParams, TaskResult } from '@dio/protocol';
import type { RunnerContext } from './policy.js';
import { resolveTool, runTool, toolFailed } from './run-tool.js';
import { checkPaths } from './scope.js';
import { invalidParams, tail, taskFailed } from './task-errors.js';

type YaraResult = TaskResult<'yara'>;
type Match = YaraResult['matches'][number];

const MAX_MATCHES = 10_000;
const MAX_WARNINGS = 100;

/**
 * `include` would let a rule set read any file the agent can (as YARA source: a syntax error
 * quotes it back in the message we return). The server sends self-contained rules.
 */
const INCLUDE = /^\s*include\s*"/m;

/** `RULE [tag,tag] PATH` as yara -g prints it; a path is absolute (we only pass absolute ones). */
const MATCH_LINE = /^([A-Za-z_][A-Za-z0-9_]{0,255}) \[([A-Za-z0-9_,]*)\] (\/.*)$/;

/**
 * yara's stdout → matches. Lines that are not a match (console-module output, say) are skipped
 * rather than guessed at. More than 10 000 matches are cut, with a warning saying so.
 */
export function parseYaraOutput(stdout: string, stderr: string, rulesFile: string): YaraResult {
  const matches: Match[] = [];
  let dropped = 0;
  for (const line of stdout.split('\n')) {
    const m = MATCH_LINE.exec(line);
    if (m === null) continue;
    if (matches.length >= MAX_MATCHES) {
      dropped++;
      continue;
    }
    const match: Match = { rule: m[1]!, path: m[3]!.slice(0, 4096) };
    const tags = m[2]!.split(',').filter((t) => t !== '').map((t) => t.slice(0, 64)).slice(0, 32);
    if (tags.length > 0) match.tags = tags;
    matches.push(match);
  }
  const warnings = stderr
    .split('\n')
    .map((l) => l.split(rulesFile).join('rules').trim())
    .filter((l) => l !== '')
    .slice(0, MAX_WARNINGS - 1)
    .map((l) => l.slice(0, 1024));
  if (dropped > 0) warnings.push(`${dropped} more matches were dropped (at most ${MAX_MATCHES} are reported)`);
  return warnings.length > 0 ? { matches, warnings } : { matches };
}

/**
 * argv. `-g` prints tags (the server sorts findings by them); `-N` does not follow symlinks
 * while walking, so a link under an allowed root cannot lead the scan outside it; `--scan-list`
 * because yara 4 takes only one target on the command line — the list file holds the checked,
 * realpath'd paths, one a line (they contain no newline: checkPaths refuses them). The rules
 * file goes as `dio:FILE` so a ':' in the scratch path is never read as a namespace separator.
 * No -s: matched strings would copy file content into the result.
 */
export function yaraArgs(rulesFile: string, listFile: string, recursive: boolean): string[] {
  return [...(recursive ? ['-r'] : []), '-g', '-N', '--scan-list', `dio:${rulesFile}`, listFile];
}

/** The yara task: check the paths, write the rules and the path list to the task dir, scan. */
export async function runYara(params: TaskParams<'yara'>, ctx: RunnerContext): Promise<YaraResult> {
  if (INCLUDE.test(params.rules)) throw invalidParams('yara rules may not use include: send one self-contained rule set');
  const paths = await checkPaths(params.paths, ctx.policy.scan_paths);
  const file = await resolveTool('yara', ctx.policy.tools.yara);
  const rulesFile = join(ctx.workDir, 'rules.yar');
  const listFile = join(ctx.workDir, 'paths.txt');
  await writeFile(rulesFile, params.rules, { mode: 0o600 });
  await writeFile(listFile, `${paths.join('\n')}\n`, { mode: 0o600 });
  const args = yaraArgs(rulesFile, listFile, params.recursive);
  ctx.logger.debug({ args, paths }, 'running yara');
  const res = await runTool({ tool: 'yara', file, args, cwd: ctx.workDir, signal: ctx.signal, maxOutputBytes: ctx.policy.max_output_bytes });
  const stderr = res.stderr.split(rulesFile).join('rules');
  // Compiler messages name the rules file with a line number: "rules(3): error: …".
  if (res.code !== 0 && /\brules\(\d+\)/.test(stderr)) throw taskFailed(`yara could not compile the rules: ${tail(stderr)}`);
  if (res.code !== 0) throw toolFailed('yara', { ...res, stderr });
  return parseYaraOutput(res.stdout, res.stderr, rulesFile);
}
