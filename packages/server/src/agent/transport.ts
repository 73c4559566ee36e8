/**
 * How agent components talk to the server. The implementation (signed-client.ts) signs every
 * request with the agent's Ed25519 key; tests pass a fake. It never throws for an HTTP status:
 * the caller decides what a 409 or a 503 means for it. It throws AppError `agent.unreachable`
 * (503) when no HTTP answer came back at all (refused, reset, timeout) — the caller retries.
 */
export interface AgentResponse<T = unknown> {
  status: number;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: T | undefined;
  /** Retry-After in seconds, when the server sent one. */
  retryAfterS?: number;
}

export interface AgentRequestOptions {
  /** JSON-encoded as the request body. */
  body?: unknown;
  /** Body bytes already encoded (e.g. a spooled gzip batch); sent as-is with `contentEncoding`. */
  rawBody?: Uint8Array;
  /** With rawBody: 'gzip' when the bytes are gzip-compressed JSON. */
  contentEncoding?: 'gzip';
  /** Compress a JSON `body` with gzip before sending. */
  gzip?: boolean;
  headers?: Record<string, string>;
  /** Default 15 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AgentTransport {
  request<T = unknown>(method: 'GET' | 'POST', path: string, opts?: AgentRequestOptions): Promise<AgentResponse<T>>;
}
