import { z } from 'zod';
import { IpOrCidrSchema } from './ip.js';

/**
 * Tasks: work the server asks an agent to do. The type list is an allowlist — there is no
 * "run this command" task — and each type's parameters are a strict schema checked on the
 * server when the task is created and again on the agent before it runs. Results are bounded.
 */
export const TASK_TYPES = ['nmap', 'lynis', 'yara', 'clamav', 'portscan', 'inventory'] as const;
export const TaskTypeSchema = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof TaskTypeSchema>;

export const TASK_STATUSES = ['pending', 'running', 'done', 'failed', 'timed_out', 'rejected'] as const;
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['done', 'failed', 'timed_out', 'rejected'];

/** An absolute path without NUL, `..` segments or newlines (the agent also checks its own allowlist of roots). */
export const AbsPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') && !/[\0\n\r]/.test(p) && !p.split('/').includes('..'), { message: 'an absolute path without .. segments' });

/** Port list like "22,80,443" or "1-1024,8080". */
export const PortSpecSchema = z
  .string()
  .max(512)
  .regex(/^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/, 'ports like 22,80,443 or 1-1024')
  .refine((s) => s.split(',').every((r) => r.split('-').every((p) => Number(p) >= 1 && Number(p) <= 65535) && (!r.includes('-') || Number(r.split('-')[0]) <= Number(r.split('-')[1]))), {
    message: 'ports must be 1-65535 and ranges low-high',
  });

export const NmapParamsSchema = z
  .object({
    /** IPs or CIDRs; every one must lie inside the agent's configured `tasks.scan_targets`. */
    targets: z.array(IpOrCidrSchema).min(1).max(64),
    ports: PortSpecSchema.optional(),
    /** -sV: probe open ports for service and version. */
    service_detection: z.boolean().default(true),
  })
  .strict();

export const LynisParamsSchema = z
  .object({
    /** lynis test groups to run (e.g. "authentication", "ssh"); default all. */
    groups: z.array(z.string().regex(/^[a-z_]{1,32}$/)).max(32).optional(),
  })
  .strict();

export const YaraParamsSchema = z
  .object({
    /** YARA rule source, compiled by the agent's yara binary; ≤ 256 KiB. */
    rules: z.string().min(1).max(256 * 1024),
    /** Files or directories; each must lie under the agent's configured `tasks.scan_paths`. */
    paths: z.array(AbsPathSchema).min(1).max(32),
    recursive: z.boolean().default(true),
  })
  .strict();

export const ClamavParamsSchema = z
  .object({
    paths: z.array(AbsPathSchema).min(1).max(32),
    recursive: z.boolean().default(true),
  })
  .strict();

export const PortscanParamsSchema = z
  .object({
    /** At most 4096 addresses in all; each inside the agent's `tasks.scan_targets`. */
    targets: z.array(IpOrCidrSchema).min(1).max(64),
    ports: PortSpecSchema.default('1-1024'),
    timeout_ms: z.number().int().min(50).max(10_000).default(1000),
    concurrency: z.number().int().min(1).max(512).default(128),
  })
  .strict();

export const INVENTORY_PARTS = ['packages', 'services', 'users', 'sockets'] as const;
export const InventoryParamsSchema = z
  .object({
    include: z.array(z.enum(INVENTORY_PARTS)).min(1).max(4).default([...INVENTORY_PARTS]),
  })
  .strict();

/** Parameter schema per type: the allowlist. */
export const TASK_PARAMS = {
  nmap: NmapParamsSchema,
  lynis: LynisParamsSchema,
  yara: YaraParamsSchema,
  clamav: ClamavParamsSchema,
  portscan: PortscanParamsSchema,
  inventory: InventoryParamsSchema,
} as const satisfies Record<TaskType, z.ZodTypeAny>;

export type TaskParams<T extends TaskType = TaskType> = z.infer<(typeof TASK_PARAMS)[T]>;

// ---- results (what an agent reports back; bounded) ----

const Str = z.string().max(1024);
export const FindingSeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);

export const NmapResultSchema = z
  .object({
    hosts: z
      .array(
        z
          .object({
            address: z.string().max(64),
            hostnames: z.array(Str).max(16),
            status: z.string().max(16),
            ports: z
              .array(
                z
                  .object({
                    protocol: z.string().max(8),
                    port: z.number().int().min(0).max(65535),
                    state: z.string().max(32),
                    service: Str.optional(),
                    product: Str.optional(),
                    version: Str.optional(),
                  })
                  .strict(),
              )
              .max(65535),
          })
          .strict(),
      )
      .max(4096),
    /** nmap's own summary line, e.g. "Nmap done: 1 IP address (1 host up) scanned in 0.21 seconds". */
    summary: Str.optional(),
  })
  .strict();

/** One warning[]/suggestion[] line of lynis's report.dat: `ID|text|detail|solution|`. */
const LynisItemSchema = z.object({ id: z.string().max(64), text: Str, detail: Str.optional(), solution: Str.optional() }).strict();

export const LynisResultSchema = z
  .object({
    /** null when lynis gave none, or for a run limited to some groups (a partial score misleads). */
    hardening_index: z.number().int().min(0).max(100).nullable(),
    warnings: z.array(LynisItemSchema).max(2000),
    suggestions: z.array(LynisItemSchema).max(2000),
    tests_performed: z.number().int().nonnegative().optional(),
    lynis_version: z.string().max(32).optional(),
  })
  .strict();

export const YaraResultSchema = z
  .object({
    matches: z.array(z.object({ rule: z.string().max(256), path: z.string().max(4096), tags: z.array(z.string().max(64)).max(32).optional() }).strict()).max(10_000),
    /** Lines yara printed on stderr (unreadable files and the like), bounded. */
    warnings: z.array(Str).max(100).optional(),
  })
  .strict();

export const ClamavResultSchema = z
  .object({
    infected: z.array(z.object({ path: z.string().max(4096), signature: z.string().max(256) }).strict()).max(10_000),
    scanned_files: z.number().int().nonnegative().optional(),
    engine_version: z.string().max(64).optional(),
    /** Files clamscan could not read and the like (its stderr), bounded. */
    warnings: z.array(Str).max(100).optional(),
  })
  .strict();

export const PortscanResultSchema = z
  .object({
    /** Sorted by address (in target order) then port. */
    open: z.array(z.object({ host: z.string().max(64), port: z.number().int().min(1).max(65535) }).strict()).max(100_000),
    hosts_scanned: z.number().int().nonnegative(),
    /** Ports probed per host (the size of the expanded port list). */
    ports_scanned: z.number().int().nonnegative(),
    duration_ms: z.number().int().nonnegative(),
    /** More than 100 000 open ports were found; the rest were dropped. */
    truncated: z.boolean().optional(),
  })
  .strict();

export const InventoryResultSchema = z
  .object({
    packages: z.array(z.object({ name: z.string().max(256), version: z.string().max(256), arch: z.string().max(32).optional() }).strict()).max(50_000).optional(),
    services: z.array(z.object({ name: z.string().max(256), enabled: z.boolean(), state: z.string().max(32).optional() }).strict()).max(10_000).optional(),
    users: z.array(z.object({ name: z.string().max(256), uid: z.number().int(), gid: z.number().int(), home: z.string().max(4096), shell: z.string().max(4096), login: z.boolean() }).strict()).max(50_000).optional(),
    sockets: z
      .array(z.object({ protocol: z.enum(['tcp', 'tcp6', 'udp', 'udp6']), address: z.string().max(64), port: z.number().int().min(0).max(65535), pid: z.number().int().optional(), process: z.string().max(256).optional() }).strict())
      .max(10_000)
      .optional(),
    /** Why a part is empty or partial (e.g. an rpm-based host, a list cut at its bound). */
    notes: z.array(Str).max(16).optional(),
  })
  .strict();

export const TASK_RESULTS = {
  nmap: NmapResultSchema,
  lynis: LynisResultSchema,
  yara: YaraResultSchema,
  clamav: ClamavResultSchema,
  portscan: PortscanResultSchema,
  inventory: InventoryResultSchema,
} as const satisfies Record<TaskType, z.ZodTypeAny>;

export type TaskResult<T extends TaskType = TaskType> = z.infer<(typeof TASK_RESULTS)[T]>;

// ---- tasks as the API and the agent see them ----

export const TaskIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const AgentRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
const Labels = z.record(z.string().max(63), z.string().max(256));

/** Body of POST /api/v1/tasks: one agent, or every agent whose labels include `selector`. */
export const NewTaskSchema = z
  .object({
    type: TaskTypeSchema,
    params: z.record(z.string(), z.unknown()).default({}),
    agent_id: AgentRef.optional(),
    selector: Labels.optional(),
    /** How long the agent may run it: 10s … 6h (default 10m). */
    timeout: z.union([z.number().int().min(10).max(6 * 3600), z.string().regex(/^\d+(s|m|h)$/)]).default('10m'),
    /** How long it may wait to be picked up before it times out (default 1h, at most 7d). */
    expires: z.union([z.number().int().min(10).max(7 * 86400), z.string().regex(/^\d+(s|m|h|d)$/)]).default('1h'),
  })
  .strict()
  .refine((t) => (t.agent_id === undefined) !== (t.selector === undefined), { message: 'give exactly one of agent_id or selector' });
export type NewTask = z.infer<typeof NewTaskSchema>;

export const TaskSchema = z
  .object({
    id: TaskIdSchema,
    type: TaskTypeSchema,
    params: z.record(z.string(), z.unknown()),
    agent_id: AgentRef,
    status: TaskStatusSchema,
    created_at: z.iso.datetime({ offset: true }),
    created_by: z.string().max(256),
    expires_at: z.iso.datetime({ offset: true }),
    timeout_s: z.number().int().positive(),
    started_at: z.iso.datetime({ offset: true }).optional(),
    finished_at: z.iso.datetime({ offset: true }).optional(),
    error: z.string().max(4096).optional(),
    /** The type's result (TASK_RESULTS[type]) once done. */
    result: z.unknown().optional(),
    /** Findings the result produced. */
    findings: z.number().int().nonnegative().optional(),
  })
  .strict();
export type Task = z.infer<typeof TaskSchema>;

export const TaskFilterSchema = z
  .object({
    agent_id: AgentRef.optional(),
    status: TaskStatusSchema.optional(),
    type: TaskTypeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(256).optional(),
  })
  .strict();
export type TaskFilter = z.infer<typeof TaskFilterSchema>;

/**
 * What the server signs (Ed25519 over canonical JSON of `payload`) and the agent verifies with
 * the key it pinned at enrollment. `nonce` makes every envelope unique; `agent_id` binds it to
 * one agent; `expires_at` bounds when it may start.
 */
export const TaskPayloadSchema = z
  .object({
    v: z.literal(1),
    task_id: TaskIdSchema,
    agent_id: AgentRef,
    type: z.string().max(32),
    params: z.record(z.string(), z.unknown()),
    issued_at: z.iso.datetime({ offset: true }),
    expires_at: z.iso.datetime({ offset: true }),
    timeout_s: z.number().int().positive(),
    nonce: z.string().min(16).max(64),
  })
  .strict();
export type TaskPayload = z.infer<typeof TaskPayloadSchema>;

export const TaskEnvelopeSchema = z
  .object({
    payload: TaskPayloadSchema,
    /** base64url Ed25519 signature; absent means unsigned (refused). */
    sig: z.string().max(128).optional(),
  })
  .strict();
export type TaskEnvelope = z.infer<typeof TaskEnvelopeSchema>;

/** Agent → server: a task started, finished, failed or was refused. */
export const TaskReportSchema = z
  .object({
    status: z.enum(['running', 'done', 'failed', 'rejected']),
    error: z.string().max(4096).optional(),
    result: z.unknown().optional(),
    at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type TaskReport = z.infer<typeof TaskReportSchema>;

/** `omitted`: the last finding of a task that produced more than the per-task cap, with the count dropped. */
export const FINDING_KINDS = ['open_port', 'service', 'host', 'warning', 'suggestion', 'hardening_index', 'malware', 'yara_match', 'package', 'listening_socket', 'user', 'omitted'] as const;

export const FindingSchema = z
  .object({
    id: z.string().max(64),
    agent_id: AgentRef,
    task_id: TaskIdSchema,
    created_at: z.iso.datetime({ offset: true }),
    kind: z.enum(FINDING_KINDS),
    severity: FindingSeveritySchema,
    title: z.string().max(512),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type Finding = z.infer<typeof FindingSchema>;

export const FindingFilterSchema = z
  .object({
    agent_id: AgentRef.optional(),
    task_id: TaskIdSchema.optional(),
    kind: z.enum(FINDING_KINDS).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(256).optional(),
  })
  .strict();
export type FindingFilter = z.infer<typeof FindingFilterSchema>;
