import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../shared/app-error.js';
import type { Logger } from '../../../shared/logger.js';
import { SSE_HEADERS, SseSink, ssePreludeFor } from '../../stream/sse-sink.js';
import type { StreamHub, StreamTransport } from '../../stream/stream-hub.js';
import { WS_TRY_AGAIN_LATER, WsSink, type WsLike } from '../../stream/ws-sink.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses } from './common.js';

const STREAM_DOC =
  'Events `alert`, `decision` and `decision_deleted`; `data` is the JSON object, `id` a per-process sequence. ' +
  'A comment line is sent every 15 s as heartbeat. There is no replay: after a reconnect, catch up with the list endpoints.';

function tooMany(hub: StreamHub, transport: StreamTransport): AppError {
  hub.refused(transport);
  return new AppError('stream.too_many_clients', 'too many live stream clients; retry later', { status: 503, details: { retry_after_s: 5 } });
}

/** GET /api/v1/stream (Server-Sent Events) and GET /api/v1/stream/ws (WebSocket, same messages as JSON text frames). */
export function registerStreamRoutes(app: ZodApp, hub: StreamHub, opts: { retryMs: number; logger: Logger }): void {
  app.get(
    '/api/v1/stream',
    {
      // A HEAD would hold a slot with a body nobody reads.
      exposeHeadRoute: false,
      config: { auth: 'alerts:read', queryToken: true },
      schema: { tags: ['stream'], summary: 'Live alerts and decisions (text/event-stream)', description: STREAM_DOC, response: errorResponses(503) },
    },
    (req, reply) => {
      if (!hub.hasRoom()) throw tooMany(hub, 'sse');
      // From here on the raw response is ours: Fastify must not try to send or time it out.
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...SSE_HEADERS });
      res.write(ssePreludeFor(opts.retryMs));
      const sink = new SseSink(res);
      const detach = hub.add(sink);
      if (!detach) return void sink.close('shutdown');
      res.on('close', detach);
      res.on('error', (err) => {
        opts.logger.debug({ err }, 'sse client socket error');
        detach();
      });
    },
  );

  app.route({
    method: 'GET',
    url: '/api/v1/stream/ws',
    config: { auth: 'alerts:read', queryToken: true },
    schema: { tags: ['stream'], summary: 'Live alerts and decisions over WebSocket', description: 'Upgrade to WebSocket; frames are `{"type","id","data"}` JSON text.' },
    // Refuse before the upgrade so the client gets a plain 503 with Retry-After.
    preValidation: (_req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
      if (hub.hasRoom()) done();
      else done(tooMany(hub, 'ws'));
    },
    handler: () => {
      throw new AppError('stream.upgrade_required', 'this endpoint speaks WebSocket; send an Upgrade request (or use GET /api/v1/stream for SSE)', { status: 426 });
    },
    wsHandler: (socket: unknown) => {
      const ws = socket as WsLike;
      const sink = new WsSink(ws);
      const detach = hub.add(sink);
      if (!detach) return void ws.close(WS_TRY_AGAIN_LATER, 'too many clients');
      ws.on('close', detach);
      ws.on('error', (err) => {
        opts.logger.debug({ err }, 'websocket client error');
        detach();
      });
      // Clients have nothing to say; inbound frames (bounded by maxPayload) are ignored.
      ws.on('message', () => undefined);
    },
  });
}
