import type { Agent, AgentStatus, Alert, HeartbeatRequest } from '@dio/protocol';
import type { Actor } from '../api/deps.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../storage/port.js';
import type { AgentRecord, AgentState } from '../storage/port-agents.js';
import { buildHostAlert, TECHNIQUES } from './host-alerts.js';

/**
 * online → stale after two missed heartbeats (plus half an interval of grace for jitter) →
 * offline after `offlineAfterMs`. Revoked and disabled agents say so whatever their timing.
 */
export function agentStatus(a: AgentRecord, now: number, offlineAfterMs: number): AgentStatus {
  if (a.state === 'revoked') return 'revoked';
  if (a.state === 'disabled') return 'disabled';
  const age = now - (a.last_seen_at ?? a.enrolled_at);
  if (age > offlineAfterMs) return 'offline';
  if (age > 2.5 * a.heartbeat_interval_s * 1000) return 'stale';
  return 'online';
}

export function agentView(a: AgentRecord, status: AgentStatus): Agent {
  return {
    id: a.id,
    hostname: a.hostname,
    status,
    enrolled_at: new Date(a.enrolled_at).toISOString(),
    last_seen_at: a.last_seen_at === null ? null : new Date(a.last_seen_at).toISOString(),
    version: a.version,
    capabilities: a.capabilities,
    labels: a.labels,
    host: a.host,
    load: a.load,
    heartbeat_interval_s: a.heartbeat_interval_s,
    key_fingerprint: a.key_fingerprint,
    last_address: a.last_address,
  };
}

/** "env=prod,role=web" → { env: 'prod', role: 'web' } */
export function parseLabelSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new AppError('request.invalid', `label selector "${part}" must be key=value`, { status: 400 });
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export function matchesLabels(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * The agent registry: heartbeats, listings with live status, admin actions (disable, enable,
 * revoke, delete — audited, effective on the next request), and the silence monitor that raises
 * an `agent-silent` alert once per silence when an agent goes stale.
 */
export function createAgentRegistry(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  newId: () => string;
  heartbeatIntervalS: number;
  offlineAfterMs: number;
  submitAlerts: (alerts: Alert[]) => Promise<void>;
  /** Called after an agent's credentials changed (revoke, disable, delete), to drop cached keys. */
  onCredentialsChanged?: (id: string) => void;
}) {
  const { store, clock } = deps;
  const log = deps.logger.child({ component: 'fleet' });

  async function must(id: string): Promise<AgentRecord> {
    const a = await store.agents.getAgent(id);
    if (!a) throw new AppError('agent.not_found', `no agent with id ${id}`, { status: 404 });
    return a;
  }

  async function setState(id: string, state: AgentState, action: string, by: Actor): Promise<Agent> {
    const before = await must(id);
    if (before.state === 'revoked' && state !== 'revoked') throw new AppError('agent.revoked', `agent ${id} is revoked; it can only be deleted`, { status: 409 });
    const after = (await store.agents.updateAgent(id, { state }))!;
    deps.onCredentialsChanged?.(id);
    const now = clock.now();
    await store.appendAudit({ actor: by.actor, action, target: `agent:${id}`, origin: by.origin, before: agentView(before, agentStatus(before, now, deps.offlineAfterMs)), after: agentView(after, agentStatus(after, now, deps.offlineAfterMs)) });
    return agentView(after, agentStatus(after, now, deps.offlineAfterMs));
  }

  return {
    status: (a: AgentRecord) => agentStatus(a, clock.now(), deps.offlineAfterMs),

    async heartbeat(id: string, hb: HeartbeatRequest, origin: string): Promise<AgentRecord> {
      const a = await must(id);
      const now = clock.now();
      const updated = await store.agents.updateAgent(id, {
        last_seen_at: now,
        last_address: origin,
        version: hb.version,
        capabilities: hb.capabilities,
        labels: { ...a.labels, ...hb.labels },
        load: hb.load,
        heartbeat_interval_s: deps.heartbeatIntervalS,
        ...(hb.host ? { host: hb.host, hostname: hb.host.hostname } : {}),
        silent_since: null,
      });
      if (a.silent_since !== null) log.info({ agent: id, silent_s: Math.round((now - a.silent_since) / 1000) }, 'agent is reporting again');
      return updated!;
    },

    async list(filter: { status?: AgentStatus; label?: string } = {}): Promise<Agent[]> {
      const now = clock.now();
      const selector = filter.label ? parseLabelSelector(filter.label) : undefined;
      return (await store.agents.listAgents())
        .filter((a) => !selector || matchesLabels(a.labels, selector))
        .map((a) => agentView(a, agentStatus(a, now, deps.offlineAfterMs)))
        .filter((a) => !filter.status || a.status === filter.status);
    },

    async get(id: string): Promise<Agent> {
      const a = await must(id);
      return agentView(a, agentStatus(a, clock.now(), deps.offlineAfterMs));
    },

    revoke: (id: string, by: Actor) => setState(id, 'revoked', 'agent.revoke', by),
    disable: (id: string, by: Actor) => setState(id, 'disabled', 'agent.disable', by),
    enable: (id: string, by: Actor) => setState(id, 'active', 'agent.enable', by),

    async remove(id: string, by: Actor): Promise<Agent> {
      const before = await must(id);
      await store.agents.deleteAgent(id);
      deps.onCredentialsChanged?.(id);
      const view = agentView(before, agentStatus(before, clock.now(), deps.offlineAfterMs));
      await store.appendAudit({ actor: by.actor, action: 'agent.delete', target: `agent:${id}`, origin: by.origin, before: view });
      return view;
    },

    /** One pass of the silence monitor (run every few seconds). Returns the alerts raised. */
    async checkSilence(): Promise<Alert[]> {
      const now = clock.now();
      const alerts: Alert[] = [];
      for (const a of await store.agents.listAgents()) {
        if (a.state !== 'active' || a.silent_since !== null) continue;
        const status = agentStatus(a, now, deps.offlineAfterMs);
        if (status !== 'stale' && status !== 'offline') continue;
        const last = a.last_seen_at ?? a.enrolled_at;
        const silentS = Math.round((now - last) / 1000);
        await store.agents.updateAgent(a.id, { silent_since: now });
        log.warn({ agent: a.id, silent_s: silentS }, 'agent went silent');
        alerts.push(
          buildHostAlert({
            id: deps.newId(),
            now,
            agent: a,
            scenario: 'agent-silent',
            title: `Agent ${a.id} (${a.hostname}) stopped reporting ${silentS} s ago`,
            severity: 'medium',
            technique: TECHNIQUES.silent,
            action: 'agent_silent',
            message: `no heartbeat from agent ${a.id} since ${new Date(last).toISOString()} (interval ${a.heartbeat_interval_s} s)`,
            firstSeen: last,
            metrics: { silent_s: silentS, heartbeat_interval_s: a.heartbeat_interval_s },
          }),
        );
      }
      if (alerts.length) await deps.submitAlerts(alerts);
      return alerts;
    },
  };
}
export type AgentRegistry = ReturnType<typeof createAgentRegistry>;
