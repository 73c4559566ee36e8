import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../shared/logger.js';
import { AgentTaskPolicySchema, type RunnerContext } from './policy.js';

/** A runner context for tests: a fresh scratch dir (remove it with `cleanup`), the given policy keys. */
export async function testRunnerContext(policy: Record<string, unknown> = {}, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RunnerContext & { cleanup(): Promise<void> }> {
  const workDir = await mkdtemp(join(tmpdir(), 'dio-task-test-'));
  return {
    policy: AgentTaskPolicySchema.parse(policy),
    signal: opts.signal ?? new AbortController().signal,
    timeoutMs: opts.timeoutMs ?? 60_000,
    logger: silentLogger(),
    workDir,
    cleanup: () => rm(workDir, { recursive: true, force: true }),
  };
}

/** Why a real-tool test is skipped, or false to run it. */
export async function skipUnlessTool(tool: 'nmap' | 'yara' | 'lynis' | 'clamscan'): Promise<string | false> {
  const { resolveTool } = await import('./run-tool.js');
  try {
    await resolveTool(tool);
    return false;
  } catch {
    return `${tool} is not installed on this host`;
  }
}
