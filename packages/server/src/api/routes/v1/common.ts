import { actorOf } from '../../../auth/principal.js';
import { principalOf } from '../../auth/authenticate.js';
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
  401: 'not authenticated, or the credentials are not valid (auth.*, agent.*)',
  403: 'authenticated, but not allowed (auth.forbidden, …)',
  404: 'not found',
  409: 'conflict',
  413: 'request body too large (request.too_large)',
  415: 'unsupported Content-Type or Content-Encoding',
  423: 'account locked after repeated failed logins (auth.locked)',
  429: 'too many attempts; see Retry-After',
  500: 'internal error',
  503: 'overloaded or unavailable; see Retry-After',
};

/** Ids of alerts and decisions in paths. */
export const IdParamsSchema = z.object({ id: z.string().min(1).max(64) }).strict();

/** Who is calling and from where, for the audit trail (routes behind auth always have a principal). */
export function requestActor(req: FastifyRequest): Actor {
  return { actor: actorOf(principalOf(req)), origin: req.ip };
}
