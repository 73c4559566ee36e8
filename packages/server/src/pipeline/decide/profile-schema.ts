import { z } from 'zod';

const Duration = z.string().regex(/^\d+(s|m|h|d|w)$/, 'duration like 30m, 4h, 7d');

/**
 * A decision profile (content/profiles/*.yaml): which alerts lead to which decision. Profiles
 * are tried in file order; the first whose filter matches the alert decides (unless
 * `continue: true`). The filter uses the scenario matcher language over the Alert
 * (fields: severity, scenario, technique.id, source.ip, source.class, source.country_iso_code…).
 */
export const ProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,63}$/),
    description: z.string().min(1).max(2000),
    filter: z.record(z.string(), z.unknown()),
    decision: z
      .object({
        type: z.literal('ban'),
        scope: z.enum(['ip', 'range']).default('ip'),
        /** For scope range: prefix lengths of the banned range around the source. */
        range_prefix: z.object({ v4: z.number().int().min(8).max(32).default(24), v6: z.number().int().min(16).max(128).default(64) }).strict().prefault({}),
        duration: Duration,
      })
      .strict(),
    /** Repeat offenders: the n-th decision for the same value within `lookback` gets durations[n-1] (last one repeats). */
    escalation: z.object({ lookback: Duration.default('30d'), durations: z.array(Duration).min(1).max(10) }).strict().optional(),
    continue: z.boolean().default(false),
  })
  .strict();

export type ProfileSpec = z.infer<typeof ProfileSchema>;
