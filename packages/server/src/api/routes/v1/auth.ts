import { z } from 'zod';
import { LoginRequestSchema, PasswordChangeSchema, RefreshRequestSchema, TokenResponseSchema, WhoAmISchema } from '@dio/protocol';
import { actorOf, permissionsOf } from '../../../auth/principal.js';
import { AppError } from '../../../shared/app-error.js';
import { principalOf } from '../../auth/authenticate.js';
import type { ApiDeps } from '../../deps.js';
import type { ZodApp } from '../../zod-app.js';
import { errorResponses, requestActor } from './common.js';

/** Log in, rotate the refresh token, log out, who am I, change my password. */
export function registerAuthRoutes(app: ZodApp, deps: Pick<ApiDeps, 'security'>): void {
  const { auth, users } = deps.security;
  app.post(
    '/api/v1/auth/login',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a user name and password',
        description: 'Returns a short-lived access token (send it as `Authorization: Bearer …`) and a single-use refresh token. Rate-limited per client address; an account locks after repeated failures.',
        body: LoginRequestSchema,
        response: { 200: TokenResponseSchema, ...errorResponses(400, 401, 423, 429) },
      },
    },
    async (req) => auth.login(req.body.username, req.body.password, req.ip),
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Trade a refresh token for new tokens',
        description: 'Each refresh token works once. Presenting a spent one revokes the whole session (it was stolen or replayed).',
        body: RefreshRequestSchema,
        response: { 200: TokenResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (req) => auth.refresh(req.body.refresh_token, req.ip),
  );

  app.post(
    '/api/v1/auth/logout',
    { config: { auth: 'authenticated' }, schema: { tags: ['auth'], summary: 'End a session (revokes its refresh tokens)', body: RefreshRequestSchema, response: { 204: z.null(), ...errorResponses(400, 401) } } },
    async (req, reply) => {
      await auth.logout(req.body.refresh_token, principalOf(req));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    { config: { auth: 'authenticated' }, schema: { tags: ['auth'], summary: 'Who the credentials belong to and what they may do', response: { 200: WhoAmISchema, ...errorResponses(401) } } },
    (req) => {
      const p = principalOf(req);
      return { kind: p.kind, id: p.id, name: p.name, role: p.role, permissions: [...permissionsOf(p)] };
    },
  );

  app.post(
    '/api/v1/auth/password',
    { config: { auth: 'authenticated' }, schema: { tags: ['auth'], summary: 'Change your own password (ends your other sessions)', body: PasswordChangeSchema, response: { 204: z.null(), ...errorResponses(400, 401, 403) } } },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.kind !== 'user') throw new AppError('auth.forbidden', `${actorOf(p)} has no password to change`, { status: 403 });
      await users.changeOwnPassword(p.id, req.body.current_password, req.body.new_password, requestActor(req));
      return reply.code(204).send(null);
    },
  );
}
