import { AppError } from '../shared/app-error.js';

/**
 * Minimal HTTP client for CLI commands that act on a running DIO (`dio up` by default).
 * Errors carry the server's stable error code and message, or say plainly that nothing answered.
 */
export function createApiClient(server: string) {
  const base = server.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (e) {
      throw new AppError('cli.unreachable', `cannot reach DIO at ${base} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}). Is \`dio up\` running? Use --server URL to point elsewhere.`, { status: 503 });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new AppError('cli.bad_response', `${method} ${path}: the server answered ${res.status} with a non-JSON body`, { status: 502 });
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new AppError(err?.code ?? 'cli.http_error', err?.message ?? `${method} ${path} failed with HTTP ${res.status}`, { status: res.status });
    }
    return json as T;
  }
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    del: <T>(path: string) => call<T>('DELETE', path),
  };
}
