import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../shared/app-error.js';
import { ConfigSchema, type DioConfig } from './schema.js';
import { configLeaves, coerceLeaf, type Leaf } from './config-leaves.js';

export type Origin = 'default' | `file:${string}` | `env:${string}` | `flag:${string}`;

export interface LoadedConfig {
  config: Readonly<DioConfig>;
  /** Origin of every leaf path that was set somewhere other than the defaults. */
  origins: ReadonlyMap<string, Origin>;
  /** Non-fatal remarks for the operator (e.g. unknown DIO_* variables). */
  warnings: string[];
}

export interface LoadConfigInput {
  /** Path of dio.yaml; missing is fine unless `requireFile`. */
  file?: string;
  requireFile?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Flag overrides as leaf path → raw value, e.g. { 'api.listen': '127.0.0.1:9000' } with the flag name for origins. */
  flags?: Array<{ path: string; value: unknown; flag: string }>;
}

/** Environment variables DIO reads that are not configuration keys (CLI credentials, dev switches). */
const NON_CONFIG_ENV = new Set(['DIO_FROM_SOURCE', 'DIO_API_KEY', 'DIO_USER', 'DIO_PASSWORD', 'DIO_ADMIN_PASSWORD', 'DIO_AGENT_TOKEN', 'DIO_SERVER', 'DIO_CONFIG', 'DIO_NO_PROGRESS', 'DIO_LOG_FORMAT']);

/**
 * Loads configuration: defaults < dio.yaml < DIO_* environment < command-line flags. Validated
 * with zod; unknown keys are errors naming the file and key path. The result is frozen.
 */
export function loadConfig(input: LoadConfigInput = {}): LoadedConfig {
  const leaves = configLeaves(ConfigSchema);
  const origins = new Map<string, Origin>();
  const warnings: string[] = [];
  const merged: Record<string, unknown> = {};

  if (input.file) {
    const fromFile = readConfigFile(input.file, input.requireFile ?? false);
    if (fromFile) {
      const check = ConfigSchema.safeParse(fromFile);
      if (!check.success) throw configError(input.file, check.error);
      deepMerge(merged, fromFile);
      for (const p of leafPathsOf(fromFile, leaves)) origins.set(p, `file:${input.file}`);
    }
  }

  const env = input.env ?? process.env;
  const byEnv = new Map([...leaves.values()].filter((l) => l.env).map((l) => [l.env!, l]));
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('DIO_') || raw === undefined || NON_CONFIG_ENV.has(name)) continue;
    const leaf = byEnv.get(name);
    if (!leaf) {
      warnings.push(`ignoring unknown environment variable ${name} (not a configuration key)`);
      continue;
    }
    setPath(merged, leaf.path, coerceLeaf(leaf, raw, `environment variable ${name}`));
    origins.set(leaf.path, `env:${name}`);
  }

  for (const f of input.flags ?? []) {
    const leaf = leaves.get(f.path);
    if (!leaf) throw new AppError('config.unknown_key', `${f.flag}: unknown configuration key "${f.path}"`, { status: 400 });
    setPath(merged, leaf.path, typeof f.value === 'string' ? coerceLeaf(leaf, f.value, f.flag) : f.value);
    origins.set(leaf.path, `flag:${f.flag}`);
  }

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) throw configError('effective configuration (file, DIO_* environment and flags)', result.error);
  return { config: deepFreeze(result.data), origins, warnings };
}

function readConfigFile(path: string, required: boolean): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    throw new AppError('config.unreadable', `cannot read config file ${path}: ${(e as Error).message}`, { status: 400, cause: e });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new AppError('config.invalid_yaml', `${path}: invalid YAML: ${(e as Error).message}`, { status: 400, cause: e });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new AppError('config.invalid', `${path}: the top level must be a mapping of keys`, { status: 400 });
  return doc as Record<string, unknown>;
}

function configError(where: string, error: z.ZodError): AppError {
  const lines = error.issues.map((i) => {
    const base = i.path.join('.');
    if (i.code === 'unrecognized_keys') return `unknown key ${i.keys.map((k) => (base ? `${base}.${k}` : k)).join(', ')}`;
    return `${base || '(top level)'}: ${i.message}`;
  });
  return new AppError('config.invalid', `${where}: ${lines.join('; ')}`, { status: 400, details: error.issues });
}

function leafPathsOf(obj: Record<string, unknown>, leaves: Map<string, Leaf>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (leaves.has(p)) out.push(p);
    else if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...leafPathsOf(v as Record<string, unknown>, leaves, p));
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = target;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (!next || typeof next !== 'object' || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

function deepMerge(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object' && !Array.isArray(target[k])) {
      deepMerge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
