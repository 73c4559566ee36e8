import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AlertSchema, DecisionSchema, ErrorBodySchema, EventSchema } from '@dio/protocol';
import { createApiMetrics } from './api-metrics.js';
import { createContentDecoder } from './content-decoding.js';
import { resolveLimits, type ApiDeps } from './deps.js';
import { createErrorHandler, notFoundHandler } from './error-handler.js';
import { registerAlertRoutes } from './routes/v1/alerts.js';
import { registerDecisionRoutes } from './routes/v1/decisions.js';
import { registerEventRoutes } from './routes/v1/events.js';
import { registerHealthRoutes } from './routes/v1/health.js';
import { registerStreamRoutes } from './routes/v1/stream.js';
import { registerAuthRoutes } from './routes/v1/auth.js';
import { registerUserRoutes } from './routes/v1/users.js';
import { registerAuditRoutes } from './routes/v1/audit.js';
import { registerAgentRoutes } from './routes/v1/agents.js';
import { registerAgentChannelRoutes } from './routes/v1/agent-channel.js';
import { registerTaskRoutes } from './routes/v1/tasks.js';
import { installAuth } from './auth/authenticate.js';
import { createRawBodyTap } from './auth/raw-body.js';
import { StreamHub } from './stream/stream-hub.js';
import type { WsLike } from './stream/ws-sink.js';

/** Largest inbound WebSocket frame; stream clients only listen, so anything big is abuse. */
const WS_MAX_PAYLOAD = 4096;

/**
 * Builds the HTTP API on the given services. It never listens: the CLI calls `listen` (binding
 * 127.0.0.1 unless told otherwise), tests use `inject`. Close the app to end live streams.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const limits = resolveLimits(deps.limits);
  const log = deps.logger.child({ component: 'api' });
  // Typed as Fastify's logger interface so the instance type stays the plain FastifyInstance.
  const fastifyLog: FastifyBaseLogger = log;
  const apiMetrics = createApiMetrics(deps.metrics.registry);
  const onError = createErrorHandler(log, { bodyLimitBytes: limits.bodyLimitBytes });

  const app = Fastify({
    loggerInstance: fastifyLog,
    bodyLimit: limits.bodyLimitBytes,
    // Requests are logged by the metrics hook and the error handler; a line per ingest batch is noise.
    logController: new LogController({ disableRequestLogging: true }),
    // Slow-loris bound on receiving a request (headers + body); live streams are responses, unaffected.
    requestTimeout: 120_000,
    // Router-level failures (malformed URL encoding, overlong params) get the same error shape.
    frameworkErrors: onError,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(onError);
  app.setNotFoundHandler(notFoundHandler);
  // Only JSON bodies: a text/plain body would reach the schemas as a string and confuse clients.
  app.removeContentTypeParser('text/plain');
  // The raw tap must see the bytes before they are decoded: agents sign what they send.
  app.addHook('preParsing', createRawBodyTap(limits.bodyLimitBytes));
  app.addHook('preParsing', createContentDecoder(limits.bodyLimitBytes));
  // Before any route is registered: every route must declare its auth, and gets it enforced.
  installAuth(app, { auth: deps.security.auth, agents: deps.security.agentVerifier, reject: deps.security.reject, publicDocs: deps.security.publicDocs });
  app.addHook('onResponse', async (req, reply) => {
    apiMetrics.httpRequests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
    if (log.isLevelEnabled('debug')) log.debug({ reqId: req.id, method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  // A registry per app (not zod's global one) names the big shared schemas as OpenAPI components.
  const schemaRegistry = z.registry<{ id?: string }>();
  schemaRegistry.add(AlertSchema, { id: 'Alert' }).add(DecisionSchema, { id: 'Decision' }).add(EventSchema, { id: 'Event' }).add(ErrorBodySchema, { id: 'ErrorBody' });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'DIO API', version: deps.version, description: 'Alerts, decisions, ingest, agents, tasks, users and the live stream of a DIO server. Every route but /api/v1/health needs authentication: `Authorization: Bearer <access token or API key>`. Errors are `{ "error": { "code", "message", "details?" } }`.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An access token from POST /api/v1/auth/login, or an API key (dio_ak_…).' },
        },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'auth' },
        { name: 'users' },
        { name: 'audit' },
        { name: 'agents' },
        { name: 'tasks' },
        { name: 'agent channel', description: 'Requests from enrolled agents, signed with their Ed25519 key (x-dio-agent, x-dio-ts, x-dio-nonce, x-dio-sig).' },
        { name: 'alerts' },
        { name: 'decisions' },
        { name: 'events' },
        { name: 'stream' },
        { name: 'system' },
      ],
    },
    transform: createJsonSchemaTransform({ schemaRegistry }),
    transformObject: createJsonSchemaTransformObject({ schemaRegistry }),
  });
  // Served from the package's bundled assets: works offline; no validator badge calls out.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });
  await app.register(websocket, {
    options: { maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false },
    errorHandler: (err: Error, socket: unknown) => {
      log.debug({ err }, 'websocket error');
      (socket as WsLike).terminate();
    },
  });

  const hub = new StreamHub(deps.stream, {
    maxClients: limits.maxStreamClients,
    bufferBytes: limits.streamClientBufferBytes,
    heartbeatMs: limits.streamHeartbeatMs,
    metrics: apiMetrics,
    logger: log,
  });
  // Open streams would keep server.close() waiting forever.
  app.addHook('preClose', (done) => {
    hub.closeAll();
    done();
  });

  registerHealthRoutes(app, deps);
  registerAuthRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerAgentRoutes(app, deps);
  registerAgentChannelRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerEventRoutes(app, { ingest: deps.ingest, reject: deps.security.reject, maxInFlight: limits.maxIngestInFlight });
  registerAlertRoutes(app, deps);
  registerDecisionRoutes(app, deps);
  registerStreamRoutes(app, hub, { retryMs: limits.streamRetryMs, logger: log });

  // Not made ready here: the composition root may still add plugins (dashboard assets, auth).
  return app;
}
