import { AppError } from '../../shared/app-error.js';
import type { Conversion, ParserFile, PatternSpec, SetValue } from './parser-schema.js';
import { compileRegex, RegexError } from './regex-compile.js';
import { lookupTarget, type LabelTarget, type Rec, type Target } from './targets.js';
import { createTokenClock, type TokenClock } from './token-clock.js';

/** How a value is turned from group text into a field value (numeric for a cheap switch). */
export const Conv = { String: 0, Lower: 1, Int: 2, Ip: 3, Flag: 4, HttpOutcome: 5 } as const;
export type Conv = (typeof Conv)[keyof typeof Conv];
/** Where an op writes. */
export const Dest = { Label: 1, Setter: 2 } as const;
export type Dest = (typeof Dest)[keyof typeof Dest];

export interface Op {
  dest: Dest;
  /** Label key. */
  field: string;
  /** Value slot (target id) and namespace bit, for Dest.Setter. */
  id: number;
  ns: number;
  /** Capture index, or -1 for a constant. */
  group: number;
  value: unknown;
  conv: Conv;
  map: Map<string, unknown> | undefined;
  except: Set<string> | undefined;
  dflt: unknown;
  /** Group text copied as is (string/label target, no map/except/default). */
  plain: boolean;
  kind: string;
  min: number;
  max: number;
}

export interface CompiledPattern {
  id: string;
  startsWith: string | undefined;
  /** `^literal` test for startsWith, or undefined when the anchored regex already checks it. */
  prefix: RegExp | undefined;
  /** Literal searches for `contains` (irregexp beats indexOf on sliced strings). */
  needles: RegExp[] | undefined;
  re: RegExp | undefined;
  clock: TokenClock | undefined;
  tsGroup: number;
  /** Constant event.* fields (without kind/dataset/module, bound per source type). */
  eventConst: Rec;
  category: string[] | undefined;
  type: string[] | undefined;
  labels: Record<string, string> | undefined;
  ops: Op[];
}

export interface CompiledParser {
  name: string;
  file: string;
  types: string[];
  priority: number;
  whens: { envelope: 'syslog' | 'none'; programs: string[] | undefined }[];
  dataset: string | Record<string, string>;
  module: string | Record<string, string> | undefined;
  patterns: CompiledPattern[];
}

const OUTCOMES = new Set(['success', 'failure', 'unknown']);
const KINDS = new Set(['event', 'alert', 'metric', 'state', 'signal', 'pipeline_error']);
const CONV: Record<Conversion, Conv> = { string: Conv.String, lowercase: Conv.Lower, int: Conv.Int, ip: Conv.Ip, flag: Conv.Flag, http_outcome: Conv.HttpOutcome };

function fail(file: string, where: string, msg: string, cause?: unknown): never {
  throw new AppError('content.invalid_parser', `${file}: ${where}: ${msg}`, { status: 400, cause });
}

export function compileParser(spec: ParserFile, file: string): CompiledParser {
  const whens = (Array.isArray(spec.when) ? spec.when : [spec.when]).map((w, i) => {
    if (w.envelope === 'none' && w.program !== undefined) fail(file, `when[${i}].program`, 'only envelope: syslog has a program');
    return { envelope: w.envelope, programs: w.program === undefined ? undefined : Array.isArray(w.program) ? w.program : [w.program] };
  });
  for (const [key, perType] of [['dataset', spec.dataset], ['module', spec.module]] as const) {
    if (perType !== undefined && typeof perType !== 'string' && perType.default === undefined) fail(file, key, 'a per-type map needs a `default` entry');
  }
  const needsTime = whens.some((w) => w.envelope === 'none');
  const clocks = new Map<string, TokenClock>();
  const ids = new Set<string>();
  const patterns = spec.patterns.map((p, i) => {
    const where = `patterns[${i}] (${p.id})`;
    if (ids.has(p.id)) fail(file, where, 'duplicate pattern id');
    ids.add(p.id);
    return compilePattern(p, spec, file, where, needsTime, clocks);
  });
  return { name: spec.name, file, types: spec.types ?? [spec.name], priority: spec.priority, whens, dataset: spec.dataset, module: spec.module, patterns };
}

function compilePattern(p: PatternSpec, spec: ParserFile, file: string, where: string, needsTime: boolean, clocks: Map<string, TokenClock>): CompiledPattern {
  if (p.regex === undefined && p.startsWith === undefined && p.contains === undefined && p !== spec.patterns[spec.patterns.length - 1]) {
    fail(file, where, 'a pattern without regex, startsWith or contains matches everything; only the last pattern may do that');
  }
  let groups: ReadonlyMap<string, number> = new Map();
  let re: RegExp | undefined;
  if (p.regex !== undefined) {
    try {
      const c = compileRegex(p.regex, p.flags ?? '');
      re = c.re;
      groups = c.groups;
    } catch (e) {
      fail(file, `${where}.regex`, e instanceof RegexError ? e.message : String(e), e);
    }
  }
  const ts = p.timestamp ?? spec.timestamp;
  let clock: TokenClock | undefined;
  let tsGroup = -1;
  if (ts) {
    const g = groups.get(ts.group);
    if (g === undefined) fail(file, `${where}.timestamp.group`, `the regex has no group "${ts.group}"`);
    tsGroup = g;
    clock = clocks.get(ts.format);
    if (!clock) clocks.set(ts.format, (clock = createTokenClock(ts.format)));
  } else if (needsTime) {
    fail(file, `${where}.timestamp`, 'envelope: none patterns need a timestamp group (here or at parser level)');
  }
  const merged: Record<string, SetValue> = { ...(spec.defaults ?? {}), ...p.set };
  const contains = p.contains === undefined ? undefined : Array.isArray(p.contains) ? p.contains : [p.contains];
  const redundant = p.startsWith !== undefined && p.regex !== undefined && !p.flags && anchoredLiteral(p.regex).startsWith(p.startsWith);
  const out: CompiledPattern = {
    id: p.id,
    startsWith: p.startsWith,
    prefix: p.startsWith === undefined || redundant ? undefined : new RegExp(`^${escapeRegex(p.startsWith)}`),
    needles: contains?.map((c) => new RegExp(escapeRegex(c))),
    re,
    clock,
    tsGroup,
    eventConst: {},
    category: undefined,
    type: undefined,
    labels: undefined,
    ops: [],
  };
  for (const [key, value] of Object.entries(merged)) compileSet(out, key, value, groups, file, `${where}.set.${key}`);
  return out;
}

export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** The literal text an anchored regex must start with ('' when unknown), e.g. '^Failed (\S+)' → 'Failed '. */
export function anchoredLiteral(src: string): string {
  if (src[0] !== '^' || hasTopLevelAlternation(src)) return '';
  let out = '';
  for (let i = 1; i < src.length; i++) {
    let c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (!/^[^A-Za-z0-9]$/.test(n)) break;
      c = n;
      i++;
    } else if ('()[]{}.*+?|^$'.includes(c)) {
      if ('*+?{'.includes(c)) out = out.slice(0, -1);
      return out;
    }
    const q = src[i + 1];
    if (q === '*' || q === '?' || q === '{') return out;
    out += c;
  }
  return out;
}

function hasTopLevelAlternation(src: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

function compileSet(out: CompiledPattern, key: string, value: SetValue, groups: ReadonlyMap<string, number>, file: string, where: string): void {
  const target = lookupTarget(key);
  if (!target) fail(file, where, 'unknown field (see targets.ts for the fields DIO carries; free-form data goes to labels.<key>)');
  const isGroup = typeof value === 'object' && value !== null && !Array.isArray(value) && 'group' in value;
  if (!isGroup) {
    const constant = typeof value === 'object' && value !== null && !Array.isArray(value) ? value.value : value;
    const v = checkConstant(target, constant, file, where);
    if (target.kind === 'label') (out.labels ??= {})[target.key] = v as string;
    else if (target.eventField !== undefined) {
      if (target.eventField === 'category') out.category = v as string[];
      else if (target.eventField === 'type') out.type = v as string[];
      else out.eventConst[target.eventField] = v;
    } else out.ops.push(op(target, -1, v, Conv.String, undefined, undefined, undefined));
    return;
  }
  const gv = value;
  const idx = groups.get(gv.group);
  if (idx === undefined) fail(file, where, `the regex has no group "${gv.group}"`);
  if (target.kind === 'array' || target.kind === 'kind') fail(file, where, 'this field only takes a constant');
  const conv = gv.type ?? (target.kind === 'int' ? 'int' : target.kind === 'ip' ? 'ip' : 'string');
  const allowed: Record<string, Conversion[]> = {
    string: ['string', 'lowercase', 'ip', 'flag'],
    label: ['string', 'lowercase', 'ip', 'flag'],
    int: ['int'],
    ip: ['ip'],
    outcome: ['string', 'lowercase', 'http_outcome'],
  };
  if (!allowed[target.kind]?.includes(conv)) fail(file, `${where}.type`, `"${conv}" does not fit a ${target.kind} field`);
  let map: Map<string, unknown> | undefined;
  if (gv.map) {
    map = new Map();
    for (const [k, mv] of Object.entries(gv.map)) map.set(k, checkConstant(target, mv, file, `${where}.map.${k}`));
  }
  const dflt = gv.default === undefined ? undefined : checkConstant(target, gv.default, file, `${where}.default`);
  out.ops.push(op(target, idx, undefined, CONV[conv], map, gv.except ? new Set(gv.except) : undefined, dflt));
}

function op(target: Target | LabelTarget, group: number, value: unknown, conv: Conv, map: Map<string, unknown> | undefined, except: Set<string> | undefined, dflt: unknown): Op {
  const isLabel = target.kind === 'label';
  return {
    dest: isLabel ? Dest.Label : Dest.Setter,
    field: isLabel ? target.key : '',
    id: isLabel ? -1 : target.id,
    ns: isLabel ? 0 : target.ns,
    group,
    value,
    conv,
    map,
    except,
    dflt,
    plain: group >= 0 && conv === Conv.String && map === undefined && except === undefined && dflt === undefined && (target.kind === 'string' || target.kind === 'label'),
    kind: target.kind,
    min: target.min,
    max: target.max,
  };
}

/** Validates a constant against its field at load time, so runtime never produces a bad event. */
function checkConstant(target: { kind: string; max: number; min: number }, v: unknown, file: string, where: string): unknown {
  switch (target.kind) {
    case 'array':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length > 64)) fail(file, where, 'expected a list of up to 8 short strings');
      return v;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < target.min || v > target.max) fail(file, where, `expected an integer in [${target.min}, ${target.max}]`);
      return v;
    case 'outcome':
      if (typeof v !== 'string' || !OUTCOMES.has(v)) fail(file, where, 'expected success | failure | unknown');
      return v;
    case 'kind':
      if (typeof v !== 'string' || !KINDS.has(v)) fail(file, where, `expected one of ${[...KINDS].join(' | ')}`);
      return v;
    case 'ip':
      fail(file, where, 'an ip field takes a group, not a constant');
      break;
    default:
      if (Array.isArray(v)) fail(file, where, 'expected a single value');
      if (String(v).length > target.max) fail(file, where, `longer than ${target.max} characters`);
      return String(v);
  }
}
