import { spawn } from 'node:child_process';
import { AppError } from '../../shared/app-error.js';

/** One program invocation: never through a shell, so no argument is ever interpreted. */
export interface Command {
  file: string;
  args: readonly string[];
  /** Written to the program's stdin (nft/ipset/iptables-restore scripts). */
  stdin?: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill the program after this long (default 15 s). */
  timeoutMs?: number;
  /** Stop and fail when stdout grows past this (default 32 MiB; a full 65k-entry set listing is ~6 MiB). */
  maxStdoutBytes?: number;
  /** stderr beyond this is cut, not fatal (default 64 KiB). */
  maxStderrBytes?: number;
  /** Exit codes that are not failures (default [0]). */
  okCodes?: readonly number[];
}

/** Injected into the adapters so tests can record commands without root. */
export type CommandRunner = (cmd: Command, opts?: RunOptions) => Promise<CommandResult>;

const DEFAULTS = { timeoutMs: 15_000, maxStdoutBytes: 32 * 1024 * 1024, maxStderrBytes: 64 * 1024 };
// Firewall tools live in sbin, which a service user's PATH often lacks; C locale keeps the
// error texts the adapters recognise ("does not exist") stable.
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function childEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  for (const d of SBIN) if (!path.includes(d)) path.push(d);
  return { PATH: path.join(':'), LC_ALL: 'C', LANG: 'C' };
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Shell-like text of a command for logs, dry-run output and error messages (stdin shown as a
 * here-document), so an operator can paste it. It is only ever displayed, never executed.
 */
export function formatCommand(cmd: Command): string {
  const line = [cmd.file, ...cmd.args].map(quote).join(' ');
  if (cmd.stdin === undefined) return line;
  const body = cmd.stdin.endsWith('\n') ? cmd.stdin : `${cmd.stdin}\n`;
  return `${line} <<'EOF'\n${body}EOF`;
}

function fail(cmd: Command, why: string, details: Record<string, unknown>, cause?: unknown): AppError {
  const shown = [cmd.file, ...cmd.args].map(quote).join(' ');
  return new AppError('firewall.command_failed', `${shown}: ${why}`, { cause, details: { command: shown, ...details } });
}

/** Runs a program with arguments, optional stdin, a timeout and bounded output capture. */
export function runCommand(cmd: Command, opts: RunOptions = {}): Promise<CommandResult> {
  // explicit `undefined` (an adapter passing its own optional setting through) means the default
  const o = {
    timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
    maxStdoutBytes: opts.maxStdoutBytes ?? DEFAULTS.maxStdoutBytes,
    maxStderrBytes: opts.maxStderrBytes ?? DEFAULTS.maxStderrBytes,
  };
  const okCodes = opts.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    let settled = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    const child = spawn(cmd.file, cmd.args, { shell: false, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const finish = (e: AppError | null, r?: CommandResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolve(r!);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(fail(cmd, `timed out after ${o.timeoutMs} ms`, { timeoutMs: o.timeoutMs }));
    }, o.timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      outLen += b.length;
      if (outLen > o.maxStdoutBytes) {
        child.kill('SIGKILL');
        finish(fail(cmd, `output exceeded ${o.maxStdoutBytes} bytes`, { maxStdoutBytes: o.maxStdoutBytes }));
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen >= o.maxStderrBytes) return;
      const part = b.subarray(0, o.maxStderrBytes - errLen);
      errLen += part.length;
      err.push(part);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'program not found (is it installed and on PATH?)' : e.message;
      finish(fail(cmd, why, { errno: e.code }, e));
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      const stdout = Buffer.concat(out).toString('utf8');
      const exit = code ?? -1;
      if (okCodes.includes(exit)) finish(null, { code: exit, stdout, stderr });
      else {
        const why = signal ? `killed by ${signal}` : `exit ${exit}${stderr ? `: ${stderr}` : ''}`;
        finish(fail(cmd, why, { code: exit, stderr }));
      }
    });
    // The program may exit before reading stdin (bad arguments): EPIPE is then expected and the
    // exit code tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(cmd.stdin ?? '');
  });
}

/** stderr of a failed command, for recognising specific failures ("does not exist"). */
export function failureText(e: unknown): string {
  if (e instanceof AppError && e.details && typeof e.details === 'object' && 'stderr' in e.details) {
    const s = (e.details as { stderr?: unknown }).stderr;
    if (typeof s === 'string') return s;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Argument prefix that runs a program inside a network namespace (`ip netns exec NS`), or nothing.
 * The name is checked so it can never be read as an option by `ip`.
 */
export function netnsPrefix(netns: string | undefined, ipPath = 'ip'): string[] {
  if (netns === undefined) return [];
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(netns)) {
    throw new AppError('firewall.invalid_config', `network namespace name must be letters, digits, '_', '.', '-': ${netns}`);
  }
  return [ipPath, 'netns', 'exec', netns];
}
