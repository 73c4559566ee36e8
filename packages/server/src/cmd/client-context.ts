import { loadConfig } from '../config/load-config.js';
import { createApiClient, type ApiClient } from './api-client.js';
import { resolveCredentials } from './cli-credentials.js';

export const SERVER_HELP = 'DIO API to talk to (default $DIO_SERVER, else the api.listen of ./dio.yaml, else http://127.0.0.1:8080)';

/** The local configuration as far as a client command needs it (never fatal: a broken dio.yaml must not stop `dio login`). */
function localConfig(): { listen: string; dataDir: string } {
  try {
    const file = process.env.DIO_CONFIG ?? 'dio.yaml';
    const { config } = loadConfig({ file, requireFile: Boolean(process.env.DIO_CONFIG) });
    return { listen: config.api.listen, dataDir: config.data_dir };
  } catch {
    return { listen: '127.0.0.1:8080', dataDir: process.env.DIO_DATA_DIR ?? './data' };
  }
}

export function serverUrl(server: string | undefined): string {
  const url = server ?? process.env.DIO_SERVER ?? `http://${localConfig().listen}`;
  return url.replace(/\/+$/, '');
}

/** An authenticated API client for a client command (see resolveCredentials for the order). */
export function clientFor(server: string | undefined): ApiClient {
  const url = serverUrl(server);
  return createApiClient(url, resolveCredentials(url, { dataDir: localConfig().dataDir }));
}

export function qs(params: Record<string, string | number | undefined>): string {
  const e = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  return e.length ? `?${new URLSearchParams(e.map(([k, v]): [string, string] => [k, String(v)])).toString()}` : '';
}

/** Prints JSON (one object per line for lists) or a table. */
export function emit(format: string, value: unknown, table: () => string): void {
  if (format === 'json') {
    if (Array.isArray(value)) for (const v of value) process.stdout.write(`${JSON.stringify(v)}\n`);
    else process.stdout.write(`${JSON.stringify(value)}\n`);
  } else process.stdout.write(`${table()}\n`);
}
