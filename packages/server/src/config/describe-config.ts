import { ConfigSchema } from './schema.js';
import { configLeaves } from './config-leaves.js';
import type { LoadedConfig, Origin } from './load-config.js';

export interface ConfigRow {
  key: string;
  value: unknown;
  origin: Origin;
}

const SECRET = /(password|secret|token|api_key|private_key|credential)/i;

/** Replaces values under secret-looking keys (at any depth) with "[redacted]". */
export function redact(value: unknown, key = ''): unknown {
  if (SECRET.test(key) && value !== undefined && value !== null && value !== '') return '[redacted]';
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  return value;
}

/** One row per configuration leaf: its effective value (secrets redacted) and where it came from. */
export function describeConfig(loaded: LoadedConfig): ConfigRow[] {
  const rows: ConfigRow[] = [];
  for (const leaf of configLeaves(ConfigSchema).values()) {
    let v: unknown = loaded.config;
    for (const k of leaf.path.split('.')) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[k];
    rows.push({ key: leaf.path, value: redact(v, leaf.path.split('.').pop()), origin: loaded.origins.get(leaf.path) ?? 'default' });
  }
  return rows;
}
