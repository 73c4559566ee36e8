import { z } from 'zod';
import { IpOrCidrSchema } from './ip.js';

export const DECISION_SCOPES = ['ip', 'range'] as const;
export const DECISION_ORIGINS = ['scenario', 'manual', 'api', 'intel'] as const;
export const DECISION_STATUSES = ['active', 'expired', 'deleted'] as const;
export const ENFORCEMENT_STATUSES = ['pending', 'applied', 'verified', 'failed', 'simulated', 'removed'] as const;

export const EnforcementSchema = z
  .object({
    status: z.enum(ENFORCEMENT_STATUSES),
    firewall: z.string().max(32).optional(),
    at: z.iso.datetime({ offset: true }).optional(),
    error: z.string().max(2048).optional(),
  })
  .strict();
export type Enforcement = z.infer<typeof EnforcementSchema>;

/**
 * Decision: what DIO does about a source (for now: ban an IP or a range until `expires_at`).
 * Separate from Alert on purpose — an alert is a finding, a decision is an action with a TTL.
 */
export const DecisionSchema = z
  .object({
    id: z.string().max(64),
    created_at: z.iso.datetime({ offset: true }),
    type: z.literal('ban'),
    scope: z.enum(DECISION_SCOPES),
    /** The IP (scope ip) or CIDR (scope range), canonical form. */
    value: IpOrCidrSchema,
    duration_s: z.number().int().positive(),
    expires_at: z.iso.datetime({ offset: true }),
    origin: z.enum(DECISION_ORIGINS),
    scenario: z.string().max(128).optional(),
    alert_id: z.string().max(64).optional(),
    reason: z.string().max(1024),
    /** Simulation mode: recorded and shown, never enforced. */
    simulated: z.boolean(),
    /** 1 for a first offence; escalation profiles lengthen the ban as this grows. */
    offense: z.number().int().positive(),
    status: z.enum(DECISION_STATUSES),
    enforcement: EnforcementSchema,
    created_by: z.string().max(256).optional(),
  })
  .strict();
export type Decision = z.infer<typeof DecisionSchema>;

/** Body of a manual decision (CLI and API). Duration as seconds or a Go-style string: 30m, 4h, 7d. */
export const DurationSchema = z.union([
  z.number().int().positive().max(10 * 365 * 86400),
  z.string().regex(/^\d+(s|m|h|d|w)$/, 'duration like 90s, 30m, 4h, 7d, 2w'),
]);

export const NewDecisionSchema = z
  .object({
    value: IpOrCidrSchema,
    duration: DurationSchema.default('4h'),
    reason: z.string().min(1).max(1024).default('manual'),
  })
  .strict();
export type NewDecision = z.infer<typeof NewDecisionSchema>;

export const DecisionFilterSchema = z
  .object({
    status: z.enum(DECISION_STATUSES).optional(),
    value: z.string().max(64).optional(),
    origin: z.enum(DECISION_ORIGINS).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(256).optional(),
  })
  .strict();
export type DecisionFilter = z.infer<typeof DecisionFilterSchema>;

export function parseDuration(d: string | number): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+)(s|m|h|d|w)$/.exec(d);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(d)} (use e.g. 90s, 30m, 4h, 7d)`);
  const mult = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * mult;
}
