import { z } from 'zod';
import { IngestBatchSchema } from '@dio/protocol';
import { AppError } from '../../../shared/app-error.js';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses, requestActor } from './common.js';
import { principalOf } from '../../auth/authenticate.js';
import type { RejectionRecorder } from '../../auth/rejections.js';
import { createHash } from 'node:crypto';

/** Same rule as IngestBatch.batch_id, so header and body keys are interchangeable. */
const IdempotencyKeySchema = z.string().min(8).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'idempotency key: 8-128 of A-Z a-z 0-9 . _ : -');

export const IngestResultSchema = z.object({ accepted: z.number().int().nonnegative(), duplicate: z.boolean() });

/** POST /api/v1/events: batch ingest for agents and API clients (gzip bodies accepted app-wide). */
/** Per-agent idempotency namespace, within the store's 128-character batch id limit. */
export function agentBatchId(agentId: string, key: string): string {
  const id = `agent:${agentId}:${key}`;
  return id.length <= 128 ? id : `agent:${createHash('sha256').update(`${agentId}\n${key}`).digest('hex')}`;
}

export function registerEventRoutes(app: ZodApp, deps: Pick<ApiDeps, 'ingest'> & { reject?: RejectionRecorder; maxInFlight?: number }): void {
  // A bounded ingest queue: beyond this many batches in progress, a new one is refused before its
  // body is read or parsed, so an overloaded server spends its CPU on work it can finish (and on
  // heartbeats and reads) instead of queueing hundreds of batches in memory. Agents keep the batch
  // in their spool and resend it after Retry-After; nothing accepted is lost.
  const maxInFlight = deps.maxInFlight ?? 4;
  let inFlight = 0;
  app.post(
    '/api/v1/events',
    {
      config: { auth: 'events:write' },
      onRequest: (_req, reply, done) => {
        if (inFlight >= maxInFlight) {
          reply.header('retry-after', '1');
          done(new AppError('ingest.backpressure', `${inFlight} ingest batches are in progress (api.ingest_max_in_flight); resend this one after Retry-After`, { status: 503, details: { retry_after_s: 1 } }));
          return;
        }
        inFlight++;
        // 'close' follows every response, finished or aborted: the slot is released exactly once.
        reply.raw.once('close', () => inFlight--);
        done();
      },
      schema: {
        tags: ['events'],
        summary: 'Ingest a batch of events',
        description:
          'Up to 5000 ECS events per batch. Idempotent with an `Idempotency-Key` header or `batch_id`: a batch seen before is acknowledged with `duplicate: true` and not stored again. Bodies may be sent with `Content-Encoding: gzip`.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeySchema.optional() }),
        body: IngestBatchSchema,
        response: { 202: IngestResultSchema, ...errorResponses(400, 401, 403, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      const headerKey = req.headers['idempotency-key'];
      const bodyKey = req.body.batch_id;
      if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey) {
        throw new AppError('ingest.batch_id_mismatch', 'Idempotency-Key header and body batch_id differ; send one or make them equal', { status: 400 });
      }
      let batchId = headerKey ?? bodyKey;
      const me = principalOf(req);
      if (me.kind === 'agent') {
        // An agent speaks only for itself: events are stamped with its verified id, and its
        // idempotency keys live in its own namespace so it cannot collide with another agent's.
        for (const ev of req.body.events) {
          const claimed = ev.dio?.agent_id;
          if (claimed !== undefined && claimed !== me.id) {
            const err = new AppError('agent.impersonation', `agent ${me.id} sent events claiming to come from agent ${claimed.slice(0, 128)}`, { status: 403 });
            deps.reject?.({ reason: 'impersonation', code: err.code, claimed: `agent:${me.id}`, origin: req.ip, route: 'POST /api/v1/events', message: err.message });
            throw err;
          }
          ev.dio = { ...ev.dio, agent_id: me.id };
        }
        if (batchId !== undefined) batchId = agentBatchId(me.id, batchId);
      }
      const result = await deps.ingest.ingest(req.body.events, batchId === undefined ? { by: requestActor(req) } : { batchId, by: requestActor(req) });
      return reply.code(202).send(result);
    },
  );
}
