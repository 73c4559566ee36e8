import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Permission } from '@dio/protocol';
import type { AuthService } from '../../auth/auth-service.js';
import { actorOf, can, type Principal } from '../../auth/principal.js';
import { AppError, isAppError } from '../../shared/app-error.js';
import { SIG_HEADERS } from '../../shared/agent-signature.js';
import type { RejectionRecorder } from './rejections.js';

/**
 * What a route needs: 'public' (health only), 'enroll' (anyone may try; the enrollment token in
 * the body is the credential), 'authenticated' (any principal: who-am-I, logout) or a permission. Every route must say — a route registered without
 * `config.auth` makes the app fail to build, so nothing is left open by omission.
 */
export type RouteAuth = 'public' | 'enroll' | 'authenticated' | Permission;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** Accept `?access_token=` (EventSource and WebSocket clients in browsers cannot set headers). */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  auth: RouteAuth;
}
const ROUTES = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route of an app with what it requires (for the authorization matrix test and docs). */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return ROUTES.get(app) ?? [];
}

/** Verifies a signed agent request (fleet/agent-auth.ts). */
export interface AgentVerifier {
  verify(r: { agentId: string; ts: string; nonce: string; sig: string; method: string; path: string; body: Buffer | undefined; origin: string }): Promise<Principal>;
}

export interface AuthDeps {
  auth: AuthService;
  agents: AgentVerifier;
  reject: RejectionRecorder;
  /** Serve /docs (OpenAPI) without authentication. Default false. */
  publicDocs?: boolean;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

async function fromCredentials(req: FastifyRequest, deps: AuthDeps): Promise<Principal> {
  const authz = header(req, 'authorization');
  let token: string | undefined;
  if (authz !== undefined) {
    const m = /^Bearer\s+(\S{1,4096})$/i.exec(authz.trim());
    if (!m) throw new AppError('auth.invalid_token', 'Authorization must be "Bearer <access token or API key>"', { status: 401 });
    token = m[1]!;
  } else if (header(req, 'x-api-key') !== undefined) {
    token = header(req, 'x-api-key')!;
  } else if (req.routeOptions.config.queryToken) {
    const q = (req.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof q === 'string') token = q;
  }
  if (token === undefined) throw new AppError('auth.required', 'authentication required: send "Authorization: Bearer <token>" (log in with POST /api/v1/auth/login) or an API key', { status: 401 });
  return token.startsWith('dio_ak_') ? deps.auth.authenticateApiKey(token) : deps.auth.authenticateAccessToken(token);
}

function authorize(p: Principal, need: Permission | 'authenticated'): void {
  if (need === 'authenticated' || can(p, need)) return;
  const who = p.kind === 'agent' ? `agent ${p.id}` : `${p.kind === 'user' ? 'user' : 'API key'} ${p.name} (role ${p.role})`;
  throw new AppError('auth.forbidden', `${who} may not do this (needs ${need})`, { status: 403 });
}

/**
 * Installs authentication and authorization on every route. Bearer tokens and API keys are
 * checked in onRequest, before the body is read. Signed agent requests are checked in
 * preValidation, after the body arrived (the signature covers it) and before it is validated.
 */
export function installAuth(app: FastifyInstance, deps: AuthDeps): void {
  const table: RouteEntry[] = [];
  ROUTES.set(app, table);
  app.addHook('onRoute', (route) => {
    route.config ??= {};
    const config = route.config as { auth?: RouteAuth };
    if (config.auth === undefined) {
      if (route.url.startsWith('/docs')) config.auth = deps.publicDocs ? 'public' : 'system:read';
      else throw new Error(`route ${String(route.method)} ${route.url} does not declare config.auth`);
    }
    for (const method of [route.method].flat()) table.push({ method, url: route.url, auth: config.auth });
  });

  const rejected = (req: FastifyRequest, e: unknown, claimed: string): never => {
    if (isAppError(e) && e.status < 500) {
      deps.reject({ reason: e.code.replace(/^[a-z]+\./, ''), code: e.code, claimed, origin: req.ip, route: `${req.method} ${req.routeOptions.url ?? req.url}`, message: e.message });
    }
    throw e;
  };

  app.addHook('onRequest', async (req) => {
    const need = req.routeOptions.config.auth;
    // Unmatched routes (404) carry no config: nothing to protect there.
    if (need === undefined || need === 'public' || need === 'enroll') return;
    if (req.headers[SIG_HEADERS.agent] !== undefined) return;
    try {
      req.principal = await fromCredentials(req, deps);
    } catch (e) {
      rejected(req, e, 'anonymous');
    }
    try {
      authorize(req.principal!, need);
    } catch (e) {
      rejected(req, e, actorOf(req.principal!));
    }
  });

  app.addHook('preValidation', async (req) => {
    const need = req.routeOptions.config.auth;
    if (need === undefined || need === 'public' || need === 'enroll' || req.principal !== undefined) return;
    const agentId = header(req, SIG_HEADERS.agent) ?? '';
    const claimed = `agent:${agentId.slice(0, 128)}`;
    try {
      const ts = header(req, SIG_HEADERS.ts);
      const nonce = header(req, SIG_HEADERS.nonce);
      const sig = header(req, SIG_HEADERS.sig);
      if (ts === undefined || nonce === undefined || sig === undefined) {
        throw new AppError('agent.unsigned', `signed agent requests need ${SIG_HEADERS.ts}, ${SIG_HEADERS.nonce} and ${SIG_HEADERS.sig}`, { status: 401 });
      }
      req.principal = await deps.agents.verify({ agentId, ts, nonce, sig, method: req.method, path: req.url, body: req.rawBody, origin: req.ip });
      authorize(req.principal, need);
    } catch (e) {
      rejected(req, e, claimed);
    }
  });
}

/** The principal of an authenticated request (routes behind installAuth always have one). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('auth.required', 'authentication required', { status: 401 });
  return req.principal;
}
