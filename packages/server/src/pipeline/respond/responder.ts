import { z } from 'zod';
import { DecisionSchema, type Decision, type Enforcement } from '@dio/protocol';
import { jsonCodec, type Broker, type BrokerMessage, type Subscription } from '../../broker/port.js';
import { errorMessage } from '../../shared/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import type { Store } from '../../storage/port.js';
import type { DecisionChange } from '../decide/decision-engine.js';
import type { BanEntry, Firewall } from './port.js';
import { verifyFirewall } from './verify.js';

export interface Responder {
  /** Creates the firewall objects and makes them hold exactly the active decisions (start-up re-sync). */
  start(active: readonly Decision[]): Promise<void>;
  /** Applies queued changes now (tests and shutdown). */
  flush(): Promise<void>;
  /**
   * Repairs drift: when the firewall no longer holds exactly the active decisions (a set flushed
   * by hand, a table deleted) it is re-initialised and re-synced; entries whose kernel timeout
   * was capped below the decision's TTL are refreshed before they lapse. Runs every minute.
   */
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

const BATCH_WINDOW_MS = 5;

/** A decision change as it travels on dio.decisions (validated: the broker is a boundary). */
const ChangeSchema = z.object({ kind: z.enum(['created', 'removed', 'expired']), decision: DecisionSchema });

/**
 * Respond: decision changes → firewall. Changes arriving together are applied as one batch (one
 * `nft -f` transaction), then the set is read back and each decision's enforcement is recorded
 * (verified / failed). Simulated decisions are never enforced. A failed batch is retried
 * through the broker's redelivery.
 */
export function createResponder(deps: {
  firewall: Firewall;
  broker: Broker;
  /** Where enforcement results are recorded: the store (server), unless `record` is given (agent: reported to the server). */
  store?: Store;
  record?: (d: Decision, enforcement: Enforcement) => Promise<void>;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  verify: boolean;
  stream: string;
  /** The decisions that should be enforced now (for periodic reconciliation). */
  active: () => readonly Decision[];
  reconcileEveryMs?: number;
  durable?: string;
  onEnforced?: (d: Decision) => void;
}): Responder {
  const log = deps.logger.child({ component: 'respond', firewall: deps.firewall.name });
  let queue: Array<{ change: DecisionChange; msg: BrokerMessage }> = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let sub: Subscription | undefined;
  let reconcileTimer: NodeJS.Timeout | undefined;
  const fw = deps.firewall.name;
  const toEntry = (d: Decision): BanEntry => ({ value: d.value, expiresAt: Date.parse(d.expires_at) });

  async function reconcile(): Promise<void> {
    const expected = deps.active().filter((d) => !d.simulated && d.status === 'active').map(toEntry);
    const now = deps.clock.now();
    let drift: string | undefined;
    try {
      const v = await verifyFirewall(deps.firewall, expected, now);
      if (!v.ok) drift = `missing ${v.missing.length}, unexpected ${v.unexpected.length}`;
    } catch (e) {
      drift = errorMessage(e);
    }
    if (drift) {
      log.warn({ drift }, 'firewall drifted from the active decisions; re-initialising and re-syncing');
      deps.metrics.firewallOps.inc({ firewall: fw, op: 'resync', result: 'drift' });
      await deps.firewall.init();
      await deps.firewall.sync(expected);
      return;
    }
    // Timeouts above the adapter's cap (ipset: ~24.8 days) are re-added before the kernel drops them.
    const want = new Map(expected.map((e) => [e.value, e.expiresAt]));
    const refresh = (await deps.firewall.entries()).filter((e) => e.expiresAt !== null && (want.get(e.value) ?? 0) - e.expiresAt > 300_000 && e.expiresAt - now < 86_400_000);
    if (refresh.length) await deps.firewall.apply(refresh.map((e) => ({ value: e.value, expiresAt: want.get(e.value)! })), []);
  }

  async function record(d: Decision, status: 'verified' | 'applied' | 'failed' | 'removed', error?: string): Promise<void> {
    const enforcement: Enforcement = { status, firewall: fw, at: new Date(deps.clock.now()).toISOString(), ...(error ? { error: error.slice(0, 2000) } : {}) };
    try {
      if (deps.record) return await deps.record(d, enforcement);
      const updated = await deps.store?.updateDecision(d.id, { enforcement });
      if (updated) deps.onEnforced?.(updated);
    } catch (e) {
      deps.metrics.storeErrors.inc({ op: 'update_decision' });
      log.error({ err: errorMessage(e), decision: d.id }, 'could not record enforcement');
    }
  }

  async function applyBatch(batch: Array<{ change: DecisionChange; msg: BrokerMessage }>): Promise<void> {
    const add: BanEntry[] = [];
    const remove: string[] = [];
    const created: Decision[] = [];
    const removed: Decision[] = [];
    for (const { change } of batch) {
      const d = change.decision;
      if (d.simulated) continue;
      if (change.kind === 'created') {
        add.push({ value: d.value, expiresAt: Date.parse(d.expires_at) });
        created.push(d);
      } else {
        remove.push(d.value);
        removed.push(d);
      }
    }
    // A value removed and re-added in the same batch (superseded decision) must end up present.
    const addValues = new Set(add.map((a) => a.value));
    const realRemove = remove.filter((v) => !addValues.has(v));
    if (add.length === 0 && realRemove.length === 0) {
      for (const { msg } of batch) msg.ack();
      return;
    }
    try {
      const res = await deps.firewall.apply(add, realRemove);
      deps.metrics.firewallOps.inc({ firewall: fw, op: 'apply', result: 'ok' });
      log.info({ added: res.added, removed: res.removed, commands: res.commands }, 'firewall updated');
    } catch (e) {
      deps.metrics.firewallOps.inc({ firewall: fw, op: 'apply', result: 'error' });
      log.error({ err: errorMessage(e) }, 'firewall update failed; will retry');
      for (const d of created) await record(d, 'failed', errorMessage(e));
      for (const { msg } of batch) msg.nack(2000);
      return;
    }
    if (deps.verify && created.length) {
      try {
        const v = await verifyFirewall(deps.firewall, add);
        deps.metrics.firewallOps.inc({ firewall: fw, op: 'verify', result: v.ok ? 'ok' : 'mismatch' });
        const missing = new Set(v.missing);
        for (const d of created) await record(d, missing.has(d.value) ? 'failed' : 'verified', missing.has(d.value) ? 'not present in the firewall after apply' : undefined);
      } catch (e) {
        deps.metrics.firewallOps.inc({ firewall: fw, op: 'verify', result: 'error' });
        for (const d of created) await record(d, 'applied', `verify failed: ${errorMessage(e)}`);
      }
    } else for (const d of created) await record(d, 'applied');
    for (const d of removed) await record(d, 'removed');
    for (const { msg } of batch) msg.ack();
  }

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const batch = queue;
      queue = [];
      running = running.then(() => applyBatch(batch)).catch((e: unknown) => log.error({ err: errorMessage(e) }, 'respond batch failed'));
    }, BATCH_WINDOW_MS);
  }

  return {
    async start(active) {
      await deps.firewall.init();
      const entries = active.filter((d) => !d.simulated).map((d) => ({ value: d.value, expiresAt: Date.parse(d.expires_at) }));
      const res = await deps.firewall.sync(entries);
      log.info({ entries: entries.length, commands: res.commands.length }, 'firewall re-synced with active decisions');
      const durable = deps.durable ?? 'respond';
      await deps.broker.ensureConsumer({ stream: deps.stream, durable, ackWaitMs: 60_000, maxDeliver: 10, maxInFlight: 1024 });
      sub = await deps.broker.subscribe(deps.stream, durable, (msg) => {
        let parsed: ReturnType<typeof ChangeSchema.safeParse>;
        try {
          parsed = ChangeSchema.safeParse(jsonCodec.decode(msg.data));
        } catch {
          parsed = ChangeSchema.safeParse(undefined);
        }
        if (!parsed.success) {
          deps.metrics.eventsDropped.inc({ stage: 'respond', reason: 'invalid_change' });
          log.warn('dropping an invalid decision change from the broker');
          msg.term();
          return;
        }
        queue.push({ change: parsed.data, msg });
        schedule();
      });
      reconcileTimer = setInterval(() => {
        running = running.then(reconcile).catch((e: unknown) => log.error({ err: errorMessage(e) }, 'firewall reconcile failed'));
      }, deps.reconcileEveryMs ?? 60_000);
      reconcileTimer.unref();
    },
    reconcile: () => (running = running.then(reconcile)),
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
        const batch = queue;
        queue = [];
        running = running.then(() => applyBatch(batch));
      }
      await running;
    },
    async stop() {
      if (reconcileTimer) clearInterval(reconcileTimer);
      await sub?.stop();
      await this.flush();
    },
  };
}
