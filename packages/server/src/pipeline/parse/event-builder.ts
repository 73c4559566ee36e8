import type { DioEvent } from '@dio/protocol';
import { bindPattern, type BoundPattern } from './bind-pattern.js';
import { Conv, Dest, type Op } from './compile-parser.js';
import { canonicalIp } from '@dio/protocol';
import type { SyslogEnvelope } from './syslog-envelope.js';
import { assemble, putEventField } from './assemble.js';
import { NS, SLOTS, TARGETS, type Rec } from './targets.js';

export { bindPattern, type BoundPattern };

/** Scratch slots needed by buildEvent: field slots, then masked event and label values. */
export const SCRATCH = SLOTS + 16;
const EV_BASE = SLOTS;
const LB_BASE = SLOTS + 8;

const PROCESS_NAME = TARGETS.get('process.name')!.id;
const PROCESS_PID = TARGETS.get('process.pid')!.id;
const HOST_HOSTNAME = TARGETS.get('host.hostname')!.id;

/** Turns group text into the field value per the op, or undefined (field omitted). */
function convert(op: Op, raw: string | undefined): unknown {
  if (raw === undefined || raw === '' || (op.except !== undefined && op.except.has(raw))) return op.dflt;
  let v: unknown;
  switch (op.conv) {
    case Conv.String:
      v = raw;
      break;
    case Conv.Lower:
      v = raw.toLowerCase();
      break;
    case Conv.Int: {
      const n = toInt(raw);
      if (!(n >= op.min && n <= op.max)) return op.dflt; // NaN fails too
      if (op.map !== undefined) break;
      return n;
    }
    case Conv.Ip:
      v = canonicalIp(raw);
      if (v === undefined) return op.dflt;
      break;
    case Conv.Flag:
      v = 'true';
      break;
    case Conv.HttpOutcome: {
      const n = toInt(raw);
      if (!(n >= 100 && n <= 999)) return op.dflt;
      v = n < 400 ? 'success' : 'failure';
      break;
    }
  }
  if (op.map !== undefined) {
    const mv = op.map.get(op.conv === Conv.Int ? raw : (v as string));
    return mv === undefined ? op.dflt : mv;
  }
  if (op.kind === 'outcome') return v === 'success' || v === 'failure' || v === 'unknown' ? v : op.dflt;
  const s = v as string;
  return s.length > op.max ? s.slice(0, op.max) : s;
}

/** Digits-only text (at most 15) as a number; NaN otherwise, which fails every range check. */
function toInt(s: string): number {
  const n = s.length;
  if (n > 15) return NaN;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/** The value of a group-driven op for this match, or undefined. */
function value(op: Op, m: RegExpExecArray | null): unknown {
  const raw = m === null ? undefined : m[op.group];
  if (op.plain) {
    // most mappings copy a group as text: skip the general conversion
    if (raw === undefined || raw === '') return undefined;
    return raw.length > op.max ? raw.slice(0, op.max) : raw;
  }
  return convert(op, raw);
}

/**
 * Builds the event for a matched pattern. `text` is the syslog message (or the whole line when
 * there is no envelope); groups come from `m`. Namespaced values go to the slots `v` first
 * (envelope facts before content, so content can override them), then assemble() builds the
 * nested objects; `event` and `labels` are cloned from per-presence templates (bind-pattern.ts).
 * `v` (length SCRATCH) must be all-undefined on entry and is left so. Every object is fresh:
 * later stages may add fields (geo, classes) in place.
 */
export function buildEvent(p: BoundPattern, m: RegExpExecArray | null, text: string, iso: string, env: SyslogEnvelope | null, input: string, v: unknown[]): DioEvent {
  const eops = p.eventOps;
  let emask = 0;
  for (let i = 0; i < eops.length; i++) {
    const x = value(eops[i]!, m);
    if (x !== undefined) {
      v[EV_BASE + i] = x;
      emask |= 1 << i;
    }
  }
  const ee: Rec = { ...p.eventTpls[emask] };
  if (p.category !== undefined) ee.category = copy(p.category);
  if (p.type !== undefined) ee.type = copy(p.type);
  for (let i = 0; emask !== 0; i++, emask >>= 1) {
    if ((emask & 1) === 0) continue;
    putEventField(ee, eops[i]!.id, v[EV_BASE + i]);
    v[EV_BASE + i] = undefined;
  }
  // Keys every event of this kind has go into one literal: adding keys one by one to objects
  // of many shapes is what costs most here.
  const message = text.length > 65536 ? text.slice(0, 65536) : text;
  const dio = input === '' ? { parser: p.parser } : { parser: p.parser, input };
  let e: Rec;
  let touched = 0;
  if (env !== null && env.program !== undefined && env.host !== undefined && !p.setsProcessOrHost) {
    const process = env.pid >= 0 ? { name: env.program, pid: env.pid } : { name: env.program };
    e = { '@timestamp': iso, message, event: ee, dio, process, host: { hostname: env.host } };
  } else {
    e = { '@timestamp': iso, message, event: ee, dio };
    if (env !== null && env.program !== undefined) {
      v[PROCESS_NAME] = env.program;
      if (env.pid >= 0) v[PROCESS_PID] = env.pid;
      touched |= NS.process;
    }
    if (env !== null && env.host !== undefined) {
      v[HOST_HOSTNAME] = env.host;
      touched |= NS.host;
    }
  }
  const syslog = env !== null && env.pri >= 0 ? syslogFields(env) : undefined;
  let labels: Record<string, string> | undefined;
  if (p.labelTpls !== undefined) {
    const lops = p.labelOps;
    let lmask = 0;
    for (let i = 0; i < lops.length; i++) {
      const x = value(lops[i]!, m);
      if (x !== undefined) {
        v[LB_BASE + i] = x;
        lmask |= 1 << i;
      }
    }
    // no constant labels and no value: no labels object at all (the mask-0 template is {})
    if (lmask !== 0 || p.labels !== undefined) labels = { ...p.labelTpls[lmask] };
    for (let i = 0; lmask !== 0; i++, lmask >>= 1) {
      if ((lmask & 1) === 0) continue;
      labels![lops[i]!.field] = v[LB_BASE + i] as string;
      v[LB_BASE + i] = undefined;
    }
  }
  const ops = p.fieldOps;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const x = op.group < 0 ? op.value : value(op, m);
    if (x === undefined) continue;
    if (op.dest === Dest.Label) (labels ??= {})[op.field] = x as string;
    else {
      v[op.id] = x;
      touched |= op.ns;
    }
  }
  assemble(e, ee, v, touched, syslog);
  if (labels !== undefined) e.labels = labels;
  return e as unknown as DioEvent;
}

/** Array.prototype.slice costs a builtin call; these arrays hold one to three items. */
function copy(a: string[]): string[] {
  switch (a.length) {
    case 1:
      return [a[0]!];
    case 2:
      return [a[0]!, a[1]!];
    default:
      return a.slice();
  }
}

function syslogFields(env: SyslogEnvelope): Rec {
  const s: Rec = { priority: env.pri, facility: { code: env.pri >> 3 }, severity: { code: env.pri & 7 } };
  if (env.version === 1) {
    s.version = '1';
    if (env.host !== undefined) s.hostname = env.host;
    if (env.program !== undefined) s.appname = env.program;
    if (env.procid !== undefined) s.procid = env.procid;
    if (env.msgid !== undefined) s.msgid = env.msgid;
  }
  return s;
}
