import type { TaskParams, TaskResult } from '@dio/protocol';
import type { RunnerContext } from './policy.js';
import { resolveTool, runTool, toolFailed, type ToolOutput } from './run-tool.js';
import { checkPaths } from './scope.js';
import { tail, taskFailed } from './task-errors.js';

type ClamavResult = TaskResult<'clamav'>;
type Infection = ClamavResult['infected'][number];

const MAX_INFECTED = 10_000;
const MAX_WARNINGS = 100;

/** What libclamav says when it has no signatures to load (fresh install, no freshclam run). */
const NO_DATABASE = /No supported database files found|cl_load\(\): No such file or directory/;

/**
 * clamscan's stdout → ClamavResult. With -i it prints only `PATH: SIGNATURE FOUND` lines and
 * then the summary. The path is everything before the last ": " (signature names have no
 * ": ", file names may). More than 10 000 infections are cut, with a warning.
 */
export function parseClamscanOutput(stdout: string, stderr: string): ClamavResult {
  const infected: Infection[] = [];
  const warnings: string[] = [];
  let dropped = 0;
  let scanned: number | undefined;
  let engine: string | undefined;
  let errors = 0;
  for (const line of stdout.split('\n')) {
    if (line.endsWith(' FOUND')) {
      const sep = line.lastIndexOf(': ');
      if (sep <= 0) continue;
      if (infected.length >= MAX_INFECTED) dropped++;
      else infected.push({ path: line.slice(0, sep).slice(0, 4096), signature: line.slice(sep + 2, -' FOUND'.length).slice(0, 256) });
      continue;
    }
    const m = /^(Scanned files|Engine version|Total errors): (\S+)$/.exec(line);
    if (m === null) continue;
    if (m[1] === 'Scanned files' && /^\d{1,12}$/.test(m[2]!)) scanned = Number(m[2]);
    else if (m[1] === 'Engine version') engine = m[2]!.slice(0, 64);
    else if (/^\d{1,12}$/.test(m[2]!)) errors = Number(m[2]);
  }
  for (const l of stderr.split('\n')) {
    const t = l.trim();
    if (t !== '' && warnings.length < MAX_WARNINGS - 2) warnings.push(t.slice(0, 1024));
  }
  // With -i clamscan does not say which files failed, only how many.
  if (errors > 0) warnings.push(`clamscan could not scan ${errors} file(s) (unreadable or over its size limits)`);
  if (dropped > 0) warnings.push(`${dropped} more infected files were dropped (at most ${MAX_INFECTED} are reported)`);
  const result: ClamavResult = { infected };
  if (scanned !== undefined) result.scanned_files = scanned;
  if (engine !== undefined) result.engine_version = engine;
  if (warnings.length > 0) result.warnings = warnings;
  return result;
}

/**
 * argv. `-i`: print only infected files (a clean tree of a million files would otherwise fill
 * the output cap with "OK" lines); the summary is kept for the scanned-files count. Symlinks
 * are not followed at all, so a link under an allowed root cannot lead outside it (the roots
 * themselves were realpath'd). `--tempdir`: unpacked archives go to the task's private dir.
 * `-d` only when the policy names a database; else clamscan's own default applies.
 */
export function clamscanArgs(paths: readonly string[], opts: { recursive: boolean; db?: string | undefined; tempDir: string }): string[] {
  return [
    '-i',
    ...(opts.recursive ? ['-r'] : []),
    '--follow-dir-symlinks=0',
    '--follow-file-symlinks=0',
    `--tempdir=${opts.tempDir}`,
    ...(opts.db !== undefined ? ['-d', opts.db] : []),
    ...paths,
  ];
}

function noDatabase(res: ToolOutput): boolean {
  return NO_DATABASE.test(res.stderr) || /^Known viruses: 0$/m.test(res.stdout);
}

/**
 * The clamav task. Exit 0 is clean, 1 is "found something" (a result, not an error); 2 is an
 * error, but clamscan also exits 2 when it merely could not read some files, so a 2 after a
 * completed scan (summary printed, signatures loaded) is a result with a warning.
 */
export async function runClamav(params: TaskParams<'clamav'>, ctx: RunnerContext): Promise<ClamavResult> {
  const paths = await checkPaths(params.paths, ctx.policy.scan_paths);
  const file = await resolveTool('clamscan', ctx.policy.tools.clamscan);
  const db = ctx.policy.clamav_db;
  const args = clamscanArgs(paths, { recursive: params.recursive, db, tempDir: ctx.workDir });
  ctx.logger.debug({ args }, 'running clamscan');
  const res = await runTool({ tool: 'clamscan', file, args, cwd: ctx.workDir, signal: ctx.signal, maxOutputBytes: ctx.policy.max_output_bytes });
  if (res.code === 2 && noDatabase(res)) {
    const where = db === undefined ? '' : ` (tasks.clamav_db ${db} holds no usable signature files)`;
    throw taskFailed(`ClamAV has no virus database: run freshclam or set tasks.clamav_db${where}: ${tail(res.stderr, 500)}`);
  }
  if (res.code === 0 || res.code === 1 || (res.code === 2 && /^Scanned files: \d+$/m.test(res.stdout))) return parseClamscanOutput(res.stdout, res.stderr);
  throw toolFailed('clamscan', res);
}
