import { parseDuration, type Alert, type Decision, type NewDecision } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import { canonicalIp, formatCidr, ipInCidr, parseCidr } from '@dio/protocol';
import type { IpSet } from '../../shared/ip-set.js';
import type { Store } from '../../storage/port.js';
import type { CompiledProfile } from './load-profiles.js';

export interface Actor {
  actor: string;
  origin: string;
}

export type DecisionChange = { kind: 'created' | 'removed' | 'expired'; decision: Decision };

export interface DecisionEngine {
  /** Loads the active decisions from the store (call once at start). */
  init(): Promise<void>;
  /** Applies the profiles to an alert; returns the decision made, if any. */
  onAlert(alert: Alert): Promise<Decision | undefined>;
  addManual(input: NewDecision, by: Actor): Promise<Decision>;
  remove(id: string, by: Actor): Promise<Decision | undefined>;
  /** Expires decisions whose TTL has passed (call periodically). */
  expire(): Promise<Decision[]>;
  active(): Decision[];
}

const SYSTEM: Actor = { actor: 'system:decide', origin: 'pipeline' };

/**
 * Decide: alerts → decisions through the profiles, guarded by the allowlist (which nothing can
 * override: loopback is always on it). A decision's TTL counts from when it is made, on the
 * clock — not from the alert's event time — so an old log tailed live still yields active bans.
 */
export function createDecisionEngine(deps: {
  store: Store;
  profiles: readonly CompiledProfile[];
  allowlist: IpSet;
  simulation: boolean;
  clock: Clock;
  newId: () => string;
  metrics: Metrics;
  logger: Logger;
  onChange?: (change: DecisionChange) => void;
}): DecisionEngine {
  const byValue = new Map<string, Decision>();
  const ranges: Decision[] = [];
  const log = deps.logger.child({ component: 'decide' });

  const index = (d: Decision) => {
    byValue.set(d.value, d);
    if (d.scope === 'range') ranges.push(d);
  };
  const unindex = (d: Decision) => {
    if (byValue.get(d.value)?.id === d.id) byValue.delete(d.value);
    const i = ranges.findIndex((r) => r.id === d.id);
    if (i >= 0) ranges.splice(i, 1);
  };
  const coveredBy = (value: string): Decision | undefined => {
    const exact = byValue.get(value);
    if (exact) return exact;
    if (!value.includes('/')) for (const r of ranges) if (ipInCidr(value, r.value)) return r;
    return undefined;
  };

  function allowlisted(value: string): boolean {
    if (!value.includes('/')) return deps.allowlist.has(value);
    // A range is refused when it overlaps the allowlist at all: it would block an allowed address.
    const range = parseCidr(value);
    return !range || deps.allowlist.intersects(range);
  }

  async function create(partial: Omit<Decision, 'id' | 'created_at' | 'expires_at' | 'status' | 'enforcement' | 'simulated' | 'type'>, by: Actor): Promise<Decision> {
    const now = deps.clock.now();
    const d: Decision = {
      id: deps.newId(),
      created_at: new Date(now).toISOString(),
      type: 'ban',
      ...partial,
      expires_at: new Date(now + partial.duration_s * 1000).toISOString(),
      simulated: deps.simulation,
      status: 'active',
      enforcement: { status: deps.simulation ? 'simulated' : 'pending' },
    };
    const previous = byValue.get(d.value);
    await deps.store.insertDecision(d);
    await deps.store.appendAudit({ actor: by.actor, action: 'decision.create', target: `decision:${d.id}`, origin: by.origin, after: d });
    if (previous) {
      // A new decision for the same value supersedes the old one (e.g. a longer manual ban).
      const old = await deps.store.updateDecision(previous.id, { status: 'deleted' });
      unindex(previous);
      if (old) deps.onChange?.({ kind: 'removed', decision: old });
    }
    index(d);
    deps.metrics.decisions.inc({ origin: d.origin, simulated: String(d.simulated) });
    deps.metrics.activeDecisions.set(byValue.size);
    deps.onChange?.({ kind: 'created', decision: d });
    return d;
  }

  return {
    async init() {
      for (const d of await deps.store.activeDecisions(deps.clock.now())) index(d);
      deps.metrics.activeDecisions.set(byValue.size);
    },

    async onAlert(alert) {
      const profile = deps.profiles.find((p) => p.matches(alert));
      if (!profile) {
        deps.metrics.decisionsSkipped.inc({ reason: 'no_profile' });
        return undefined;
      }
      const ip = alert.source.ip ? canonicalIp(alert.source.ip) : undefined;
      if (!ip) {
        deps.metrics.decisionsSkipped.inc({ reason: 'no_source' });
        return undefined;
      }
      let value = ip;
      const spec = profile.spec.decision;
      if (spec.scope === 'range') {
        const bits = ip.includes(':') ? spec.range_prefix.v6 : spec.range_prefix.v4;
        value = formatCidr(parseCidr(`${ip}/${bits}`)!);
      }
      if (allowlisted(value)) {
        deps.metrics.decisionsSkipped.inc({ reason: 'allowlisted' });
        log.info({ value, scenario: alert.scenario }, 'alert source is allowlisted; no decision');
        return undefined;
      }
      if (coveredBy(value)) {
        deps.metrics.decisionsSkipped.inc({ reason: 'already_active' });
        return undefined;
      }
      let duration = profile.durationS;
      let offense = 1;
      if (profile.escalationS) {
        const since = deps.clock.now() - profile.lookbackS * 1000;
        offense = (await deps.store.countDecisionsFor(value, since)) + 1;
        duration = profile.escalationS[Math.min(offense, profile.escalationS.length) - 1]!;
      }
      return create(
        { scope: spec.scope, value, duration_s: duration, origin: 'scenario', scenario: alert.scenario, alert_id: alert.id, reason: `${alert.title} [${profile.spec.name}]`, offense },
        SYSTEM,
      );
    },

    async addManual(input, by) {
      const isRange = input.value.includes('/');
      const value = isRange ? (() => { const c = parseCidr(input.value); return c ? formatCidr(c) : undefined; })() : canonicalIp(input.value);
      if (!value) throw new AppError('decision.invalid', `"${input.value}" is not a valid IP address or CIDR range`, { status: 400 });
      if (allowlisted(value)) throw new AppError('decision.allowlisted', `${value} is on the allowlist and can never be banned`, { status: 409 });
      const duration = parseDuration(input.duration);
      const offense = (await deps.store.countDecisionsFor(value, deps.clock.now() - 30 * 86400_000)) + 1;
      return create({ scope: isRange ? 'range' : 'ip', value, duration_s: duration, origin: by.actor.startsWith('apikey:') || by.actor.startsWith('api:') ? 'api' : 'manual', reason: input.reason, offense, created_by: by.actor }, by);
    },

    async remove(id, by) {
      const before = await deps.store.getDecision(id);
      if (!before) return undefined;
      if (before.status !== 'active') return before;
      const after = await deps.store.updateDecision(id, { status: 'deleted' });
      await deps.store.appendAudit({ actor: by.actor, action: 'decision.delete', target: `decision:${id}`, origin: by.origin, before, after });
      unindex(before);
      deps.metrics.activeDecisions.set(byValue.size);
      if (after) deps.onChange?.({ kind: 'removed', decision: after });
      return after;
    },

    async expire() {
      const expired = await deps.store.expireDecisions(deps.clock.now());
      for (const d of expired) {
        unindex(d);
        await deps.store.appendAudit({ actor: 'system:expire', action: 'decision.expire', target: `decision:${d.id}`, origin: 'pipeline', after: d });
        deps.onChange?.({ kind: 'expired', decision: d });
      }
      if (expired.length) deps.metrics.activeDecisions.set(byValue.size);
      return expired;
    },

    active: () => [...byValue.values()],
  };
}
