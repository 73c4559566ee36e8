import type { LiveStream, StreamMessage } from '../api/deps.js';

/**
 * In-process fan-out of alerts and decisions to live listeners (the API's SSE/WebSocket hub).
 * A throwing listener is isolated so one bad consumer cannot stop the others.
 */
export function createLiveFeed(onListenerError?: (e: unknown) => void): LiveStream & { publish(m: StreamMessage): void } {
  const listeners = new Set<(m: StreamMessage) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(m) {
      for (const l of listeners) {
        try {
          l(m);
        } catch (e) {
          onListenerError?.(e);
        }
      }
    },
  };
}
