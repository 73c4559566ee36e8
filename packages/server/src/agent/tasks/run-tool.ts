import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { AppError } from '../../shared/app-error.js';
import type { ToolName } from './policy.js';
import { abortError, tail, taskFailed } from './task-errors.js';

/**
 * Running the external scanners. argv arrays only — never a shell, never a command line built
 * from parameters — with no stdin, a fixed minimal environment (so a poisoned LD_PRELOAD or
 * PATH in the agent's own environment does not reach a root-run tool), bounded output and a
 * kill that reaches the whole process group (lynis is a shell script with many children).
 */

/** The PATH given to tools and searched for them: sbin included, since lynis lives there. */
export const TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const INSTALL_HINT: Record<ToolName, string> = {
  nmap: 'apt install nmap',
  yara: 'apt install yara',
  lynis: 'apt install lynis',
  clamscan: 'apt install clamav',
};

function toolMissing(tool: ToolName, detail: string): AppError {
  return new AppError('task.tool_missing', `${tool} is not installed on this host (${INSTALL_HINT[tool]})${detail}`, { status: 424 });
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Absolute path of `tool`: the configured override (which must exist), else the first hit in
 * TOOL_PATH. @throws AppError task.tool_missing with the package to install.
 */
export async function resolveTool(tool: ToolName, override?: string): Promise<string> {
  if (override !== undefined) {
    if (isAbsolute(override) && (await isExecutableFile(override))) return override;
    throw toolMissing(tool, `: the configured tasks.tools.${tool} ${JSON.stringify(override)} is not an executable file`);
  }
  for (const dir of TOOL_PATH.split(':')) {
    const p = join(dir, tool);
    if (await isExecutableFile(p)) return p;
  }
  throw toolMissing(tool, '');
}

export interface ToolRun {
  /** Which tool, for messages. */
  tool: ToolName;
  /** Absolute path from resolveTool. */
  file: string;
  args: readonly string[];
  cwd: string;
  signal: AbortSignal;
  maxOutputBytes: number;
  /** Between SIGTERM and SIGKILL; default 2000 ms. */
  killGraceMs?: number;
}

export interface ToolOutput {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last maxOutputBytes of stderr (the tail is what explains a failure). */
  stderr: string;
}

/**
 * Runs a tool to completion. Resolves whatever the exit code is (clamscan exits 1 when it found
 * something: the runner decides what a code means). @throws AppError task.tool_missing,
 * task.output_too_large, task.timeout / task.cancelled (on abort), task.failed (spawn failed).
 */
export function runTool(run: ToolRun): Promise<ToolOutput> {
  const { tool, signal, maxOutputBytes } = run;
  if (run.args.some((a) => a.includes('\0'))) return Promise.reject(taskFailed(`${tool}: an argument contains a NUL byte`));
  if (signal.aborted) return Promise.reject(abortError(signal, tool));
  return new Promise<ToolOutput>((resolve, reject) => {
    const child = spawn(run.file, run.args, {
      cwd: run.cwd,
      env: { PATH: TOOL_PATH, LANG: 'C', LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      // Own process group, so a kill reaches the tool's children too.
      detached: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err: Buffer[] = [];
    let errBytes = 0;
    let failure: AppError | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const grace = run.killGraceMs ?? 2000;

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // Already gone: nothing to kill.
      }
    };
    const stop = (why: AppError): void => {
      failure ??= why;
      if (killTimer !== undefined) return;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), grace);
    };
    const onAbort = (): void => stop(abortError(signal, tool));
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (b: Buffer) => {
      if (failure !== undefined) return;
      outBytes += b.length;
      if (outBytes > maxOutputBytes) {
        stop(new AppError('task.output_too_large', `${tool} wrote more than ${maxOutputBytes} bytes of output (tasks.max_output_bytes); narrow the task`, { status: 413 }));
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      errBytes += b.length;
      if (errBytes > maxOutputBytes) {
        const all = Buffer.concat(err);
        err = [all.subarray(all.length - maxOutputBytes)];
        errBytes = maxOutputBytes;
      }
    });
    // A grandchild that left the process group could hold the pipes open forever after the
    // tool itself exited; close our ends after a grace period so 'close' always comes.
    child.on('exit', () => {
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, grace);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      failure ??= e.code === 'ENOENT' ? toolMissing(tool, `: ${run.file} not found`) : taskFailed(`could not start ${tool}: ${e.message}`, e);
    });
    child.on('close', (code: number | null, sig: NodeJS.Signals | null) => {
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      signal.removeEventListener('abort', onAbort);
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      resolve({ code, signal: sig, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** task.failed for a tool that exited with an unexpected code, with the tail of what it said. */
export function toolFailed(tool: ToolName, res: ToolOutput, hint = ''): AppError {
  const how = res.code === null ? `was killed by ${res.signal ?? 'a signal'}` : `exited with code ${res.code}`;
  const said = tail(res.stderr) || tail(res.stdout);
  return taskFailed(`${tool} ${how}${hint ? ` (${hint})` : ''}${said ? `: ${said}` : ''}`);
}
