import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DecisionFeedSchema, DecisionSchema, type Decision, type DecisionFeed, type EnforcementReport } from '@dio/protocol';
import { writePrivateFile } from '../shared/private-file.js';
import { createMemoryBroker } from '../broker/memory/memory-broker.js';
import { jsonCodec } from '../broker/port.js';
import type { Responder } from '../pipeline/respond/responder.js';
import { createResponder } from '../pipeline/respond/responder.js';
import type { Firewall } from '../pipeline/respond/port.js';
import { errorMessage } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { IpSet } from '../shared/ip-set.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { errorOf } from './signed-client.js';
import type { AgentTransport } from './transport.js';

const STREAM = 'AGENT_DECISIONS';
const SUBJECT = 'agent.decisions';
const STATE_FILE = 'decisions.json';
const WAIT_S = 25;
const MAX_PENDING_REPORTS = 100_000;
const StateSchema = z.object({ cursor: z.number().int().nonnegative().nullable(), active: z.array(DecisionSchema) });

export interface BouncerStats {
  cursor: number | null;
  active: number;
  enforced: number;
  allowlisted: number;
  pendingReports: number;
  connected: boolean;
}

/**
 * The agent's bouncer: follows the server's decision feed from a persisted cursor (long poll),
 * enforces each decision with the spine's responder and firewall adapters on this host, and
 * reports applied / verified / failed per decision. The host's own allowlist wins over the
 * server: a decision touching it is never enforced and is reported as `allowlisted`. The active
 * set is kept on disk, so after a restart the firewall is re-synced before the server answers.
 */
export function createBouncer(deps: { transport: AgentTransport; firewall: Firewall; stateDir: string; allowlist: IpSet; clock: Clock; logger: Logger; metrics: Metrics; verify: boolean }) {
  const log = deps.logger.child({ component: 'bouncer', firewall: deps.firewall.name });
  const broker = createMemoryBroker({ clock: deps.clock, logger: deps.logger });
  const active = new Map<string, Decision>();
  const reports = new Map<string, EnforcementReport>();
  const stats = { enforced: 0, allowlisted: 0, connected: false };
  /** null until the first reset: the feed then sends the whole active set. */
  let cursor: number | null = null;
  let responder: Responder | undefined;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const ctrl = new AbortController();

  const allowed = (d: Decision) => (d.scope === 'range' ? deps.allowlist.intersects(d.value) : deps.allowlist.has(d.value));

  function queueReport(r: EnforcementReport): void {
    if (reports.size >= MAX_PENDING_REPORTS && !reports.has(r.decision_id)) reports.delete(reports.keys().next().value!);
    reports.set(r.decision_id, r);
    flushTimer ??= setTimeout(() => void flush(), 30);
  }

  async function flush(): Promise<void> {
    flushTimer = undefined;
    if (!reports.size) return;
    const batch = [...reports.values()].slice(0, 5000);
    try {
      const r = await deps.transport.request('POST', '/api/v1/agent/enforcement', { body: { reports: batch } });
      if (r.status >= 200 && r.status < 300) {
        for (const x of batch) if (reports.get(x.decision_id) === x) reports.delete(x.decision_id);
      } else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 429) {
        log.warn({ error: errorOf(r) }, 'the server refused enforcement reports; dropping them');
        for (const x of batch) reports.delete(x.decision_id);
      }
    } catch (e) {
      log.debug({ err: errorMessage(e) }, 'enforcement report not delivered; will retry');
    }
    if (reports.size && !stopping) flushTimer ??= setTimeout(() => void flush(), 2000);
  }

  function saveState(): void {
    writePrivateFile(join(deps.stateDir, STATE_FILE), JSON.stringify({ cursor, active: [...active.values()] }));
  }

  function loadState(): void {
    try {
      const s = StateSchema.parse(JSON.parse(readFileSync(join(deps.stateDir, STATE_FILE), 'utf8')));
      cursor = s.cursor;
      const now = deps.clock.now();
      for (const d of s.active) if (Date.parse(d.expires_at) > now) active.set(d.id, d);
    } catch {
      cursor = null;
    }
  }

  async function apply(kind: 'created' | 'removed' | 'expired', d: Decision): Promise<void> {
    if (kind === 'created') {
      if (allowed(d)) {
        stats.allowlisted++;
        active.delete(d.id);
        queueReport({ decision_id: d.id, status: 'allowlisted', firewall: deps.firewall.name, at: new Date(deps.clock.now()).toISOString(), error: `${d.value} is on this agent's allowlist` });
        return;
      }
      active.set(d.id, d);
    } else if (!active.delete(d.id)) return;
    await broker.publish(SUBJECT, jsonCodec.encode({ kind, decision: d }), { msgId: `${d.id}:${kind}:${cursor}` });
  }

  async function handle(feed: DecisionFeed): Promise<void> {
    if (feed.reset) {
      const next = new Map((feed.active ?? []).map((d) => [d.id, d]));
      for (const [id, d] of active) if (!next.has(id)) await apply('removed', d);
      cursor = feed.cursor;
      for (const d of next.values()) await apply('created', d);
      // Anything the kernel holds that no active decision explains goes away.
      await responder!.reconcile();
    } else {
      if (!feed.changes.length) return;
      for (const c of feed.changes) {
        cursor = c.seq;
        await apply(c.kind, c.decision);
      }
    }
    saveState();
  }

  async function follow(): Promise<void> {
    let backoff = 1000;
    while (!stopping) {
      try {
        const r = await deps.transport.request<DecisionFeed>('GET', `/api/v1/agent/decisions?${cursor === null ? '' : `cursor=${cursor}&`}wait=${WAIT_S}`, { timeoutMs: (WAIT_S + 15) * 1000, signal: ctrl.signal });
        if (r.status !== 200) throw new Error(errorOf(r));
        const feed = DecisionFeedSchema.parse(r.body);
        if (!stats.connected) log.info({ cursor }, 'following the decision feed');
        stats.connected = true;
        backoff = 1000;
        await handle(feed);
      } catch (e) {
        if (stopping) break;
        if (stats.connected) log.warn({ err: errorMessage(e) }, 'decision feed interrupted; resuming from the cursor');
        stats.connected = false;
        await new Promise((res) => setTimeout(res, backoff * (0.5 + Math.random())));
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  return {
    async start(): Promise<void> {
      loadState();
      await broker.ensureStream({ name: STREAM, subjects: [SUBJECT], maxMessages: 1_000_000 });
      responder = createResponder({
        firewall: deps.firewall,
        broker,
        clock: deps.clock,
        metrics: deps.metrics,
        logger: deps.logger,
        verify: deps.verify,
        stream: STREAM,
        active: () => [...active.values()],
        record: (d, e) => {
          if (e.status === 'verified' || e.status === 'applied') stats.enforced++;
          if (e.status === 'pending' || e.status === 'simulated') return Promise.resolve();
          queueReport({ decision_id: d.id, status: e.status, firewall: e.firewall ?? deps.firewall.name, at: e.at ?? new Date(deps.clock.now()).toISOString(), ...(e.error ? { error: e.error } : {}) });
          return Promise.resolve();
        },
      });
      // Enforce what was active when the agent stopped, before the server is even reachable.
      await responder.start([...active.values()]);
      loop = follow();
    },
    stats: (): BouncerStats => ({ cursor, active: active.size, enforced: stats.enforced, allowlisted: stats.allowlisted, pendingReports: reports.size, connected: stats.connected }),
    async stop(): Promise<void> {
      stopping = true;
      ctrl.abort();
      await loop;
      await responder?.stop();
      if (flushTimer) clearTimeout(flushTimer);
      await flush();
      await broker.close();
    },
  };
}
export type Bouncer = ReturnType<typeof createBouncer>;
