import { z } from 'zod';
import { DecisionSchema, type DecisionFeed, type EnforcementReport } from '@dio/protocol';
import { jsonCodec, type Broker, type Subscription } from '../broker/port.js';
import { errorMessage } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../storage/port.js';

const ChangeSchema = z.object({ kind: z.enum(['created', 'removed', 'expired']), decision: DecisionSchema });
const PAGE = 1000;
/** Long-polls wait on an in-process signal, and also re-check the store this often (another server may have written). */
const POLL_MS = 500;
const MAX_WAITERS = 10_000;

/**
 * The decision stream agents follow. Decision changes come off the broker (durable `agent-feed`)
 * into an ordered, persisted change log; an agent reads it from a cursor, long-polling when it
 * is caught up, and resumes from its cursor after any disconnect. No cursor, or one older than
 * the retained log (or ahead of it), gets a reset: every active decision and the current head.
 */
export function createDecisionFeed(deps: { store: Store; broker: Broker; stream: string; clock: Clock; logger: Logger }) {
  const log = deps.logger.child({ component: 'decision-feed' });
  const waiters = new Set<() => void>();
  let sub: Subscription | undefined;
  let closed = false;

  const wake = () => {
    for (const w of [...waiters]) w();
  };

  async function snapshot(): Promise<DecisionFeed> {
    // Head first: a change landing between the two reads is delivered again later, and applying it twice is harmless.
    const { last } = await deps.store.feed.decisionChangeBounds();
    const active = (await deps.store.activeDecisions(deps.clock.now())).filter((d) => !d.simulated);
    return { cursor: last, reset: true, active, changes: [] };
  }

  async function changesAfter(cursor: number): Promise<DecisionFeed | undefined> {
    const { first, last } = await deps.store.feed.decisionChangeBounds();
    if (cursor > last || (first !== null && cursor < first - 1)) return snapshot();
    if (cursor === last) return undefined;
    const rows = await deps.store.feed.listDecisionChanges(cursor, PAGE);
    if (!rows.length) return undefined;
    return { cursor: rows[rows.length - 1]!.seq, reset: false, changes: rows.map((r) => ({ seq: r.seq, kind: r.kind, decision: r.decision })) };
  }

  function waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (waiters.size >= MAX_WAITERS || closed) return resolve();
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  return {
    async start(): Promise<void> {
      await deps.broker.ensureConsumer({ stream: deps.stream, durable: 'agent-feed', ackWaitMs: 30_000, maxDeliver: 20, maxInFlight: 1024 });
      sub = await deps.broker.subscribe(deps.stream, 'agent-feed', async (msg) => {
        let change: z.infer<typeof ChangeSchema> | undefined;
        try {
          const p = ChangeSchema.safeParse(jsonCodec.decode(msg.data));
          change = p.success ? p.data : undefined;
        } catch {
          change = undefined;
        }
        if (!change) {
          log.warn('dropping an invalid decision change from the broker');
          msg.term();
          return;
        }
        try {
          await deps.store.feed.appendDecisionChange(change.kind, change.decision, deps.clock.now());
          msg.ack();
          wake();
        } catch (e) {
          log.error({ err: errorMessage(e) }, 'could not record a decision change; will retry');
          msg.nack(1000);
        }
      });
    },

    /** Changes after `cursor`; when there are none, waits up to `waitMs` for one. */
    async read(cursor: number | undefined, waitMs: number, signal?: AbortSignal): Promise<DecisionFeed> {
      if (cursor === undefined) return snapshot();
      const deadline = Date.now() + waitMs;
      for (;;) {
        const got = await changesAfter(cursor);
        if (got) return got;
        const left = deadline - Date.now();
        if (left <= 0 || signal?.aborted || closed) return { cursor, reset: false, changes: [] };
        await waitForChange(Math.min(left, POLL_MS), signal);
      }
    },

    async report(agentId: string, reports: readonly EnforcementReport[]): Promise<void> {
      await deps.store.feed.upsertEnforcement(agentId, reports);
    },

    waiting: () => waiters.size,

    async stop(): Promise<void> {
      closed = true;
      wake();
      await sub?.stop();
    },
  };
}
export type DecisionFeedService = ReturnType<typeof createDecisionFeed>;
