import { Transform, type Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { SIG_HEADERS } from '../../shared/agent-signature.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received (before Content-Encoding is undone), for agent requests only. */
    rawBody?: Buffer;
  }
}

/**
 * preParsing hook, placed before the content decoder: for signed agent requests it keeps a copy
 * of the body bytes as they came over the wire, because the signature covers those bytes (an
 * agent signs the gzip it sends, not the JSON inside). Other requests pass untouched.
 */
export function createRawBodyTap(limitBytes: number) {
  return function tapRawBody(req: FastifyRequest, _reply: unknown, payload: Readable, done: (err: Error | null, stream?: Readable) => void): void {
    if (req.headers[SIG_HEADERS.agent] === undefined) return done(null, payload);
    let chunks: Buffer[] | undefined = [];
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        // Past the limit the copy is dropped (Fastify answers 413 on its own); the data flows on.
        if (chunks && size <= limitBytes) chunks.push(chunk);
        else chunks = undefined;
        cb(null, chunk);
      },
      flush(cb) {
        if (chunks) req.rawBody = Buffer.concat(chunks, size);
        cb();
      },
    });
    // Fastify compares this with Content-Length.
    Object.defineProperty(tap, 'receivedEncodedLength', { get: () => size, enumerable: true });
    payload.on('error', (e) => tap.destroy(e));
    payload.pipe(tap);
    done(null, tap);
  };
}
