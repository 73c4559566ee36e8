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
/** Deliveries of one alert to decide before it is dead-lettered. */
const MAX_DELIVER = 5;

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
  const pendingChanges = new Set<Promise<unknown>>();

  /** Stores the alert and shows it live — once, even when decide fails and the message comes back. */
  async function record(a: Alert, redelivered: boolean): Promise<void> {
    if (redelivered && (await deps.store.getAlert(a.id).catch(() => undefined))) return;
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
  }

  function decodeAlert(data: Uint8Array): Alert | undefined {
    try {
      const parsed = AlertSchema.safeParse(jsonCodec.decode(data));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    async start() {
      await deps.broker.ensureStream({ name: ALERTS_STREAM, subjects: [ALERTS_SUBJECT], maxMessages: 100_000 });
      await deps.broker.ensureStream({ name: DECISIONS_STREAM, subjects: [DECISIONS_SUBJECT], maxMessages: 100_000 });
      await deps.broker.ensureConsumer({ stream: ALERTS_STREAM, durable: 'decide', ackWaitMs: 30_000, maxDeliver: MAX_DELIVER, maxInFlight: 256 });
      sub = await deps.broker.subscribe(ALERTS_STREAM, 'decide', async (msg) => {
        const alert = decodeAlert(msg.data);
        if (!alert) {
          deps.metrics.eventsDropped.inc({ stage: 'decide', reason: 'invalid_alert' });
          msg.term();
          return;
        }
        try {
          await record(alert, msg.deliveryCount > 1);
          const d = await deps.decide.onAlert(alert);
          if (d) deps.onDecision?.(d);
          msg.ack();
        } catch (e) {
          log.error({ err: errorMessage(e) }, 'decide failed; will retry');
          msg.nack(1000);
        }
      });
    },

    async submit(alerts) {
      for (const a of alerts) {
        await deps.broker.publish(ALERTS_SUBJECT, jsonCodec.encode(a), { msgId: a.id });
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
      for (;;) {
        const info = await deps.broker.consumerInfo(ALERTS_STREAM, 'decide');
        if (info.pending + info.inFlight === 0) break;
        if (Date.now() > deadline) throw new Error(`alert flow did not drain: ${info.pending + info.inFlight} alerts pending`);
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
