import { z } from 'zod';
import { AuditFilterSchema, AuditRecordSchema, AuditVerifySchema } from '@dio/protocol';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses } from './common.js';
import { verifyStoredAudit } from '../../../storage/audit-verify.js';

/** GET /api/v1/audit (filters; oldest first from since_seq) and GET /api/v1/audit/verify. */
export function registerAuditRoutes(app: ZodApp, deps: Pick<ApiDeps, 'store'> & { auditAnchor?: () => { seq: number; hash: string } | undefined }): void {
  app.get(
    '/api/v1/audit',
    {
      config: { auth: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit records, oldest first',
        description: 'Every mutation by a person, an API key, an agent or DIO itself, hash-chained. Page with `since_seq` = the last seq you got. `target` ending in ":" is a prefix ("agent:").',
        querystring: AuditFilterSchema,
        response: { 200: z.object({ items: z.array(AuditRecordSchema), next_since_seq: z.number().int().nullable() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const q = req.query;
      const items = await deps.store.listAudit({
        since_seq: q.since_seq,
        actor: q.actor,
        action: q.action,
        target: q.target,
        since: q.since === undefined ? undefined : Date.parse(q.since),
        until: q.until === undefined ? undefined : Date.parse(q.until),
        limit: q.limit,
      });
      return { items, next_since_seq: items.length === q.limit ? items[items.length - 1]!.seq : null };
    },
  );

  app.get(
    '/api/v1/audit/verify',
    { config: { auth: 'audit:read' }, schema: { tags: ['audit'], summary: 'Verify the whole hash chain', response: { 200: AuditVerifySchema, ...errorResponses(401, 403) } } },
    async () => verifyStoredAudit(deps.store, deps.auditAnchor?.()),
  );
}
