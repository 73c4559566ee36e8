import { z } from 'zod';
import { AgentEnforcementSchema, AgentFilterSchema, AgentIdSchema, AgentSchema, CreatedEnrollmentTokenSchema, EnrollmentTokenSchema, NewEnrollmentTokenSchema, TelemetryPointSchema, TelemetrySampleSchema } from '@dio/protocol';
import { AppError } from '../../../shared/app-error.js';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses, requestActor } from './common.js';

const AgentParams = z.object({ id: AgentIdSchema }).strict();
const TokenParams = z.object({ id: z.string().regex(/^[A-Za-z0-9]{1,64}$/) }).strict();
const TelemetryQuery = z
  .object({
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    resolution: z.enum(['raw', 'rollup']).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

/** The agent registry as operators see it, and enrollment tokens. */
export function registerAgentRoutes(app: ZodApp, deps: Pick<ApiDeps, 'fleet' | 'store'>): void {
  const { registry, enrollment, telemetry } = deps.fleet;
  app.get(
    '/api/v1/agents',
    { config: { auth: 'agents:read' }, schema: { tags: ['agents'], summary: 'List agents with their live status', querystring: AgentFilterSchema, response: { 200: z.object({ items: z.array(AgentSchema) }), ...errorResponses(400, 401, 403) } } },
    async (req) => ({ items: (await registry.list(req.query)).slice(0, req.query.limit) }),
  );
  app.get('/api/v1/agents/:id', { config: { auth: 'agents:read' }, schema: { tags: ['agents'], summary: 'One agent', params: AgentParams, response: { 200: AgentSchema, ...errorResponses(401, 403, 404) } } }, async (req) => registry.get(req.params.id));

  for (const [verb, fn, summary] of [
    ['revoke', registry.revoke, 'Revoke an agent: every request it makes is refused from now on'],
    ['disable', registry.disable, 'Disable an agent (refused until enabled again)'],
    ['enable', registry.enable, 'Enable a disabled agent'],
  ] as const) {
    app.post(`/api/v1/agents/:id/${verb}`, { config: { auth: 'agents:write' }, schema: { tags: ['agents'], summary, params: AgentParams, response: { 200: AgentSchema, ...errorResponses(401, 403, 404, 409) } } }, async (req) => fn(req.params.id, requestActor(req)));
  }
  app.delete(
    '/api/v1/agents/:id',
    { config: { auth: 'agents:write' }, schema: { tags: ['agents'], summary: 'Forget an agent (it may enroll again with a new token)', params: AgentParams, response: { 200: AgentSchema, ...errorResponses(401, 403, 404) } } },
    async (req) => {
      const a = await registry.remove(req.params.id, requestActor(req));
      telemetry.forget(req.params.id);
      return a;
    },
  );

  app.get(
    '/api/v1/agents/:id/telemetry',
    { config: { auth: 'agents:read' }, schema: { tags: ['agents'], summary: 'Telemetry series (avg and max per point)', params: AgentParams, querystring: TelemetryQuery, response: { 200: z.object({ items: z.array(TelemetryPointSchema) }), ...errorResponses(400, 401, 403, 404) } } },
    async (req) => {
      await registry.get(req.params.id);
      const q = req.query;
      return { items: await telemetry.query(req.params.id, { since: q.since ? Date.parse(q.since) : undefined, until: q.until ? Date.parse(q.until) : undefined, resolution: q.resolution, limit: q.limit }) };
    },
  );
  app.get(
    '/api/v1/agents/:id/telemetry/latest',
    { config: { auth: 'agents:read' }, schema: { tags: ['agents'], summary: 'The newest full sample (top processes, sockets, disks)', params: AgentParams, response: { 200: TelemetrySampleSchema, ...errorResponses(401, 403, 404) } } },
    async (req) => {
      const s = await telemetry.latest(req.params.id);
      if (!s) throw new AppError('telemetry.none', `agent ${req.params.id} has sent no telemetry`, { status: 404 });
      return s;
    },
  );
  app.get(
    '/api/v1/agents/:id/enforcement',
    { config: { auth: 'agents:read' }, schema: { tags: ['agents'], summary: "Enforcement of decisions on this agent's firewall", params: AgentParams, response: { 200: z.object({ items: z.array(AgentEnforcementSchema) }), ...errorResponses(401, 403) } } },
    async (req) => ({ items: await deps.store.feed.listEnforcement({ agent_id: req.params.id, limit: 1000 }) }),
  );

  app.get('/api/v1/enrollment-tokens', { config: { auth: 'agents:write' }, schema: { tags: ['agents'], summary: 'List enrollment tokens (never the secrets)', response: { 200: z.object({ items: z.array(EnrollmentTokenSchema) }), ...errorResponses(401, 403) } } }, async () => ({ items: await enrollment.listTokens() }));
  app.post(
    '/api/v1/enrollment-tokens',
    { config: { auth: 'agents:write' }, schema: { tags: ['agents'], summary: 'Create an enrollment token', description: 'The token appears in this response only. `uses` (default 1), `expires` (default 1h), `labels` given to the agents enrolled with it.', body: NewEnrollmentTokenSchema, response: { 201: CreatedEnrollmentTokenSchema, ...errorResponses(400, 401, 403) } } },
    async (req, reply) => reply.code(201).send(await enrollment.createToken(req.body, requestActor(req))),
  );
  app.delete('/api/v1/enrollment-tokens/:id', { config: { auth: 'agents:write' }, schema: { tags: ['agents'], summary: 'Revoke an enrollment token', params: TokenParams, response: { 200: EnrollmentTokenSchema, ...errorResponses(401, 403, 404) } } }, async (req) => enrollment.revokeToken(req.params.id, requestActor(req)));
}
