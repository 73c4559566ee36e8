import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { ErrorBody } from '@dio/protocol';
import { isAppError } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';

/** At most this many validation issues are returned; a batch of 5000 bad events must not echo 5000 issues. */
const MAX_ISSUES = 20;
const MAX_TEXT = 300;

export interface ValidationIssue {
  /** Where: body, querystring, params or headers. */
  location: string;
  /** Dotted path inside it, e.g. "events[3].source.ip"; empty for the whole location. */
  path: string;
  message: string;
  /** For unknown fields: their names. */
  keys?: string[];
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Seconds for a Retry-After header (429 and 503). */
  retryAfterS?: number;
  /** How loud to log: error (our fault, with stack), warn (overload), debug (the client's fault). */
  level: 'error' | 'warn' | 'debug';
}

/** Fastify's own error codes and the stable API codes they become. */
const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'request.unsupported_media_type', message: 'unsupported Content-Type; send application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'request.malformed_json', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'request.empty_body', message: 'request body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'request.bad_content_length', message: 'request body size does not match Content-Length' },
  FST_ERR_BAD_URL: { status: 400, code: 'request.bad_url', message: 'malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, code: 'request.bad_url', message: 'URL path parameter too long' },
};

const SERVER_TEXT: Record<number, string> = {
  502: 'upstream failure',
  503: 'temporarily unavailable; retry after the Retry-After delay',
  504: 'upstream timeout',
};

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

/** "/events/3/source/ip" → "events[3].source.ip" */
function formatPath(instancePath: string): string {
  let out = '';
  for (const seg of instancePath.split('/')) {
    if (seg === '') continue;
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

function validationIssues(err: FastifyError): ValidationIssue[] {
  const location = err.validationContext ?? 'request';
  return (err.validation ?? []).slice(0, MAX_ISSUES).map((v) => {
    const issue: ValidationIssue = { location, path: formatPath(v.instancePath), message: clip(v.message ?? 'invalid') };
    const keys = (v.params as { keys?: unknown }).keys;
    if (Array.isArray(keys)) issue.keys = keys.slice(0, MAX_ISSUES).map((k) => clip(String(k)));
    return issue;
  });
}

function body(code: string, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/**
 * Maps anything thrown inside a request to the API error shape. Pure, so it is tested without
 * Fastify. Unknown errors become a generic 500: their message may hold paths, SQL or secrets.
 */
export function mapError(err: unknown, opts: { bodyLimitBytes: number }): MappedError {
  if (isAppError(err)) {
    const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
    // 4xx messages explain the client's mistake. 5xx messages are about our insides (store paths,
    // driver errors): the stable code is shown, the message stays in the log.
    const mapped: MappedError =
      status < 500
        ? { status, body: body(err.code, err.message, err.details), level: 'debug' }
        : { status, body: body(err.code, SERVER_TEXT[status] ?? 'internal error'), level: status === 503 ? 'warn' : 'error' };
    if (status === 503 || status === 429) {
      const ra = (err.details as { retry_after_s?: unknown } | undefined)?.retry_after_s;
      mapped.retryAfterS = typeof ra === 'number' && Number.isFinite(ra) && ra > 0 ? Math.min(Math.ceil(ra), 3600) : 1;
    }
    return mapped;
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const all = err.validation.length;
    const issues = validationIssues(err);
    const first = issues[0]!;
    const where = first.path ? `${first.location}.${first.path}` : first.location;
    const more = all > 1 ? ` (and ${all - 1} more issue${all > 2 ? 's' : ''})` : '';
    const details: { issues: ValidationIssue[]; omitted?: number } = { issues };
    if (all > issues.length) details.omitted = all - issues.length;
    return { status: 400, body: body('request.invalid', `${where}: ${first.message}${more}`, details), level: 'debug' };
  }
  if (typeof err === 'object' && err !== null) {
    if (isResponseSerializationError(err)) return { status: 500, body: body('internal', 'internal error'), level: 'error' };
    const fe = err as Partial<FastifyError>;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { status: 413, body: body('request.too_large', `request body exceeds ${opts.bodyLimitBytes} bytes (limit applies after decompression)`), level: 'debug' };
    }
    const known = fe.code === undefined ? undefined : FASTIFY_CODES[fe.code];
    if (known) return { status: known.status, body: body(known.code, known.message), level: 'debug' };
    if (Array.isArray(fe.validation)) {
      return { status: 400, body: body('request.invalid', clip(fe.message ?? 'invalid request')), level: 'debug' };
    }
    // Fastify and its plugins mark client faults with statusCode 4xx; their messages are safe to show.
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && fe.code?.startsWith('FST_')) {
      return { status: fe.statusCode, body: body('request.rejected', clip(fe.message ?? 'request rejected')), level: 'debug' };
    }
  }
  return { status: 500, body: body('internal', 'internal error'), level: 'error' };
}

/** The one Fastify error handler (also used for router-level "framework errors"). */
export function createErrorHandler(logger: Logger, opts: { bodyLimitBytes: number }) {
  return function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
    const m = mapError(err, opts);
    if (m.level !== 'debug') logger[m.level]({ err, reqId: req.id, method: req.method, url: req.url }, 'request failed');
    else logger.debug({ code: m.body.error.code, reqId: req.id, method: req.method, url: req.url }, 'request rejected');
    if (m.retryAfterS !== undefined) void reply.header('retry-after', String(m.retryAfterS));
    if (m.status === 401) void reply.header('www-authenticate', 'Bearer realm="dio"');
    void reply.code(m.status).send(m.body);
  };
}

/** Unknown routes answer in the same error shape as everything else. */
export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  const path = clip(req.url.split('?')[0] ?? '');
  void reply.code(404).send(body('route.not_found', `no route ${req.method} ${path}`));
}
