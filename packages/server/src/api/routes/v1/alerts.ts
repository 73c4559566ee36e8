import { AlertFilterSchema, AlertSchema, pageSchema } from '@dio/protocol';
import { AppError } from '../../../shared/app-error.js';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses, IdParamsSchema } from './common.js';

/** GET /api/v1/alerts (filters + cursor pages) and GET /api/v1/alerts/:id. */
export function registerAlertRoutes(app: ZodApp, deps: Pick<ApiDeps, 'store'>): void {
  app.get(
    '/api/v1/alerts',
    {
      config: { auth: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List alerts, newest first',
        description: 'Pass `next_cursor` from a page as `cursor` to get the next one; it is null on the last page.',
        querystring: AlertFilterSchema,
        response: { 200: pageSchema(AlertSchema), ...errorResponses(400) },
      },
    },
    async (req) => deps.store.listAlerts(req.query),
  );

  app.get(
    '/api/v1/alerts/:id',
    {
      config: { auth: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'One alert with its evidence',
        params: IdParamsSchema,
        response: { 200: AlertSchema, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const alert = await deps.store.getAlert(req.params.id);
      if (!alert) throw new AppError('alert.not_found', `no alert with id ${req.params.id}`, { status: 404 });
      return alert;
    },
  );
}
