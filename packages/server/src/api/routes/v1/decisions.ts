import { z } from 'zod';
import { AgentEnforcementSchema, DecisionFilterSchema, DecisionSchema, NewDecisionSchema, pageSchema } from '@dio/protocol';
import { AppError } from '../../../shared/app-error.js';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses, IdParamsSchema, requestActor } from './common.js';

/** Decisions: list, create a manual ban, delete (unban). Mutations go through DecisionService (audit, allowlist). */
export function registerDecisionRoutes(app: ZodApp, deps: Pick<ApiDeps, 'store' | 'decisions'>): void {
  app.get(
    '/api/v1/decisions',
    {
      config: { auth: 'decisions:read' },
      schema: {
        tags: ['decisions'],
        summary: 'List decisions, newest first',
        querystring: DecisionFilterSchema,
        response: { 200: pageSchema(DecisionSchema), ...errorResponses(400) },
      },
    },
    async (req) => deps.store.listDecisions(req.query),
  );

  app.post(
    '/api/v1/decisions',
    {
      config: { auth: 'decisions:write' },
      schema: {
        tags: ['decisions'],
        summary: 'Ban an IP or range by hand',
        description: '`duration` is seconds or a string like 30m, 4h, 7d (default 4h). Values on the allowlist are refused with 409.',
        body: NewDecisionSchema,
        response: { 201: DecisionSchema, ...errorResponses(400, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const decision = await deps.decisions.addManual(req.body, requestActor(req));
      return reply.code(201).send(decision);
    },
  );

  app.delete(
    '/api/v1/decisions/:id',
    {
      config: { auth: 'decisions:write' },
      schema: {
        tags: ['decisions'],
        summary: 'Delete a decision (unban)',
        params: IdParamsSchema,
        response: { 200: DecisionSchema, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const removed = await deps.decisions.remove(req.params.id, requestActor(req));
      if (!removed) throw new AppError('decision.not_found', `no decision with id ${req.params.id}`, { status: 404 });
      return removed;
    },
  );

  app.get(
    '/api/v1/decisions/:id',
    { config: { auth: 'decisions:read' }, schema: { tags: ['decisions'], summary: 'One decision', params: IdParamsSchema, response: { 200: DecisionSchema, ...errorResponses(400, 401, 403, 404) } } },
    async (req) => {
      const d = await deps.store.getDecision(req.params.id);
      if (!d) throw new AppError('decision.not_found', `no decision with id ${req.params.id}`, { status: 404 });
      return d;
    },
  );

  app.get(
    '/api/v1/decisions/:id/enforcement',
    {
      config: { auth: 'decisions:read' },
      schema: { tags: ['decisions'], summary: 'Enforcement of a decision on each agent', params: IdParamsSchema, response: { 200: z.object({ items: z.array(AgentEnforcementSchema) }), ...errorResponses(400, 401, 403, 404) } },
    },
    async (req) => {
      if (!(await deps.store.getDecision(req.params.id))) throw new AppError('decision.not_found', `no decision with id ${req.params.id}`, { status: 404 });
      return { items: await deps.store.feed.listEnforcement({ decision_id: req.params.id, limit: 10_000 }) };
    },
  );
}
