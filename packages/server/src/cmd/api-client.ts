import { AppError } from '../shared/app-error.js';

/** Supplies the Authorization header; `renew` is asked once after a 401 (e.g. to refresh a session). */
export interface ClientCredentials {
  /** What they are, for error messages ("API key from DIO_API_KEY", "session of alice"). */
  describe: string;
  header(): Promise<string | undefined>;
  renew?(): Promise<boolean>;
}

/**
 * HTTP client for CLI commands that act on a running DIO (`dio up` by default). Errors carry
 * the server's stable error code and message, or say plainly that nothing answered.
 */
export function createApiClient(server: string, creds?: ClientCredentials) {
  const base = server.replace(/\/+$/, '');
  async function once(method: string, path: string, body: unknown): Promise<{ res: Response; text: string }> {
    const auth = await creds?.header();
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(auth ? { authorization: auth } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (e) {
      throw new AppError('cli.unreachable', `cannot reach DIO at ${base} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}). Is \`dio up\` running? Use --server URL to point elsewhere.`, { status: 503 });
    }
    return { res, text: await res.text() };
  }
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let { res, text } = await once(method, path, body);
    if (res.status === 401 && creds?.renew && (await creds.renew())) ({ res, text } = await once(method, path, body));
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new AppError('cli.bad_response', `${method} ${path}: the server answered ${res.status} with a non-JSON body`, { status: 502 });
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      let message = err?.message ?? `${method} ${path} failed with HTTP ${res.status}`;
      if (res.status === 401 && creds) message += ` (credentials: ${creds.describe}; log in again with \`dio login --server ${base}\`)`;
      throw new AppError(err?.code ?? 'cli.http_error', message, { status: res.status });
    }
    return json as T;
  }
  return {
    base,
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown = {}) => call<T>('POST', path, body),
    patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
    del: <T>(path: string) => call<T>('DELETE', path),
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;
