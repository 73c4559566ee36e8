/**
 * The ECS fields content may write, each with its value kind and the limits of EventSchema, so a
 * compiled parser can only ever produce schema-valid events without validating at runtime.
 * Ids index the value slots that assemble.ts turns into the event; `ns` is the namespace bit
 * (which nested object the field lives in). The ids must match assemble.ts; targets.test.ts
 * checks every field lands at its own path.
 */
export type Rec = Record<string, unknown>;

export const NS = {
  message: 1,
  event: 2,
  source: 4,
  destination: 8,
  user: 16,
  process: 32,
  host: 64,
  observer: 128,
  url: 256,
  http: 512,
  user_agent: 1024,
  network: 2048,
  log: 4096,
  error: 8192,
} as const;

export type TargetKind = 'string' | 'int' | 'ip' | 'outcome' | 'kind' | 'array';

export interface Target {
  id: number;
  ns: number;
  kind: TargetKind;
  /** string: max length (longer values are truncated); int: max value. */
  max: number;
  /** int: min value. */
  min: number;
  /** event.* constants go into a per-pattern template instead of being set per event. */
  eventField: string | undefined;
}

const S = 4096;
const BIG = Number.MAX_SAFE_INTEGER;

/** Number of value slots (one per target id). */
export const SLOTS = 43;

export const TARGETS: ReadonlyMap<string, Target> = new Map<string, Target>([
  ['message', { id: 0, ns: NS.message, kind: 'string', min: 0, max: 65536, eventField: undefined }],
  ['event.kind', { id: 1, ns: NS.event, kind: 'kind', min: 0, max: 16, eventField: 'kind' }],
  ['event.category', { id: 2, ns: NS.event, kind: 'array', min: 0, max: 64, eventField: 'category' }],
  ['event.type', { id: 3, ns: NS.event, kind: 'array', min: 0, max: 64, eventField: 'type' }],
  ['event.action', { id: 4, ns: NS.event, kind: 'string', min: 0, max: 128, eventField: 'action' }],
  ['event.outcome', { id: 5, ns: NS.event, kind: 'outcome', min: 0, max: 16, eventField: 'outcome' }],
  ['event.dataset', { id: 6, ns: NS.event, kind: 'string', min: 0, max: 128, eventField: 'dataset' }],
  ['event.module', { id: 7, ns: NS.event, kind: 'string', min: 0, max: 64, eventField: 'module' }],
  ['event.provider', { id: 8, ns: NS.event, kind: 'string', min: 0, max: 128, eventField: 'provider' }],
  ['event.reason', { id: 9, ns: NS.event, kind: 'string', min: 0, max: S, eventField: 'reason' }],
  ['source.ip', { id: 10, ns: NS.source, kind: 'ip', min: 0, max: 64, eventField: undefined }],
  ['source.port', { id: 11, ns: NS.source, kind: 'int', min: 0, max: 65535, eventField: undefined }],
  ['source.address', { id: 12, ns: NS.source, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['source.domain', { id: 13, ns: NS.source, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['source.bytes', { id: 14, ns: NS.source, kind: 'int', min: 0, max: BIG, eventField: undefined }],
  ['destination.ip', { id: 15, ns: NS.destination, kind: 'ip', min: 0, max: 64, eventField: undefined }],
  ['destination.port', { id: 16, ns: NS.destination, kind: 'int', min: 0, max: 65535, eventField: undefined }],
  ['destination.address', { id: 17, ns: NS.destination, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['destination.domain', { id: 18, ns: NS.destination, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['destination.bytes', { id: 19, ns: NS.destination, kind: 'int', min: 0, max: BIG, eventField: undefined }],
  ['user.name', { id: 20, ns: NS.user, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['user.id', { id: 21, ns: NS.user, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['process.name', { id: 22, ns: NS.process, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['process.pid', { id: 23, ns: NS.process, kind: 'int', min: 0, max: 2147483647, eventField: undefined }],
  ['host.hostname', { id: 24, ns: NS.host, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['host.name', { id: 25, ns: NS.host, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['observer.hostname', { id: 26, ns: NS.observer, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['observer.type', { id: 27, ns: NS.observer, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['observer.name', { id: 28, ns: NS.observer, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['url.original', { id: 29, ns: NS.url, kind: 'string', min: 0, max: 16384, eventField: undefined }],
  ['url.path', { id: 30, ns: NS.url, kind: 'string', min: 0, max: 16384, eventField: undefined }],
  ['url.query', { id: 31, ns: NS.url, kind: 'string', min: 0, max: 16384, eventField: undefined }],
  ['http.version', { id: 32, ns: NS.http, kind: 'string', min: 0, max: 16, eventField: undefined }],
  ['http.request.method', { id: 33, ns: NS.http, kind: 'string', min: 0, max: 32, eventField: undefined }],
  ['http.request.referrer', { id: 34, ns: NS.http, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['http.request.bytes', { id: 35, ns: NS.http, kind: 'int', min: 0, max: BIG, eventField: undefined }],
  ['http.response.status_code', { id: 36, ns: NS.http, kind: 'int', min: 100, max: 999, eventField: undefined }],
  ['http.response.bytes', { id: 37, ns: NS.http, kind: 'int', min: 0, max: BIG, eventField: undefined }],
  ['user_agent.original', { id: 38, ns: NS.user_agent, kind: 'string', min: 0, max: S, eventField: undefined }],
  ['network.transport', { id: 39, ns: NS.network, kind: 'string', min: 0, max: 16, eventField: undefined }],
  ['network.protocol', { id: 40, ns: NS.network, kind: 'string', min: 0, max: 32, eventField: undefined }],
  ['log.level', { id: 41, ns: NS.log, kind: 'string', min: 0, max: 32, eventField: undefined }],
  ['error.message', { id: 42, ns: NS.error, kind: 'string', min: 0, max: S, eventField: undefined }],
]);

/** Label keys: ECS-style names; values are strings up to 4096 chars. */
export const LABEL_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const LABEL_MAX = 4096;

export interface LabelTarget {
  kind: 'label';
  key: string;
  max: number;
  min: number;
}

/** The target for a `set:` key, or undefined when content names a field DIO does not carry. */
export function lookupTarget(key: string): Target | LabelTarget | undefined {
  if (key.startsWith('labels.')) {
    const k = key.slice(7);
    return LABEL_KEY.test(k) ? { kind: 'label', key: k, max: LABEL_MAX, min: 0 } : undefined;
  }
  return TARGETS.get(key);
}
