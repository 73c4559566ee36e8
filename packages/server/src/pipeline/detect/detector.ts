import type { Alert } from '@dio/protocol';
import type { Clock } from '../../shared/clock.js';
import type { ParsedEvent } from '../parse/port.js';
import type { CompiledScenario } from './compile-scenario.js';
import { buildAlert } from './build-alert.js';
import { scalarString } from './scalar-string.js';

/** State of one group key in one scenario. */
interface Bucket {
  /** leaky: current level; counter: events in the ring. */
  level: number;
  /** Event time (ms) of the last update. */
  last: number;
  count: number;
  first: ParsedEvent;
  lastEvent: ParsedEvent;
  /** counter: ring of the last `capacity` event times. */
  times?: Float64Array;
  head: number;
  distinct?: Set<string>;
}

interface ScenarioState {
  sc: CompiledScenario;
  buckets: Map<string, Bucket>;
  cooldown: Map<string, number>;
}

export interface DetectorStats {
  buckets: number;
  evicted: number;
  alerts: number;
}

export interface Detector {
  /** Feeds one event; alerts are handed to `onAlert` synchronously. */
  process(ev: ParsedEvent): void;
  stats(): DetectorStats;
  scenarios(): readonly CompiledScenario[];
}

const MAX_DISTINCT = 10_000;
const SWEEP_EVERY_MS = 60_000;

/**
 * The bucket engine. Scenario windows run on the events' own timestamps (so a replay of an old
 * log behaves like the live tail did); only `created_at` of an alert uses the clock.
 * Memory is bounded: drained buckets are swept as event time advances, and beyond `maxBuckets`
 * the oldest buckets are evicted (counted).
 */
export function createDetector(opts: {
  scenarios: readonly CompiledScenario[];
  onAlert: (alert: Alert) => void;
  clock: Clock;
  newId: () => string;
  maxBuckets?: number;
}): Detector {
  const maxBuckets = opts.maxBuckets ?? 1_000_000;
  const states: ScenarioState[] = opts.scenarios.map((sc) => ({ sc, buckets: new Map(), cooldown: new Map() }));
  // Index by event.action: most events concern one or two scenarios.
  const byAction = new Map<string, ScenarioState[]>();
  const anyAction: ScenarioState[] = [];
  const cancelByAction = new Map<string, ScenarioState[]>();
  const cancelAny: ScenarioState[] = [];
  for (const st of states) {
    if (st.sc.actions) for (const a of st.sc.actions) push(byAction, a, st);
    else anyAction.push(st);
    if (st.sc.cancels) {
      if (st.sc.cancelActions) for (const a of st.sc.cancelActions) push(cancelByAction, a, st);
      else cancelAny.push(st);
    }
  }
  let watermark = 0;
  let lastSweep = 0;
  let total = 0;
  let evicted = 0;
  let alerts = 0;

  function fire(st: ScenarioState, key: string, b: Bucket, t: number): void {
    st.buckets.delete(key);
    total--;
    st.cooldown.set(key, t + st.sc.cooldownMs);
    alerts++;
    opts.onAlert(buildAlert(st.sc, key, b, opts.clock.now(), opts.newId()));
  }

  function feed(st: ScenarioState, pe: ParsedEvent): void {
    const sc = st.sc;
    if (!sc.matches(pe.event)) return;
    const key = scalarString(sc.groupKey(pe.event));
    if (key === undefined) return;
    const t = pe.ts;
    const until = st.cooldown.get(key);
    if (until !== undefined) {
      if (t < until) return;
      st.cooldown.delete(key);
    }
    let b = st.buckets.get(key);
    if (sc.distinct) {
      const s = scalarString(sc.distinct(pe.event));
      if (s === undefined) return;
      if (b?.distinct) {
        if (b.distinct.has(s)) {
          b.lastEvent = pe;
          return;
        }
        if (b.distinct.size < MAX_DISTINCT) b.distinct.add(s);
      }
    }
    if (!b) {
      b = { level: 0, last: t, count: 0, first: pe, lastEvent: pe, head: 0 };
      if (sc.spec.type === 'counter') b.times = new Float64Array(sc.capacity);
      if (sc.distinct) b.distinct = new Set([scalarString(sc.distinct(pe.event))!]);
      st.buckets.set(key, b);
      total++;
    }
    b.count++;
    b.lastEvent = pe;
    switch (sc.spec.type) {
      case 'trigger':
        fire(st, key, b, t);
        return;
      case 'leaky': {
        const elapsed = t > b.last ? t - b.last : 0;
        b.level = Math.max(0, b.level - elapsed / sc.leakMs) + 1;
        if (t > b.last) b.last = t;
        if (b.level > sc.capacity) fire(st, key, b, t);
        return;
      }
      case 'counter': {
        const times = b.times!;
        times[b.head] = t;
        b.head = (b.head + 1) % sc.capacity;
        if (b.level < sc.capacity) b.level++;
        if (t > b.last) b.last = t;
        // Ring full: the slot at head is the oldest of the last `capacity` events.
        if (b.level === sc.capacity && t - times[b.head]! <= sc.windowMs) fire(st, key, b, t);
        return;
      }
    }
  }

  function cancel(st: ScenarioState, pe: ParsedEvent): void {
    if (!st.sc.cancels!(pe.event)) return;
    const k = scalarString(st.sc.groupKey(pe.event));
    if (k !== undefined && st.buckets.delete(k)) total--;
  }

  function drained(st: ScenarioState, b: Bucket, now: number): boolean {
    const sc = st.sc;
    if (sc.spec.type === 'leaky') return b.level - (now - b.last) / sc.leakMs <= 0;
    if (sc.spec.type === 'counter') return now - b.last > sc.windowMs;
    return true;
  }

  function sweep(): void {
    lastSweep = watermark;
    for (const st of states) {
      for (const [k, b] of st.buckets) if (drained(st, b, watermark)) { st.buckets.delete(k); total--; }
      for (const [k, until] of st.cooldown) if (until <= watermark) st.cooldown.delete(k);
    }
    // Still too many: evict the oldest-created buckets of the biggest scenario maps.
    while (total > maxBuckets) {
      const biggest = states.reduce((a, b) => (b.buckets.size > a.buckets.size ? b : a));
      const oldest = biggest.buckets.keys().next();
      if (oldest.done) break;
      biggest.buckets.delete(oldest.value);
      total--;
      evicted++;
    }
  }

  return {
    process(pe) {
      if (pe.ts > watermark) watermark = pe.ts;
      const action = pe.event.event.action;
      if (action !== undefined) {
        const cs = cancelByAction.get(action);
        if (cs) for (const st of cs) cancel(st, pe);
        const list = byAction.get(action);
        if (list) for (const st of list) feed(st, pe);
      }
      for (const st of cancelAny) cancel(st, pe);
      for (const st of anyAction) feed(st, pe);
      if (watermark - lastSweep >= SWEEP_EVERY_MS || total > maxBuckets) sweep();
    },
    stats: () => ({ buckets: total, evicted, alerts }),
    scenarios: () => opts.scenarios,
  };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
