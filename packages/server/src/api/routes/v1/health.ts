import { z } from 'zod';
import type { ApiDeps, HealthReport } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';

const StatusSchema = z.enum(['ok', 'degraded', 'failing']);
export const HealthReportSchema = z.object({
  status: StatusSchema,
  components: z.record(z.string(), z.object({ status: StatusSchema, detail: z.string().optional() })),
  version: z.string(),
  uptime_s: z.number(),
});

/** GET /api/v1/health (no auth, ever: load balancers and `dio status` use it) and GET /metrics. */
export function registerHealthRoutes(app: ZodApp, deps: Pick<ApiDeps, 'health' | 'version' | 'metrics' | 'logger'>): void {
  app.get(
    '/api/v1/health',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Health of the process and its components',
        description: '200 when ok or degraded, 503 when failing.',
        response: { 200: HealthReportSchema, 503: HealthReportSchema },
      },
    },
    async (_req, reply) => {
      let report: HealthReport;
      try {
        report = await deps.health();
      } catch (err) {
        // A health check that throws is itself the finding: report failing instead of a 500.
        deps.logger.error({ err }, 'health check failed');
        report = { status: 'failing', components: { health: { status: 'failing', detail: 'health check raised an error' } }, version: deps.version, uptime_s: Math.round(process.uptime()) };
      }
      return reply.code(report.status === 'failing' ? 503 : 200).send(report);
    },
  );

  app.get('/metrics', { config: { auth: 'system:read' }, schema: { hide: true } }, async (_req, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
