import { AlertSchema, type Alert, type Decision } from '@dio/protocol';
import { jsonCodec, type Broker, type Subscription } from '../broker/port.js';
import { errorMessage } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/port.js';
import type { StreamMessage } from '../api/deps.js';
import type { DecisionChange, DecisionEngine } from './decide/decision-engine.js';

export const ALERTS_STREAM = 'DIO_ALERTS';
export const ALERTS_SUBJECT = 'dio.alerts';
export const DECISIONS_STREAM = 'DIO_DECISIONS';
export const DECISIONS_SUBJECT = 'dio.decisions';

export interface AlertFlow {
  start(): Promise<void>;
  /** Hands alerts from detection to the broker (awaits backpressure). */
  submit(alerts: readonly Alert[]): Promise<void>;
  /** Publishes a decision change for responders (called from the decision engine's onChange). */
  publishChange(change: DecisionChange): void;
  /** Resolves once every submitted alert has been stored and decided. */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * detect → (broker dio.alerts) → store + live feed + decide → (broker dio.decisions) → respond.
 * The broker in between is what lets detection run in sharded workers later while decisions
 * stay in one place; embedded, it is the in-memory broker with the same ack semantics.
 */
export function createAlertFlow(deps: {
  broker: Broker;
  store: Store;
  decide: DecisionEngine;
  publishLive: (m: StreamMessage) => void;
  metrics: Metrics;
  logger: Logger;
  onAlert?: (a: Alert) => void;
  onDecision?: (d: Decision) => void;
}): AlertFlow {
  const log = deps.logger.child({ component: 'alert-flow' });
  let sub: Subscription | undefined;
  let submitted = 0;
  let handled = 0;
  const pendingChanges = new Set<Promise<unknown>>();

  async function handle(a: Alert): Promise<void> {
    try {
      await deps.store.insertAlert(a);
    } catch (e) {
      // Surfaced (metric + log); the alert still reaches decide and the live view.
      deps.metrics.storeErrors.inc({ op: 'insert_alert' });
      log.error({ err: errorMessage(e), alert: a.id }, 'could not store alert');
    }
    deps.metrics.alerts.inc({ scenario: a.scenario });
    deps.publishLive({ type: 'alert', data: a });
    deps.onAlert?.(a);
    const d = await deps.decide.onAlert(a);
    if (d) deps.onDecision?.(d);
  }

  return {
    async start() {
      await deps.broker.ensureStream({ name: ALERTS_STREAM, subjects: [ALERTS_SUBJECT], maxMessages: 100_000 });
      await deps.broker.ensureStream({ name: DECISIONS_STREAM, subjects: [DECISIONS_SUBJECT], maxMessages: 100_000 });
      await deps.broker.ensureConsumer({ stream: ALERTS_STREAM, durable: 'decide', ackWaitMs: 30_000, maxDeliver: 5, maxInFlight: 256 });
      sub = await deps.broker.subscribe(ALERTS_STREAM, 'decide', async (msg) => {
        const parsed = AlertSchema.safeParse(jsonCodec.decode(msg.data));
        if (!parsed.success) {
          deps.metrics.eventsDropped.inc({ stage: 'decide', reason: 'invalid_alert' });
          msg.term();
          handled++;
          return;
        }
        try {
          await handle(parsed.data);
          msg.ack();
          handled++;
        } catch (e) {
          log.error({ err: errorMessage(e) }, 'decide failed; will retry');
          if (msg.deliveryCount >= 5) handled++;
          msg.nack(1000);
        }
      });
    },

    async submit(alerts) {
      for (const a of alerts) {
        await deps.broker.publish(ALERTS_SUBJECT, jsonCodec.encode(a), { msgId: a.id });
        submitted++;
      }
    },

    publishChange(change) {
      deps.publishLive({ type: change.kind === 'created' ? 'decision' : 'decision_deleted', data: change.decision });
      const p = deps.broker
        .publish(DECISIONS_SUBJECT, jsonCodec.encode(change), { msgId: `${change.decision.id}:${change.kind}` })
        .catch((e: unknown) => log.error({ err: errorMessage(e), decision: change.decision.id }, 'could not publish decision change'))
        .finally(() => pendingChanges.delete(p));
      pendingChanges.add(p);
    },

    async drain(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (handled < submitted) {
        if (Date.now() > deadline) throw new Error(`alert flow did not drain: ${submitted - handled} alerts pending`);
        await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all([...pendingChanges]);
    },

    async stop() {
      await Promise.all([...pendingChanges]);
      await sub?.stop();
    },
  };
}
