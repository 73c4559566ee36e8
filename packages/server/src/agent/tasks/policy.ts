import { z } from 'zod';
import { AbsPathSchema, IpOrCidrSchema } from '@dio/protocol';
import type { Logger } from '../../shared/logger.js';

const MiB = 1024 * 1024;

/**
 * Roots yara and clamav may read by default: where malware and web shells land — home
 * directories, the world-writable temp dirs (/tmp, /var/tmp, /dev/shm are the usual drop
 * spots) and the places services are deployed to (/var/www, /srv, /opt). Deliberately not /etc,
 * /root, /var/lib or /: a YARA rule is an oracle over file content (a rule can test one byte of
 * /etc/shadow), so a root here is a promise that the server may learn what is under it.
 */
export const DEFAULT_SCAN_PATHS = ['/home', '/tmp', '/var/tmp', '/dev/shm', '/var/www', '/srv', '/opt'];

/**
 * What this agent allows tasks to do, from its own config (`tasks:` in dio.yaml). The server
 * signs tasks, but the agent still decides what its host may be used for: a stolen server key
 * must not turn every agent into a scanner of arbitrary networks or a reader of arbitrary files.
 */
export const AgentTaskPolicySchema = z
  .object({
    /** CIDRs nmap/portscan may probe. Empty (the default) refuses every scan task. */
    scan_targets: z.array(IpOrCidrSchema).max(256).default([]),
    /** Roots yara/clamav may read; symlinks are resolved before the check. */
    scan_paths: z.array(AbsPathSchema).max(64).default(DEFAULT_SCAN_PATHS),
    /** Database directory for `clamscan -d`; else clamscan's compiled-in default (/var/lib/clamav). */
    clamav_db: AbsPathSchema.optional(),
    /** Absolute paths of the tools, overriding the PATH lookup. */
    tools: z
      .object({ nmap: AbsPathSchema.optional(), yara: AbsPathSchema.optional(), lynis: AbsPathSchema.optional(), clamscan: AbsPathSchema.optional() })
      .strict()
      .default({}),
    /** Cap on a tool's stdout (and on the stderr kept); more fails the task with task.output_too_large. */
    max_output_bytes: z.number().int().min(64 * 1024).max(1024 * MiB).default(16 * MiB),
  })
  .strict();
export type AgentTaskPolicy = z.infer<typeof AgentTaskPolicySchema>;

export type ToolName = keyof AgentTaskPolicy['tools'];

/** What the caller of runTask provides. */
export interface TaskContext {
  policy: AgentTaskPolicy;
  /** Aborts the task (agent shutdown, task withdrawn). */
  signal: AbortSignal;
  /** The task's own deadline; runTask turns it into task.timeout. */
  timeoutMs: number;
  logger: Logger;
  /** A directory runTask may create its per-task scratch directory in. */
  tmpDir: string;
}

/** What a runner receives: the policy, a signal that fires on cancel or timeout, a private scratch dir. */
export interface RunnerContext {
  policy: AgentTaskPolicy;
  signal: AbortSignal;
  timeoutMs: number;
  logger: Logger;
  /** Created 0700 for this task only and removed afterwards. */
  workDir: string;
}
