import type { Command } from 'commander';
import { Option } from 'commander';
import type { ApiKey, TokenResponse, User } from '@dio/protocol';
import { ROLES } from '@dio/protocol';
import { clientFor, emit, qs, serverUrl, SERVER_HELP } from './client-context.js';
import { forgetSession, loadSession, login, saveSession } from './cli-credentials.js';
import { parseOutputFormat, renderTable } from './output.js';
import { readNewSecret, readSecret } from './prompt-secret.js';

const when = (s: string | null) => (s ? s.slice(0, 19).replace('T', ' ') : '');

/** `dio login|logout|whoami`, `dio users …`, `dio apikeys …`. */
export function registerAccessCommands(program: Command): void {
  program
    .command('login')
    .description('log in to a DIO server and keep the session (in ~/.config/dio/sessions.json, mode 0600)')
    .option('--server <url>', SERVER_HELP)
    .option('-u, --user <name>', 'user name (default $DIO_USER, else admin)')
    .action(async (o: { server?: string; user?: string }) => {
      const server = serverUrl(o.server);
      const user = o.user ?? process.env.DIO_USER ?? 'admin';
      const password = process.env.DIO_PASSWORD ?? (await readSecret(`password for ${user} at ${server}: `));
      const t: TokenResponse = await login(server, user, password);
      saveSession(server, t);
      process.stdout.write(`logged in to ${server} as ${t.user.username} (${t.user.role})\n`);
    });
  program
    .command('logout')
    .description('end the saved session for a server')
    .option('--server <url>', SERVER_HELP)
    .action(async (o: { server?: string }) => {
      const server = serverUrl(o.server);
      const s = loadSession(server);
      if (!s) return void process.stdout.write(`no saved session for ${server}\n`);
      await clientFor(server).post('/api/v1/auth/logout', { refresh_token: s.refresh_token }).catch(() => undefined);
      forgetSession(server);
      process.stdout.write(`logged out of ${server}\n`);
    });
  program
    .command('whoami')
    .description('who the current credentials belong to')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; output: string }) => {
      const me = await clientFor(o.server).get<{ kind: string; name: string; role: string; permissions: string[] }>('/api/v1/auth/me');
      emit(o.output, me, () => `${me.kind} ${me.name} (role ${me.role})\npermissions: ${me.permissions.join(', ')}`);
    });

  const users = program.command('users').description('manage users (admin)');
  const userTable = (list: User[]) => renderTable(['user', 'role', 'status', 'last login', 'created'], list.map((u) => [u.username, u.role, u.disabled ? 'disabled' : u.locked_until && Date.parse(u.locked_until) > Date.now() ? 'locked' : 'active', when(u.last_login_at), when(u.created_at)]));
  users
    .command('add')
    .description('create a user; the password is read without echo (or from standard input)')
    .argument('<name>', 'user name')
    .addOption(new Option('-r, --role <role>', 'role').choices([...ROLES]).default('viewer'))
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (name: string, o: { role: string; server?: string; output: string }) => {
      const password = await readNewSecret(`password for ${name} (12+ characters): `);
      const u = await clientFor(o.server).post<User>('/api/v1/users', { username: name, password, role: o.role });
      emit(o.output, u, () => `created user ${u.username} (${u.role})`);
    });
  users
    .command('list')
    .description('list users')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; output: string }) => {
      const { items } = await clientFor(o.server).get<{ items: User[] }>('/api/v1/users');
      emit(o.output, items, () => userTable(items));
    });
  for (const [verb, patch, text] of [
    ['disable', { disabled: true }, 'disable a user (ends their sessions)'],
    ['enable', { disabled: false }, 'enable a user again (also unlocks)'],
  ] as const) {
    users
      .command(verb)
      .description(text)
      .argument('<name>', 'user name')
      .option('--server <url>', SERVER_HELP)
      .action(async (name: string, o: { server?: string }) => {
        const u = await clientFor(o.server).patch<User>(`/api/v1/users/${encodeURIComponent(name)}`, patch);
        process.stdout.write(`${u.username} is ${u.disabled ? 'disabled' : 'enabled'}\n`);
      });
  }
  users
    .command('role')
    .description("change a user's role")
    .argument('<name>', 'user name')
    .argument('<role>', `new role: ${ROLES.join(', ')}`)
    .option('--server <url>', SERVER_HELP)
    .action(async (name: string, role: string, o: { server?: string }) => {
      if (!(ROLES as readonly string[]).includes(role)) throw new Error(`unknown role "${role}" (use ${ROLES.join(', ')})`);
      const u = await clientFor(o.server).patch<User>(`/api/v1/users/${encodeURIComponent(name)}`, { role });
      process.stdout.write(`${u.username} is now ${u.role}\n`);
    });
  users
    .command('passwd')
    .description("set a user's password (admin; ends their sessions and unlocks the account)")
    .argument('<name>', 'user name')
    .option('--server <url>', SERVER_HELP)
    .action(async (name: string, o: { server?: string }) => {
      const password = await readNewSecret(`new password for ${name}: `);
      await clientFor(o.server).patch<User>(`/api/v1/users/${encodeURIComponent(name)}`, { password });
      process.stdout.write(`password of ${name} changed\n`);
    });

  const keys = program.command('apikeys').description('API keys for automation (admin)');
  keys
    .command('create')
    .description('create an API key; it is printed once')
    .argument('<name>', 'what the key is for, e.g. ci or grafana')
    .addOption(new Option('-r, --role <role>', 'role').choices([...ROLES]).default('viewer'))
    .option('--expires <duration>', 'e.g. 90d (default: never)')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (name: string, o: { role: string; expires?: string; server?: string; output: string }) => {
      const k = await clientFor(o.server).post<ApiKey & { key: string }>('/api/v1/api-keys', { name, role: o.role, ...(o.expires ? { expires: o.expires } : {}) });
      emit(o.output, k, () => `${k.key}\n\nAPI key ${k.id} "${k.name}" (${k.role}). Store it now: it is not shown again. Use it as DIO_API_KEY or "Authorization: Bearer <key>".`);
    });
  keys
    .command('list')
    .description('list API keys')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; output: string }) => {
      const { items } = await clientFor(o.server).get<{ items: ApiKey[] }>(`/api/v1/api-keys${qs({})}`);
      emit(o.output, items, () => renderTable(['id', 'name', 'role', 'status', 'last used', 'expires', 'created by'], items.map((k) => [k.id, k.name, k.role, k.revoked ? 'revoked' : 'active', when(k.last_used_at), when(k.expires_at) || 'never', k.created_by])));
    });
  keys
    .command('revoke')
    .description('revoke an API key')
    .argument('<id>', 'key id (see dio apikeys list)')
    .option('--server <url>', SERVER_HELP)
    .action(async (id: string, o: { server?: string }) => {
      const k = await clientFor(o.server).del<ApiKey>(`/api/v1/api-keys/${encodeURIComponent(id)}`);
      process.stdout.write(`revoked API key ${k.id} "${k.name}"\n`);
    });
}
