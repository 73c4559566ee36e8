import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorBodySchema } from '@dio/protocol';
import type { Actor } from '../../deps.js';

/** Error responses a route documents in OpenAPI; bodies always have the ErrorBody shape. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorBodySchema> {
  const out = {} as Record<S, typeof ErrorBodySchema>;
  for (const s of statuses) out[s] = ErrorBodySchema.describe(ERROR_TEXT[s] ?? 'error');
  return out;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request (request.invalid, request.malformed_json, …)',
  404: 'not found',
  409: 'conflict',
  413: 'request body too large (request.too_large)',
  415: 'unsupported Content-Type or Content-Encoding',
  500: 'internal error',
  503: 'overloaded or unavailable; see Retry-After',
};

/** Ids of alerts and decisions in paths. */
export const IdParamsSchema = z.object({ id: z.string().min(1).max(64) }).strict();

/**
 * Who is calling. Until authentication lands every API caller is "api:anonymous"; the client
 * address still goes into the audit trail. Auth will replace this one function.
 */
export function requestActor(req: FastifyRequest): Actor {
  return { actor: 'api:anonymous', origin: req.ip };
}
