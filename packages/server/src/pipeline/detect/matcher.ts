import { AppError } from '../../shared/app-error.js';
import { IpSet } from '../../shared/ip-set.js';
import { compileFieldPath } from './field-path.js';

/**
 * Declarative event filters used by scenarios and profiles (content is data — never eval).
 *
 *   { "event.action": "ssh_login", "event.outcome": "failure" }      all keys must match
 *   { "http.response.status_code": { gte: 400, lt: 500 } }           operators
 *   { "event.action": ["ssh_login", "ssh_invalid_user"] }            list = one of
 *   { any: [ {...}, {...} ] }, { all: [...] }, { not: {...} }        combinators
 *
 * Operators: eq, ne, in, regex, iregex, contains, icontains, startswith, endswith, gt, gte, lt,
 * lte, exists, cidr. Field paths accept transforms: "url.original|urldecode|lower".
 */
export type Filter = Record<string, unknown>;
export type Predicate = (doc: unknown) => boolean;

const OPS = new Set(['eq', 'ne', 'in', 'regex', 'iregex', 'contains', 'icontains', 'startswith', 'endswith', 'gt', 'gte', 'lt', 'lte', 'exists', 'cidr']);
const MAX_REGEX = 4096;

function bad(where: string, msg: string): AppError {
  return new AppError('content.invalid_filter', `${where}: ${msg}`, { status: 400 });
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function compileRegex(src: unknown, flags: string, where: string): RegExp {
  if (typeof src !== 'string' || src.length > MAX_REGEX) throw bad(where, 'regex must be a string of at most 4096 characters');
  // Nested quantifiers like (a+)+ backtrack catastrophically on hostile input; refuse them.
  if (/\([^)]*[+*][^)]*\)[+*{]/.test(src)) throw bad(where, `regex ${JSON.stringify(src)} has a nested quantifier (catastrophic backtracking risk)`);
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw bad(where, `invalid regex: ${(e as Error).message}`);
  }
}

function compileOps(field: string, ops: Record<string, unknown>, where: string): Predicate {
  const get = compileFieldPath(field);
  const preds: Array<(v: unknown) => boolean> = [];
  for (const [op, arg] of Object.entries(ops)) {
    if (!OPS.has(op)) throw bad(where, `unknown operator "${op}" for ${field}`);
    switch (op) {
      case 'eq': preds.push((v) => v === arg); break;
      case 'ne': preds.push((v) => v !== arg); break;
      case 'in': {
        if (!Array.isArray(arg)) throw bad(where, `"in" needs a list for ${field}`);
        const set = new Set(arg as unknown[]);
        preds.push((v) => set.has(v));
        break;
      }
      case 'regex':
      case 'iregex': {
        const re = compileRegex(arg, op === 'iregex' ? 'i' : '', where);
        preds.push((v) => typeof v === 'string' && re.test(v));
        break;
      }
      case 'contains': preds.push((v) => typeof v === 'string' && v.includes(String(arg))); break;
      case 'icontains': { const a = String(arg).toLowerCase(); preds.push((v) => typeof v === 'string' && v.toLowerCase().includes(a)); break; }
      case 'startswith': preds.push((v) => typeof v === 'string' && v.startsWith(String(arg))); break;
      case 'endswith': preds.push((v) => typeof v === 'string' && v.endsWith(String(arg))); break;
      case 'gt': case 'gte': case 'lt': case 'lte': {
        if (typeof arg !== 'number') throw bad(where, `"${op}" needs a number for ${field}`);
        const cmp = op === 'gt' ? (v: number) => v > arg : op === 'gte' ? (v: number) => v >= arg : op === 'lt' ? (v: number) => v < arg : (v: number) => v <= arg;
        preds.push((v) => typeof v === 'number' && cmp(v));
        break;
      }
      case 'exists': preds.push(arg ? (v) => v !== undefined && v !== null : (v) => v === undefined || v === null); break;
      case 'cidr': {
        const set = new IpSet(Array.isArray(arg) ? (arg as string[]) : [String(arg)]);
        preds.push((v) => typeof v === 'string' && set.has(v));
        break;
      }
    }
  }
  if (preds.length === 1) {
    const p = preds[0]!;
    return (d) => p(get(d));
  }
  return (d) => {
    const v = get(d);
    for (const p of preds) if (!p(v)) return false;
    return true;
  };
}

/** Compiles a filter into a predicate; throws AppError naming `where` (file and key) on bad content. */
export function compileFilter(filter: unknown, where: string): Predicate {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw bad(where, 'a filter must be a mapping');
  const preds: Predicate[] = [];
  for (const [key, val] of Object.entries(filter as Filter)) {
    if (key === 'all' || key === 'any') {
      if (!Array.isArray(val) || val.length === 0) throw bad(where, `"${key}" needs a non-empty list of filters`);
      const subs = val.map((f, i) => compileFilter(f, `${where}.${key}[${i}]`));
      preds.push(key === 'all' ? (d) => subs.every((p) => p(d)) : (d) => subs.some((p) => p(d)));
    } else if (key === 'not') {
      const sub = compileFilter(val, `${where}.not`);
      preds.push((d) => !sub(d));
    } else if (isScalar(val)) {
      const get = compileFieldPath(key);
      preds.push((d) => get(d) === val);
    } else if (Array.isArray(val)) {
      if (!val.every(isScalar)) throw bad(where, `list for ${key} must hold plain values`);
      preds.push(compileOps(key, { in: val }, where));
    } else if (val && typeof val === 'object') {
      preds.push(compileOps(key, val as Record<string, unknown>, where));
    } else throw bad(where, `unsupported value for ${key}`);
  }
  if (preds.length === 0) return () => true;
  if (preds.length === 1) return preds[0]!;
  return (d) => {
    for (const p of preds) if (!p(d)) return false;
    return true;
  };
}

/**
 * The event.action values a filter requires at its top level, so the detector can index
 * scenarios by action and skip the rest; undefined when the filter does not pin the action.
 */
export function requiredActions(filter: unknown): string[] | undefined {
  if (!filter || typeof filter !== 'object') return undefined;
  const v = (filter as Filter)['event.action'];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const ops = v as Record<string, unknown>;
    if (Object.keys(ops).length === 1 && typeof ops.eq === 'string') return [ops.eq];
    if (Object.keys(ops).length === 1 && Array.isArray(ops.in) && ops.in.every((x) => typeof x === 'string')) return ops.in;
  }
  return undefined;
}
