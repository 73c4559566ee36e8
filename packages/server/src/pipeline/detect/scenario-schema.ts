import { z } from 'zod';
import { AttackTechniqueSchema, SeveritySchema } from '@dio/protocol';

const Duration = z.string().regex(/^\d+(ms|s|m|h|d|w)$/, 'duration like 500ms, 30s, 10m, 4h, 7d');

/**
 * A detection scenario as written in content/scenarios/*.yaml.
 *
 * - leaky:   a bucket per group key fills by one per matching event and drains one event every
 *            `leak_speed`; it overflows (alerts) when it holds more than `capacity`.
 * - counter: alerts when `capacity` matching events fall within a sliding `window` (exact, any
 *            length: hours or days), e.g. slow brute force.
 * - trigger: alerts on the first matching event.
 * With `distinct`, only events bringing a new value of that field count (e.g. distinct users).
 * `cancel_on` discards a key's bucket when a matching event arrives (e.g. a successful login).
 * `cooldown` keeps a key that alerted silent for that long (event time).
 */
export const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,63}$/, 'lower-case letters, digits, - and _'),
    version: z.number().int().positive().default(1),
    description: z.string().min(1).max(2000),
    type: z.enum(['leaky', 'counter', 'trigger']),
    filter: z.record(z.string(), z.unknown()),
    group_by: z.string().min(1),
    capacity: z.number().int().min(1).max(100_000).optional(),
    leak_speed: Duration.optional(),
    window: Duration.optional(),
    distinct: z.string().optional(),
    cancel_on: z.record(z.string(), z.unknown()).optional(),
    cooldown: Duration.default('1h'),
    alert: z
      .object({
        title: z.string().min(1).max(300),
        severity: SeveritySchema,
        technique: AttackTechniqueSchema,
      })
      .strict(),
    labels: z.record(z.string(), z.string()).optional(),
    /** References for analysts (URLs to ATT&CK, advisories). */
    references: z.array(z.string().max(500)).max(20).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.type === 'leaky' && (!s.capacity || !s.leak_speed)) ctx.addIssue({ code: 'custom', message: 'a leaky scenario needs capacity and leak_speed' });
    if (s.type === 'counter' && (!s.capacity || !s.window)) ctx.addIssue({ code: 'custom', message: 'a counter scenario needs capacity and window' });
    if (s.type === 'trigger' && (s.capacity || s.leak_speed || s.window)) ctx.addIssue({ code: 'custom', message: 'a trigger scenario takes no capacity, leak_speed or window' });
  });

export type ScenarioSpec = z.infer<typeof ScenarioSchema>;

export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(d);
  if (!m) throw new Error(`invalid duration ${d}`);
  const mult = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[m[2] as 'ms'];
  return Number(m[1]) * mult;
}
