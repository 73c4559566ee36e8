import type { ServerResponse } from 'node:http';
import type { StreamSink } from './stream-hub.js';

const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/** Headers of an SSE response; `no-transform` and `X-Accel-Buffering` stop proxies from buffering it. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/** First bytes of the stream: the reconnect hint and a comment so clients see the stream is open. */
export function ssePreludeFor(retryMs: number): Buffer {
  return Buffer.from(`retry: ${retryMs}\n: connected\n\n`);
}

/**
 * A Server-Sent Events client. `writableLength` counts what Node holds for this response
 * (its own buffer plus the socket's), which is what the hub bounds.
 */
export class SseSink implements StreamSink {
  readonly transport = 'sse' as const;

  constructor(private readonly res: ServerResponse) {}

  send(m: { sse: Buffer }): number {
    this.res.write(m.sse);
    return this.res.writableLength;
  }

  heartbeat(): number {
    this.res.write(HEARTBEAT);
    return this.res.writableLength;
  }

  close(reason: 'slow' | 'error' | 'shutdown'): void {
    // A slow client cannot take a clean end either; drop the socket and free its buffer now.
    if (reason === 'shutdown') this.res.end();
    else this.res.destroy();
  }
}
