import type { StreamSink } from './stream-hub.js';

/**
 * The part of a `ws` WebSocket the stream uses. Declared here because @types/ws is not installed,
 * so @fastify/websocket hands us an untyped socket.
 */
export interface WsLike {
  readonly bufferedAmount: number;
  send(data: Buffer, opts: { binary: boolean }): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'message', listener: () => void): unknown;
}

/** WebSocket close code 1001 "going away" on shutdown; 1013 "try again later" when full. */
export const WS_GOING_AWAY = 1001;
export const WS_TRY_AGAIN_LATER = 1013;

/** A WebSocket client: JSON text frames, protocol pings as heartbeat. */
export class WsSink implements StreamSink {
  readonly transport = 'ws' as const;

  constructor(private readonly socket: WsLike) {}

  send(m: { ws: Buffer }): number {
    this.socket.send(m.ws, { binary: false });
    return this.socket.bufferedAmount;
  }

  heartbeat(): number {
    this.socket.ping();
    return this.socket.bufferedAmount;
  }

  close(reason: 'slow' | 'error' | 'shutdown'): void {
    if (reason === 'shutdown') this.socket.close(WS_GOING_AWAY, 'server shutting down');
    else this.socket.terminate();
  }
}
