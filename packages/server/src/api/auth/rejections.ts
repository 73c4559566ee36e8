import type { Counter } from 'prom-client';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../storage/port.js';

/**
 * Rejected authentication (bad tokens, bad signatures, replays, skew, impersonation, forbidden
 * routes) is counted always and audited as `auth.rejected` — at most `perMinute` records per
 * client address per minute, so an attacker cannot flood the audit chain; the overflow is counted
 * in `dio_auth_rejections_unaudited_total`.
 */
export function createRejectionRecorder(deps: { store: Store; logger: Logger; counter: Counter<'reason'>; unaudited: Counter; now: () => number; perMinute?: number }) {
  const limit = deps.perMinute ?? 20;
  const windows = new Map<string, { start: number; n: number }>();
  const log = deps.logger.child({ component: 'auth' });
  return function record(r: { reason: string; code: string; claimed: string; origin: string; route: string; message: string }): void {
    deps.counter.inc({ reason: r.reason });
    const now = deps.now();
    let w = windows.get(r.origin);
    if (!w || now - w.start >= 60_000) {
      w = { start: now, n: 0 };
      windows.delete(r.origin);
      windows.set(r.origin, w);
      if (windows.size > 10_000) windows.delete(windows.keys().next().value!);
    }
    if (++w.n > limit) {
      deps.unaudited.inc();
      return;
    }
    deps.store
      .appendAudit({ actor: r.claimed, action: 'auth.rejected', target: `route:${r.route}`, origin: r.origin, after: { code: r.code, reason: r.reason, message: r.message } })
      .catch((e: unknown) => log.error({ err: String(e) }, 'could not audit a rejected request'));
  };
}
export type RejectionRecorder = ReturnType<typeof createRejectionRecorder>;
