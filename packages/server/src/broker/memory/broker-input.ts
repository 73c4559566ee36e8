import { AppError } from '../../shared/app-error.js';
import type { ConsumerConfig, StreamConfig } from '../port.js';
import { compilePattern, type SubjectMatcher } from './subject-pattern.js';

/**
 * Validation of everything a caller hands the broker. Limits are chosen so a config the memory
 * broker accepts is also valid for NATS JetStream (names without '.', '*', '>', whitespace).
 */
const NAME = /^[A-Za-z0-9_-]{1,128}$/;
const HEADER_NAME = /^[!-9;-~]{1,128}$/; // printable ASCII without ':' (RFC 7230 field name)
const MAX_HEADERS = 64;
const MAX_HEADER_VALUE = 4096;
const MAX_MSG_ID = 256;
const MAX_SUBJECTS_PER_STREAM = 64;
const DAY_MS = 86_400_000;

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 5;
export const DEFAULT_MAX_IN_FLIGHT = 1000;
export const DEFAULT_PUBLISH_TIMEOUT_MS = 5000;

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_HEADERS = Object.freeze({ headers: EMPTY_HEADERS, bytes: 0 });

export function invalid(message: string): AppError {
  return new AppError('broker.invalid', message, { status: 400 });
}

export function assertName(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !NAME.test(value)) throw invalid(`${what} must match ${NAME.source}, got ${JSON.stringify(String(value).slice(0, 80))}`);
}

export function intIn(what: string, value: unknown, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw invalid(`${what} must be an integer in [${min}, ${max}], got ${String(value)}`);
  return value;
}

export interface CheckedStream {
  name: string;
  subjects: SubjectMatcher[];
  maxMessages: number;
  maxBytes: number;
}

export function checkStreamConfig(config: StreamConfig): CheckedStream {
  if (typeof config !== 'object' || config === null) throw invalid('stream config must be an object');
  assertName('stream name', config.name);
  if (!Array.isArray(config.subjects) || config.subjects.length === 0 || config.subjects.length > MAX_SUBJECTS_PER_STREAM) {
    throw invalid(`stream ${config.name}: subjects must be a list of 1..${MAX_SUBJECTS_PER_STREAM} patterns`);
  }
  const unique = [...new Set(config.subjects)];
  return {
    name: config.name,
    subjects: unique.map((s) => compilePattern(s, `stream ${config.name} subject`)),
    maxMessages: intIn(`stream ${config.name} maxMessages`, config.maxMessages, 1, 1e9),
    maxBytes: intIn(`stream ${config.name} maxBytes`, config.maxBytes, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  };
}

export interface CheckedConsumer {
  stream: string;
  durable: string;
  filterSubject: string | undefined;
  ackWaitMs: number;
  maxDeliver: number;
  maxInFlight: number;
}

export function checkConsumerConfig(config: ConsumerConfig): CheckedConsumer {
  if (typeof config !== 'object' || config === null) throw invalid('consumer config must be an object');
  assertName('stream name', config.stream);
  assertName('durable name', config.durable);
  const what = `consumer ${config.stream}/${config.durable}`;
  if (config.filterSubject !== undefined && typeof config.filterSubject !== 'string') throw invalid(`${what}: filterSubject must be a string`);
  return {
    stream: config.stream,
    durable: config.durable,
    filterSubject: config.filterSubject,
    ackWaitMs: intIn(`${what} ackWaitMs`, config.ackWaitMs, 1, DAY_MS, DEFAULT_ACK_WAIT_MS),
    maxDeliver: intIn(`${what} maxDeliver`, config.maxDeliver, 1, 10_000, DEFAULT_MAX_DELIVER),
    maxInFlight: intIn(`${what} maxInFlight`, config.maxInFlight, 1, 1_000_000, DEFAULT_MAX_IN_FLIGHT),
  };
}

/** Copies and validates headers (no CR/LF: NATS headers are a text block); returns their size. */
export function checkHeaders(headers: unknown): { readonly headers: Readonly<Record<string, string>>; readonly bytes: number } {
  if (headers === undefined) return NO_HEADERS;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw invalid('headers must be an object of strings');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let n = 0;
  let bytes = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (++n > MAX_HEADERS) throw invalid(`at most ${MAX_HEADERS} headers`);
    if (!HEADER_NAME.test(k)) throw invalid(`header name ${JSON.stringify(k.slice(0, 80))} must be printable ASCII without ':' or spaces`);
    if (typeof v !== 'string' || v.length > MAX_HEADER_VALUE || /[\r\n]/.test(v)) throw invalid(`header ${k} must be a string of at most ${MAX_HEADER_VALUE} characters without CR/LF`);
    out[k] = v;
    bytes += k.length + v.length + 4;
  }
  return n === 0 ? NO_HEADERS : { headers: Object.freeze(out), bytes };
}

export function checkMsgId(msgId: unknown): string | undefined {
  if (msgId === undefined) return undefined;
  if (typeof msgId !== 'string' || msgId.length === 0 || msgId.length > MAX_MSG_ID || /[\r\n]/.test(msgId)) throw invalid(`msgId must be a string of 1..${MAX_MSG_ID} characters without CR/LF`);
  return msgId;
}

export function checkTimeout(value: unknown, fallback: number): number {
  return intIn('publishTimeoutMs', value, 0, DAY_MS, fallback);
}
