import { z } from 'zod';

/** Every API error has this body; `code` is stable ("area.reason"), `message` is for people. */
export const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export function pageSchema<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** Messages on the live stream (SSE `event:` name = `type`). */
export const STREAM_TYPES = ['alert', 'decision', 'decision_deleted', 'heartbeat'] as const;
