import { z } from 'zod';
import { EventSchema } from './event.js';
import { IpOrCidrSchema } from './ip.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

export const ALERT_STATUSES = ['new', 'acknowledged', 'resolved', 'false_positive'] as const;
export const AlertStatusSchema = z.enum(ALERT_STATUSES);

/** MITRE ATT&CK technique an alert maps to (enterprise matrix ids such as T1110.001). */
export const AttackTechniqueSchema = z
  .object({
    id: z.string().regex(/^T\d{4}(\.\d{3})?$/),
    name: z.string().max(256),
    tactic: z.string().max(64),
  })
  .strict();
export type AttackTechnique = z.infer<typeof AttackTechniqueSchema>;

/** What made the alert fire: how many events, when, the first and last of them, distinct values. */
export const EvidenceSchema = z
  .object({
    count: z.number().int().nonnegative(),
    first_seen: z.iso.datetime({ offset: true }),
    last_seen: z.iso.datetime({ offset: true }),
    first_event: EventSchema,
    last_event: EventSchema,
    /** For distinct-counting scenarios: how many distinct values and a bounded sample of them. */
    distinct: z.object({ field: z.string().max(128), count: z.number().int().nonnegative(), sample: z.array(z.string().max(512)).max(50) }).strict().optional(),
    /** Host alerts (telemetry anomalies, scan results): the host as its agent described it. */
    host: z
      .object({
        agent_id: z.string().max(128),
        hostname: z.string().max(255),
        addresses: z.array(z.string().max(64)).max(64),
        os: z.string().max(256).optional(),
        kernel: z.string().max(256).optional(),
      })
      .strict()
      .optional(),
    /** Host alerts: the top processes when it fired. */
    processes: z.array(z.object({ pid: z.number().int(), name: z.string().max(256), user: z.string().max(64).optional(), cpu_pct: z.number(), rss_bytes: z.number().int().nonnegative(), cmdline: z.string().max(1024).optional() }).strict()).max(40).optional(),
    /** Host alerts: the measurements that crossed the line (metric → value, threshold, baseline). */
    metrics: z.record(z.string().max(64), z.number()).optional(),
  })
  .strict();
export type Evidence = z.infer<typeof EvidenceSchema>;

export const AlertSchema = z
  .object({
    id: z.string().max(64),
    created_at: z.iso.datetime({ offset: true }),
    scenario: z.string().max(128),
    scenario_version: z.number().int().nonnegative().optional(),
    title: z.string().max(512),
    severity: SeveritySchema,
    technique: AttackTechniqueSchema,
    /** The value the scenario grouped by (e.g. the source IP) — what a decision would act on. */
    group_key: z.string().max(512),
    source: z
      .object({
        ip: z.string().max(64).optional(),
        range: IpOrCidrSchema.optional(),
        country_iso_code: z.string().length(2).optional(),
        class: z.string().max(32).optional(),
      })
      .strict(),
    evidence: EvidenceSchema,
    status: AlertStatusSchema,
    labels: z.record(z.string().max(128), z.string().max(1024)).optional(),
    /** Where the events came from (acquisition source id or agent id). */
    origin: z.string().max(512).optional(),
  })
  .strict();
export type Alert = z.infer<typeof AlertSchema>;

export const AlertFilterSchema = z
  .object({
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    scenario: z.string().max(128).optional(),
    severity: SeveritySchema.optional(),
    source_ip: z.string().max(64).optional(),
    technique: z.string().max(16).optional(),
    status: AlertStatusSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(256).optional(),
  })
  .strict();
export type AlertFilter = z.infer<typeof AlertFilterSchema>;
