import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TokenResponse } from '@dio/protocol';
import { LOCAL_KEY_FILE, writePrivateFile } from '../shared/private-file.js';
import { AppError } from '../shared/app-error.js';
import type { ClientCredentials } from './api-client.js';

/** Saved `dio login` sessions, one per server URL, in a file only the user can read. */
export function sessionFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'dio', 'sessions.json');
}

interface Session {
  username: string;
  access_token: string;
  refresh_token: string;
  expires_at: number;
}

function readSessions(path: string): Record<string, Session> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, Session>;
  } catch {
    return {};
  }
}

export function saveSession(server: string, t: TokenResponse, env: NodeJS.ProcessEnv = process.env): void {
  const path = sessionFile(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const all = readSessions(path);
  all[server] = { username: t.user.username, access_token: t.access_token, refresh_token: t.refresh_token, expires_at: Date.now() + t.expires_in * 1000 };
  writePrivateFile(path, `${JSON.stringify(all, null, 2)}\n`);
}

export function forgetSession(server: string, env: NodeJS.ProcessEnv = process.env): Session | undefined {
  const path = sessionFile(env);
  const all = readSessions(path);
  const s = all[server];
  if (!s) return undefined;
  delete all[server];
  writePrivateFile(path, `${JSON.stringify(all, null, 2)}\n`);
  return s;
}

export function loadSession(server: string, env: NodeJS.ProcessEnv = process.env): Session | undefined {
  return readSessions(sessionFile(env))[server];
}

async function postJson<T>(url: string, body: unknown): Promise<{ status: number; json: T | undefined }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new AppError('cli.unreachable', `cannot reach DIO at ${url}: ${(e as Error).message}`, { status: 503 });
  }
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as T) : undefined };
}

/** POST /api/v1/auth/login; throws the server's error. */
export async function login(server: string, username: string, password: string): Promise<TokenResponse> {
  const r = await postJson<TokenResponse & { error?: { code: string; message: string } }>(`${server}/api/v1/auth/login`, { username, password });
  if (r.status !== 200 || !r.json) throw new AppError(r.json?.error?.code ?? 'cli.login_failed', r.json?.error?.message ?? `login failed with HTTP ${r.status}`, { status: r.status });
  return r.json;
}

const isLoopback = (server: string) => {
  try {
    const h = new URL(server).hostname;
    return h === 'localhost' || h === '[::1]' || /^127\./.test(h);
  } catch {
    return false;
  }
};

/**
 * Credentials for a command, in this order: DIO_API_KEY; DIO_USER + DIO_PASSWORD (a login per
 * command); the saved `dio login` session for this server (refreshed when it expires); and, for a
 * server on this host, the local CLI key `dio up` keeps in its data directory.
 */
export function resolveCredentials(server: string, opts: { dataDir: string; env?: NodeJS.ProcessEnv }): ClientCredentials {
  const env = opts.env ?? process.env;
  if (env.DIO_API_KEY) {
    const key = env.DIO_API_KEY.trim();
    return { describe: 'API key from DIO_API_KEY', header: () => Promise.resolve(`Bearer ${key}`) };
  }
  if (env.DIO_USER && env.DIO_PASSWORD) {
    let token: string | undefined;
    const user = env.DIO_USER;
    const password = env.DIO_PASSWORD;
    return {
      describe: `user ${user} from DIO_USER/DIO_PASSWORD`,
      async header() {
        token ??= (await login(server, user, password)).access_token;
        return `Bearer ${token}`;
      },
    };
  }
  const session = loadSession(server, env);
  if (session) {
    let current = session;
    return {
      describe: `saved session of ${session.username}`,
      header: () => Promise.resolve(`Bearer ${current.access_token}`),
      async renew() {
        const r = await postJson<TokenResponse>(`${server}/api/v1/auth/refresh`, { refresh_token: current.refresh_token });
        if (r.status !== 200 || !r.json) {
          forgetSession(server, env);
          return false;
        }
        saveSession(server, r.json, env);
        current = loadSession(server, env)!;
        return true;
      },
    };
  }
  if (isLoopback(server)) {
    let key: string | undefined;
    try {
      key = readFileSync(join(opts.dataDir, LOCAL_KEY_FILE), 'utf8').trim();
    } catch {
      key = undefined;
    }
    if (key) return { describe: `local key ${join(opts.dataDir, LOCAL_KEY_FILE)}`, header: () => Promise.resolve(`Bearer ${key}`) };
  }
  return {
    describe: 'none',
    header: () =>
      Promise.reject(
        new AppError('cli.not_logged_in', `not logged in to ${server}: run \`dio login --server ${server}\`, or set DIO_API_KEY (or DIO_USER and DIO_PASSWORD)${isLoopback(server) ? `; on the host running \`dio up\`, run this from its directory or pass --data-dir so the local key (${LOCAL_KEY_FILE}) is found` : ''}`, { status: 401 }),
      ),
  };
}
