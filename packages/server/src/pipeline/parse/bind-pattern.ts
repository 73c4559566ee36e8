import { Dest, type CompiledPattern, type Op } from './compile-parser.js';
import { NS, type Rec } from './targets.js';

/** Up to this many group-driven event.* (or label) mappings get per-presence templates. */
export const MAX_MASKED = 6;

const EVENT_ORDER = ['kind', 'category', 'type', 'action', 'outcome', 'dataset', 'module', 'provider', 'reason'];

/**
 * A pattern bound to one source type (its dataset/module filled in), with object templates.
 * Adding properties to objects of many shapes is the slowest part of building events, so
 * `event` and `labels` are cloned from a template that already holds every key the event will
 * have — one template per combination of present group values (`mask`) — and the values are
 * then written into existing keys.
 */
export interface BoundPattern extends CompiledPattern {
  parser: string;
  /** Group-driven event.* mappings (mask bit i = eventOps[i] produced a value). */
  eventOps: Op[];
  eventTpls: Rec[];
  /** Group-driven label mappings, with templates per mask that include the constant labels. */
  labelOps: Op[];
  labelTpls: Record<string, string>[] | undefined;
  /** Everything else (namespaced fields; event/label mappings beyond MAX_MASKED). */
  fieldOps: Op[];
  /** Some mapping writes process.* or host.* (else the envelope's values go in directly). */
  setsProcessOrHost: boolean;
}

export function bindPattern(p: CompiledPattern, parser: string, dataset: string, module: string | undefined): BoundPattern {
  const consts: Rec = { kind: 'event', dataset, module, ...p.eventConst, category: p.category, type: p.type };
  const groupOps = p.ops.filter((o) => o.group >= 0);
  let eventOps = groupOps.filter((o) => o.dest === Dest.Setter && o.ns === NS.event);
  let labelOps = groupOps.filter((o) => o.dest === Dest.Label);
  const fieldOps = p.ops.filter((o) => !eventOps.includes(o) && !labelOps.includes(o));
  if (eventOps.length > MAX_MASKED) {
    fieldOps.push(...eventOps);
    eventOps = [];
  }
  let labelTpls: Record<string, string>[] | undefined;
  if (labelOps.length > MAX_MASKED) {
    fieldOps.push(...labelOps);
    labelOps = [];
    labelTpls = p.labels === undefined ? undefined : [p.labels];
  } else if (labelOps.length > 0 || p.labels !== undefined) {
    labelTpls = masks(labelOps.length).map((mask) => {
      const t: Record<string, string> = { ...p.labels };
      labelOps.forEach((o, i) => {
        if (mask & (1 << i)) t[o.field] = '';
      });
      return t;
    });
  }
  const eventTpls = masks(eventOps.length).map((mask) => {
    const present = new Set(eventOps.filter((_, i) => mask & (1 << i)).map((o) => eventField(o)));
    const t: Rec = {};
    for (const k of EVENT_ORDER) {
      if (present.has(k)) t[k] = null;
      else if (consts[k] !== undefined) t[k] = consts[k];
    }
    return t;
  });
  const setsProcessOrHost = fieldOps.some((o) => o.dest === Dest.Setter && (o.ns === NS.process || o.ns === NS.host));
  return { ...p, parser, eventOps, eventTpls, labelOps, labelTpls, fieldOps, setsProcessOrHost };
}

function masks(n: number): number[] {
  return Array.from({ length: 1 << n }, (_, i) => i);
}

/** event.* field of an op (ids 1…9 in targets.ts, in EVENT_ORDER positions). */
function eventField(o: Op): string {
  return EVENT_ORDER[o.id - 1]!;
}
