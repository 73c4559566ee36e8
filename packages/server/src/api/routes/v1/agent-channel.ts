import { z } from 'zod';
import { DecisionFeedSchema, EnforcementReportBatchSchema, EnrollRequestSchema, EnrollResponseSchema, HeartbeatRequestSchema, HeartbeatResponseSchema, TaskIdSchema, TaskReportSchema, TaskSchema, TelemetryBatchSchema } from '@dio/protocol';
import { principalOf } from '../../auth/authenticate.js';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses } from './common.js';

const FeedQuery = z
  .object({
    /** Omit on the first call (or to resynchronise): the answer is a reset with every active decision. */
    cursor: z.coerce.number().int().nonnegative().optional(),
    /** Seconds to hold the request open when there is nothing new (long poll), 0-30. */
    wait: z.coerce.number().int().min(0).max(30).default(0),
  })
  .strict();

/**
 * The agent channel: enrollment (the token is the credential), then signed requests only — the
 * agent's own heartbeat, telemetry, decision feed, enforcement reports and task reports. An agent
 * can only ever speak for itself: its id comes from the verified signature, never from the body.
 */
export function registerAgentChannelRoutes(app: ZodApp, deps: Pick<ApiDeps, 'fleet'>): void {
  const { registry, enrollment, tasks, feed, telemetry, settings } = deps.fleet;
  app.post(
    '/api/v1/agent/enroll',
    {
      config: { auth: 'enroll' },
      schema: { tags: ['agent channel'], summary: 'Enroll an agent with a token and its Ed25519 public key', body: EnrollRequestSchema, response: { 200: EnrollResponseSchema, ...errorResponses(400, 401, 403, 409, 429) } },
    },
    async (req) => enrollment.enroll(req.body, req.ip),
  );

  app.post(
    '/api/v1/agent/heartbeat',
    { config: { auth: 'agent:self' }, schema: { tags: ['agent channel'], summary: 'Heartbeat: version, capabilities, labels, load; answers with pending signed tasks', body: HeartbeatRequestSchema, response: { 200: HeartbeatResponseSchema, ...errorResponses(400, 401, 403) } } },
    async (req) => {
      const me = principalOf(req);
      await registry.heartbeat(me.id, req.body, req.ip);
      return { server_time: new Date().toISOString(), heartbeat_interval_s: settings.heartbeatIntervalS, telemetry_interval_s: settings.telemetryIntervalS, tasks: await tasks.pendingFor(me.id) };
    },
  );

  app.post(
    '/api/v1/agent/telemetry',
    { config: { auth: 'agent:self' }, schema: { tags: ['agent channel'], summary: 'Telemetry samples of the agent\'s host', body: TelemetryBatchSchema, response: { 202: z.object({ stored: z.number().int(), anomalies: z.number().int() }), ...errorResponses(400, 401, 403, 413) } } },
    async (req, reply) => reply.code(202).send(await telemetry.ingest(principalOf(req).id, req.body.samples)),
  );

  app.get(
    '/api/v1/agent/decisions',
    {
      config: { auth: 'agent:self' },
      schema: { tags: ['agent channel'], summary: 'Decision changes after a cursor (long poll with wait)', description: 'Without a cursor (or with one older than the retained log, or ahead of it) the answer is reset=true with every active decision and the cursor to resume from.', querystring: FeedQuery, response: { 200: DecisionFeedSchema, ...errorResponses(400, 401, 403) } },
    },
    async (req, reply) => {
      // The response's close, not the request's: a request emits close as soon as its body was read.
      const ctrl = new AbortController();
      reply.raw.once('close', () => ctrl.abort());
      return feed.read(req.query.cursor, req.query.wait * 1000, ctrl.signal);
    },
  );

  app.post(
    '/api/v1/agent/enforcement',
    { config: { auth: 'agent:self' }, schema: { tags: ['agent channel'], summary: 'How decisions were enforced on this agent', body: EnforcementReportBatchSchema, response: { 204: z.null(), ...errorResponses(400, 401, 403) } } },
    async (req, reply) => {
      await feed.report(principalOf(req).id, req.body.reports);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/agent/tasks/:id/report',
    { config: { auth: 'agent:self' }, schema: { tags: ['agent channel'], summary: 'A task started, finished, failed or was refused', params: z.object({ id: TaskIdSchema }).strict(), body: TaskReportSchema, response: { 200: TaskSchema, ...errorResponses(400, 401, 403, 404, 409) } } },
    async (req) => tasks.report(principalOf(req).id, req.params.id, req.body, req.ip),
  );
}
