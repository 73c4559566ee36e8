import { z } from 'zod';
import { DecisionSchema } from './decision.js';
import { TaskEnvelopeSchema } from './task.js';

/**
 * Agents: enrollment, heartbeats, telemetry and the decision feed, as they cross the wire.
 * Every array and string is bounded; the server validates all of it before it is stored.
 */
export const AgentIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'agent id: 1-128 of A-Z a-z 0-9 . _ - (starting with a letter or digit)');

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
export const LabelsSchema = z
  .record(z.string().regex(LABEL_KEY, 'label key: 1-63 of A-Z a-z 0-9 . _ / -'), z.string().max(256))
  .refine((l) => Object.keys(l).length <= 32, { message: 'at most 32 labels' });
export type Labels = z.infer<typeof LabelsSchema>;

export const AGENT_STATUSES = ['online', 'stale', 'offline', 'revoked', 'disabled'] as const;
export const AgentStatusSchema = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const CAPABILITIES = ['telemetry', 'logs', 'bouncer', 'nmap', 'lynis', 'yara', 'clamav', 'portscan', 'inventory'] as const;
export const CapabilitySchema = z.string().regex(/^[a-z][a-z0-9_.-]{0,31}$/);

export const HostInfoSchema = z
  .object({
    hostname: z.string().min(1).max(255),
    os: z.object({ name: z.string().max(128), version: z.string().max(128).optional() }).strict(),
    kernel: z.string().max(256),
    arch: z.string().max(32),
    addresses: z.array(z.string().max(64)).max(64),
    cpus: z.number().int().positive().max(4096).optional(),
    memory_bytes: z.number().int().nonnegative().optional(),
    boot_time: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type HostInfo = z.infer<typeof HostInfoSchema>;

/** base64url of a raw 32-byte Ed25519 public key. */
export const Ed25519KeySchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url raw Ed25519 public key (43 characters)');

export const EnrollRequestSchema = z
  .object({
    token: z.string().min(16).max(256),
    id: AgentIdSchema,
    public_key: Ed25519KeySchema,
    version: z.string().max(64),
    capabilities: z.array(CapabilitySchema).max(32),
    labels: LabelsSchema.default({}),
    host: HostInfoSchema,
  })
  .strict();
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

export const EnrollResponseSchema = z
  .object({
    agent_id: AgentIdSchema,
    /** The server's task-signing key; the agent pins it and refuses tasks not signed with it. */
    server_key: Ed25519KeySchema,
    heartbeat_interval_s: z.number().int().positive(),
    telemetry_interval_s: z.number().int().positive(),
    server_time: z.iso.datetime({ offset: true }),
  })
  .strict();
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;

export const LoadSummarySchema = z
  .object({
    cpu_pct: z.number().min(0).max(100).optional(),
    mem_pct: z.number().min(0).max(100).optional(),
    load1: z.number().min(0).max(1e6).optional(),
    uptime_s: z.number().nonnegative().optional(),
    /** Agent process itself. */
    agent_rss_bytes: z.number().int().nonnegative().optional(),
    agent_cpu_pct: z.number().min(0).max(10_000).optional(),
    spool_batches: z.number().int().nonnegative().optional(),
    spool_bytes: z.number().int().nonnegative().optional(),
    /** Batches dropped because the spool was full (since the agent's state dir was created). */
    spool_dropped: z.number().int().nonnegative().optional(),
    events_shipped: z.number().int().nonnegative().optional(),
    decisions_enforced: z.number().int().nonnegative().optional(),
  })
  .strict();
export type LoadSummary = z.infer<typeof LoadSummarySchema>;

export const HeartbeatRequestSchema = z
  .object({
    version: z.string().max(64),
    capabilities: z.array(CapabilitySchema).max(32),
    labels: LabelsSchema.default({}),
    load: LoadSummarySchema.default({}),
    host: HostInfoSchema.optional(),
  })
  .strict();
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestSchema>;

export const HeartbeatResponseSchema = z
  .object({
    server_time: z.iso.datetime({ offset: true }),
    heartbeat_interval_s: z.number().int().positive(),
    telemetry_interval_s: z.number().int().positive(),
    /** Pending tasks for this agent, signed. */
    tasks: z.array(TaskEnvelopeSchema).max(100),
  })
  .strict();
export type HeartbeatResponse = z.infer<typeof HeartbeatResponseSchema>;

/** An agent as the API shows it. */
export const AgentSchema = z
  .object({
    id: AgentIdSchema,
    hostname: z.string().max(255),
    status: AgentStatusSchema,
    enrolled_at: z.iso.datetime({ offset: true }),
    last_seen_at: z.iso.datetime({ offset: true }).nullable(),
    version: z.string().max(64),
    capabilities: z.array(z.string()).max(32),
    labels: z.record(z.string(), z.string()),
    host: HostInfoSchema,
    load: LoadSummarySchema.nullable(),
    heartbeat_interval_s: z.number().int().positive(),
    /** sha256 of the agent's public key, first 16 hex characters. */
    key_fingerprint: z.string().max(64),
    /** Address the last request came from. */
    last_address: z.string().max(64).nullable(),
  })
  .strict();
export type Agent = z.infer<typeof AgentSchema>;

export const AgentFilterSchema = z
  .object({
    status: AgentStatusSchema.optional(),
    /** "key=value"; repeat with commas: env=prod,role=web */
    label: z.string().max(512).optional(),
    limit: z.coerce.number().int().min(1).max(5000).default(1000),
  })
  .strict();

// ---- telemetry ----

const Pct = z.number().min(0).max(100);
const Bytes = z.number().int().nonnegative();
const Rate = z.number().nonnegative().max(1e15);

export const ProcessSampleSchema = z
  .object({
    pid: z.number().int().positive(),
    name: z.string().max(256),
    user: z.string().max(64).optional(),
    cpu_pct: z.number().min(0).max(100_000),
    rss_bytes: Bytes,
    mem_pct: Pct,
    cmdline: z.string().max(1024).optional(),
  })
  .strict();
export type ProcessSample = z.infer<typeof ProcessSampleSchema>;

export const ListeningSocketSchema = z
  .object({
    protocol: z.enum(['tcp', 'tcp6', 'udp', 'udp6']),
    address: z.string().max(64),
    port: z.number().int().min(0).max(65535),
    pid: z.number().int().positive().optional(),
    process: z.string().max(256).optional(),
  })
  .strict();

/** One telemetry sample of one host, read from /proc (rates over the interval since the previous sample). */
export const TelemetrySampleSchema = z
  .object({
    ts: z.iso.datetime({ offset: true }),
    interval_s: z.number().positive().max(86400),
    cpu: z.object({ total_pct: Pct, cores_pct: z.array(Pct).max(1024), iowait_pct: Pct.optional(), steal_pct: Pct.optional() }).strict(),
    memory: z.object({ total_bytes: Bytes, used_bytes: Bytes, available_bytes: Bytes, used_pct: Pct }).strict(),
    swap: z.object({ total_bytes: Bytes, used_bytes: Bytes, used_pct: Pct }).strict(),
    load: z.object({ load1: z.number().min(0), load5: z.number().min(0), load15: z.number().min(0), runnable: z.number().int().nonnegative().optional(), processes: z.number().int().nonnegative().optional() }).strict(),
    disks: z.array(z.object({ mount: z.string().max(4096), fstype: z.string().max(64).optional(), total_bytes: Bytes, used_bytes: Bytes, used_pct: Pct }).strict()).max(64),
    network: z
      .object({
        rx_bps: Rate,
        tx_bps: Rate,
        rx_pps: Rate.optional(),
        tx_pps: Rate.optional(),
        interfaces: z.array(z.object({ name: z.string().max(64), rx_bps: Rate, tx_bps: Rate }).strict()).max(256),
      })
      .strict(),
    /** Top processes by CPU and by memory (merged, at most 40). */
    processes: z.array(ProcessSampleSchema).max(40),
    listening: z.array(ListeningSocketSchema).max(2048),
    connections: z.object({ established: z.number().int().nonnegative(), time_wait: z.number().int().nonnegative(), total: z.number().int().nonnegative(), by_state: z.record(z.string().max(32), z.number().int().nonnegative()).optional() }).strict(),
  })
  .strict();
export type TelemetrySample = z.infer<typeof TelemetrySampleSchema>;

export const TelemetryBatchSchema = z.object({ samples: z.array(TelemetrySampleSchema).min(1).max(360) }).strict();

/** The scalar series kept per sample (what charts and downsampling work on). */
export const TELEMETRY_SERIES = ['cpu_pct', 'mem_pct', 'swap_pct', 'load1', 'disk_max_pct', 'net_rx_bps', 'net_tx_bps', 'conn_established', 'listening', 'processes'] as const;
export type TelemetrySeriesName = (typeof TELEMETRY_SERIES)[number];

/** A stored point: raw (10 s) or downsampled (avg and max over the bucket). */
export const TelemetryPointSchema = z
  .object({
    ts: z.iso.datetime({ offset: true }),
    resolution_s: z.number().int().positive(),
    avg: z.record(z.string(), z.number()),
    max: z.record(z.string(), z.number()),
  })
  .strict();
export type TelemetryPoint = z.infer<typeof TelemetryPointSchema>;

// ---- decisions to agents (bouncer) ----

export const DecisionChangeKindSchema = z.enum(['created', 'removed', 'expired']);

export const DecisionFeedSchema = z
  .object({
    /** Pass back as `cursor` to resume after this point. */
    cursor: z.number().int().nonnegative(),
    /** True when the agent must replace its whole state with `active` (first call, or cursor too old). */
    reset: z.boolean(),
    active: z.array(DecisionSchema).max(1_000_000).optional(),
    changes: z.array(z.object({ seq: z.number().int().positive(), kind: DecisionChangeKindSchema, decision: DecisionSchema }).strict()).max(10_000),
  })
  .strict();
export type DecisionFeed = z.infer<typeof DecisionFeedSchema>;

export const AGENT_ENFORCEMENT_STATUSES = ['applied', 'verified', 'failed', 'removed', 'allowlisted'] as const;
export const EnforcementReportSchema = z
  .object({
    decision_id: z.string().max(64),
    status: z.enum(AGENT_ENFORCEMENT_STATUSES),
    firewall: z.string().max(32),
    error: z.string().max(2048).optional(),
    at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type EnforcementReport = z.infer<typeof EnforcementReportSchema>;
export const EnforcementReportBatchSchema = z.object({ reports: z.array(EnforcementReportSchema).min(1).max(5000) }).strict();

/** Enforcement of one decision on one agent, as the server shows it. */
export const AgentEnforcementSchema = EnforcementReportSchema.extend({ agent_id: AgentIdSchema }).strict();
export type AgentEnforcement = z.infer<typeof AgentEnforcementSchema>;

// ---- enrollment tokens ----

export const NewEnrollmentTokenSchema = z
  .object({
    uses: z.number().int().min(1).max(100_000).default(1),
    expires: z.union([z.number().int().min(60).max(365 * 86400), z.string().regex(/^\d+(s|m|h|d|w)$/)]).default('1h'),
    labels: LabelsSchema.default({}),
    description: z.string().max(256).optional(),
  })
  .strict();
export type NewEnrollmentToken = z.infer<typeof NewEnrollmentTokenSchema>;

export const EnrollmentTokenSchema = z
  .object({
    id: z.string().max(64),
    created_at: z.iso.datetime({ offset: true }),
    created_by: z.string().max(256),
    expires_at: z.iso.datetime({ offset: true }),
    max_uses: z.number().int().positive(),
    uses: z.number().int().nonnegative(),
    labels: z.record(z.string(), z.string()),
    description: z.string().max(256).optional(),
    revoked: z.boolean(),
  })
  .strict();
export type EnrollmentToken = z.infer<typeof EnrollmentTokenSchema>;

/** The token secret appears only in the create response. */
export const CreatedEnrollmentTokenSchema = EnrollmentTokenSchema.extend({ token: z.string() }).strict();
