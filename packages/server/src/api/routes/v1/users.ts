import { z } from 'zod';
import { ApiKeySchema, CreatedApiKeySchema, NewApiKeySchema, NewUserSchema, UsernameSchema, UserPatchSchema, UserSchema } from '@dio/protocol';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses, requestActor } from './common.js';

const UserParams = z.object({ username: UsernameSchema }).strict();
const KeyParams = z.object({ id: z.string().regex(/^[A-Za-z0-9]{1,64}$/) }).strict();

/** Users (admin) and API keys for automation. */
export function registerUserRoutes(app: ZodApp, deps: Pick<ApiDeps, 'security'>): void {
  const { users } = deps.security;
  app.get('/api/v1/users', { config: { auth: 'users:read' }, schema: { tags: ['users'], summary: 'List users', response: { 200: z.object({ items: z.array(UserSchema) }), ...errorResponses(401, 403) } } }, async () => ({ items: await users.list() }));
  app.post(
    '/api/v1/users',
    { config: { auth: 'users:write' }, schema: { tags: ['users'], summary: 'Create a user', description: 'Passwords: 12-1024 characters. Role admin, analyst or viewer (default viewer).', body: NewUserSchema, response: { 201: UserSchema, ...errorResponses(400, 401, 403, 409) } } },
    async (req, reply) => reply.code(201).send(await users.create(req.body, requestActor(req))),
  );
  app.get('/api/v1/users/:username', { config: { auth: 'users:read' }, schema: { tags: ['users'], summary: 'One user', params: UserParams, response: { 200: UserSchema, ...errorResponses(401, 403, 404) } } }, async (req) => users.get(req.params.username));
  app.patch(
    '/api/v1/users/:username',
    {
      config: { auth: 'users:write' },
      schema: { tags: ['users'], summary: 'Change role, disable/enable, or set a password (also unlocks)', description: 'Disabling or setting a password ends the user\'s sessions. The last enabled admin cannot be disabled or demoted.', params: UserParams, body: UserPatchSchema, response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (req) => users.update(req.params.username, req.body, requestActor(req)),
  );

  app.get('/api/v1/api-keys', { config: { auth: 'users:read' }, schema: { tags: ['users'], summary: 'List API keys (never the keys themselves)', response: { 200: z.object({ items: z.array(ApiKeySchema) }), ...errorResponses(401, 403) } } }, async () => ({ items: await users.listApiKeys() }));
  app.post(
    '/api/v1/api-keys',
    { config: { auth: 'users:write' }, schema: { tags: ['users'], summary: 'Create an API key with a role', description: 'The key is in this response only; it is stored hashed. Send it as `Authorization: Bearer dio_ak_…` or `X-Api-Key`.', body: NewApiKeySchema, response: { 201: CreatedApiKeySchema, ...errorResponses(400, 401, 403) } } },
    async (req, reply) => reply.code(201).send(await users.createApiKey(req.body, requestActor(req))),
  );
  app.delete('/api/v1/api-keys/:id', { config: { auth: 'users:write' }, schema: { tags: ['users'], summary: 'Revoke an API key', params: KeyParams, response: { 200: ApiKeySchema, ...errorResponses(401, 403, 404) } } }, async (req) => users.revokeApiKey(req.params.id, requestActor(req)));
}
