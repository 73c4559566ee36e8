import { z } from 'zod';
import { FindingFilterSchema, FindingSchema, NewTaskSchema, pageSchema, TaskFilterSchema, TaskIdSchema, TaskSchema } from '@dio/protocol';
import { taskView } from '../../../fleet/task-service.js';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses, requestActor } from './common.js';

/** Tasks for agents (allowlisted types, signed) and the findings their results produce. */
export function registerTaskRoutes(app: ZodApp, deps: Pick<ApiDeps, 'fleet' | 'store'>): void {
  const { tasks } = deps.fleet;
  app.post(
    '/api/v1/tasks',
    {
      config: { auth: 'tasks:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Assign a task to an agent or to every agent matching a label selector',
        description: 'Types: nmap, lynis, yara, clamav, portscan, inventory — each with a strict parameter schema. Agents also check targets and paths against their own configuration.',
        body: NewTaskSchema,
        response: { 201: z.object({ items: z.array(TaskSchema) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => reply.code(201).send({ items: await tasks.create(req.body, requestActor(req)) }),
  );
  app.get(
    '/api/v1/tasks',
    { config: { auth: 'tasks:read' }, schema: { tags: ['tasks'], summary: 'List tasks, newest first', querystring: TaskFilterSchema, response: { 200: pageSchema(TaskSchema), ...errorResponses(400, 401, 403) } } },
    async (req) => {
      const page = await deps.store.tasks.listTasks(req.query);
      return { items: page.items.map(taskView), next_cursor: page.next_cursor };
    },
  );
  app.get('/api/v1/tasks/:id', { config: { auth: 'tasks:read' }, schema: { tags: ['tasks'], summary: 'One task with its result', params: z.object({ id: TaskIdSchema }).strict(), response: { 200: TaskSchema, ...errorResponses(401, 403, 404) } } }, async (req) => tasks.get(req.params.id));
  app.get(
    '/api/v1/findings',
    { config: { auth: 'tasks:read' }, schema: { tags: ['tasks'], summary: 'Findings from task results, newest first', querystring: FindingFilterSchema, response: { 200: pageSchema(FindingSchema), ...errorResponses(400, 401, 403) } } },
    async (req) => deps.store.tasks.listFindings(req.query),
  );
}
