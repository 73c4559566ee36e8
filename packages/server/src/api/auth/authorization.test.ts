import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROLE_PERMISSIONS, ROLES, type Role } from '@dio/protocol';
import { createTestApi } from '../testing/fakes.js';
import { enrollTestAgent } from '../testing/test-agent.js';
import { routeTable, type RouteEntry } from './authenticate.js';

/** Requests that would never end (live streams) are checked for refusals only. */
const ENDLESS = new Set(['GET /api/v1/stream']);

function concrete(url: string): string {
  return url.replace(':username', 'nobody').replace(':id', 'X0000000000000000000000000').replace('*', 'index.html');
}

const allows = (who: Role | 'agent', need: RouteEntry['auth']) => need === 'public' || need === 'enroll' || need === 'authenticated' || (ROLE_PERMISSIONS[who] as readonly string[]).includes(need);

test('authorization matrix: every route × anonymous, admin, analyst, viewer, agent', async () => {
  const t = await createTestApi();
  const keys = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await t.keyFor(r)] as const))) as Record<Role, string>;
  const agent = await enrollTestAgent(t.app);
  assert.equal(agent.enroll.statusCode, 200, agent.enroll.body);
  const routes = routeTable(t.app).filter((r) => r.method !== 'HEAD');
  assert.ok(routes.length > 40, `expected the whole API, got ${routes.length} routes`);
  const publicRoutes = routes.filter((r) => r.auth === 'public' || r.auth === 'enroll').map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(publicRoutes.sort(), ['GET /api/v1/health', 'POST /api/v1/agent/enroll', 'POST /api/v1/auth/login', 'POST /api/v1/auth/refresh'], 'only health, login, refresh and enrollment are open');

  const failures: string[] = [];
  for (const r of routes) {
    const url = concrete(r.url);
    const key = `${r.method} ${r.url}`;
    const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
    const expectOpen = r.auth === 'public' || r.auth === 'enroll';
    const anon = await t.anonymous({ method: r.method as 'GET', url, ...(body ? { payload: body } : {}) });
    if (!expectOpen && anon.statusCode !== 401) failures.push(`${key} anonymous → ${anon.statusCode}, want 401`);
    if (!expectOpen && anon.statusCode === 401 && anon.json().error.code !== 'auth.required') failures.push(`${key} anonymous code ${anon.json().error.code}`);
    if (ENDLESS.has(key)) continue;
    for (const role of [...ROLES, 'agent'] as const) {
      const res =
        role === 'agent'
          ? await agent.request(r.method as 'GET' | 'POST', url, body)
          : await t.anonymous({ method: r.method as 'GET', url, headers: { authorization: `Bearer ${keys[role]}` }, ...(body ? { payload: body } : {}) });
      const allowed = allows(role, r.auth);
      if (expectOpen) continue;
      if (!allowed && res.statusCode !== 403) failures.push(`${key} as ${role} → ${res.statusCode}, want 403`);
      if (allowed && (res.statusCode === 401 || res.statusCode === 403)) failures.push(`${key} as ${role} → ${res.statusCode} ${res.body.slice(0, 120)}, want it allowed`);
    }
  }
  assert.deepEqual(failures, []);
  // Refusals are counted, and audited up to 20 per client address per minute (the rest only counted).
  const audit = await t.store.listAudit({ action: 'auth.rejected', limit: 10_000 });
  assert.equal(audit.length, 20);
  assert.ok(audit.every((a) => a.origin === '127.0.0.1' && a.target.startsWith('route:')));
  assert.match(await t.metrics.registry.getSingleMetricAsString('dio_auth_rejections_total'), /reason="forbidden"\} \d+/);
  assert.match(await t.metrics.registry.getSingleMetricAsString('dio_auth_rejections_unaudited_total'), /dio_auth_rejections_unaudited_total [1-9]\d*/);
  await t.app.close();
});

test('every route declares auth: a route without it makes the app fail to build', async () => {
  const t = await createTestApi();
  assert.throws(() => t.app.get('/api/v1/oops', () => 'open'), /does not declare config\.auth/);
  await t.app.close();
});
