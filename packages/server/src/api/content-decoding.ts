import { PassThrough, type Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../shared/app-error.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(req: FastifyRequest): boolean {
  if (!BODY_METHODS.has(req.method)) return false;
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(len) && len > 0;
}

/**
 * preParsing hook: inflates `Content-Encoding: gzip` / `deflate` request bodies with a hard cap on
 * the *decompressed* size, so a few KiB of zip bomb cannot become gigabytes in memory. The cap
 * is enforced here, per 16 KiB inflate chunk, before Fastify buffers anything; Fastify's own
 * bodyLimit check then sees the decoded length too.
 *
 * The raw request is never destroyed on failure (that would reset the connection before the
 * 413/400 can be written); it is unpiped and Node drains the rest of the upload.
 */
export function createContentDecoder(limitBytes: number) {
  return async function decodeBody(req: FastifyRequest, _reply: unknown, payload: Readable): Promise<Readable> {
    const header = req.headers['content-encoding'];
    if (header === undefined || !hasBody(req)) return payload;
    const enc = header.trim().toLowerCase();
    if (enc === '' || enc === 'identity') return payload;
    if (enc !== 'gzip' && enc !== 'x-gzip' && enc !== 'deflate') {
      throw new AppError('request.unsupported_encoding', `unsupported Content-Encoding ${JSON.stringify(header.slice(0, 40))}; use gzip, deflate or none`, { status: 415 });
    }
    return Promise.resolve(inflateBounded(payload, enc === 'deflate' ? 'deflate' : 'gzip', limitBytes));
  };
}

function inflateBounded(payload: Readable, kind: 'gzip' | 'deflate', limitBytes: number): Readable {
  const inflate = kind === 'gzip' ? createGunzip() : createInflate();
  const out = new PassThrough();
  let encoded = 0;
  let decoded = 0;
  let failed = false;
  // Fastify compares this with Content-Length (which counts compressed bytes) and with bodyLimit.
  Object.defineProperty(out, 'receivedEncodedLength', { get: () => encoded, enumerable: true });

  const countEncoded = (chunk: Buffer): void => {
    encoded += chunk.length;
  };
  const fail = (err: AppError): void => {
    if (failed) return;
    failed = true;
    payload.unpipe(inflate);
    payload.off('data', countEncoded);
    inflate.destroy();
    out.destroy(err);
  };

  payload.on('data', countEncoded);
  payload.on('error', (e) => fail(new AppError('request.aborted', 'request body could not be read', { status: 400, cause: e })));
  inflate.on('data', (chunk: Buffer) => {
    decoded += chunk.length;
    if (decoded > limitBytes) {
      fail(new AppError('request.too_large', `request body exceeds ${limitBytes} bytes after decompression`, { status: 413 }));
      return;
    }
    if (!out.write(chunk)) inflate.pause();
  });
  out.on('drain', () => inflate.resume());
  inflate.on('end', () => {
    if (!failed) out.end();
  });
  inflate.on('error', (e) => fail(new AppError('request.bad_encoding', `request body is not valid ${kind} data`, { status: 400, cause: e })));
  payload.pipe(inflate);
  return out;
}
