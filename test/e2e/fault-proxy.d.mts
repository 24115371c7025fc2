// Types of fault-proxy.mjs, the fault-injecting reverse proxy in front of the registry (the
// .mjs stays plain JavaScript; its header comment explains the rules).

/**
 * One rule of a mode. Within a rule the checks run in the order down, 401, reset, 503, 429,
 * delay; across rules every matching rule counts the request and the first fault wins.
 */
export interface FaultRule {
  /** The first N matching requests get 503 UNAVAILABLE. */
  fail503?: number;
  /** The first N matching requests get their TCP connection reset. */
  reset?: number;
  /** Every matching request waits this long before it is forwarded. */
  delayMs?: number;
  /** Every matching request gets 401 with WWW-Authenticate: Basic realm="x". */
  status401?: boolean;
  /** The first N matching requests get 429, with Retry-After: retryAfter when given. */
  status429?: number;
  retryAfter?: number;
  /** ... and so does every matching request inside the Retry-After window. */
  strict?: boolean;
  /** After N matching requests the proxy goes down (listener closed, connections destroyed). */
  downAfter?: number;
  /** Only requests whose `${method} ${path}` matches are affected and counted. */
  match?: RegExp | string;
  /** ... and whose User-Agent matches. */
  agent?: RegExp | string;
}

/** A mode: one rule or several, each with its own counters. */
export type FaultMode = FaultRule | FaultRule[];

/** A rule as the proxy keeps it, with its counters. */
export interface CompiledFaultRule extends FaultRule {
  matchRegExp: RegExp | undefined;
  agentRegExp: RegExp | undefined;
  /** Matching requests so far. */
  seen: number;
  /** performance time (ms since start) until which a strict 429 rule refuses. */
  windowUntil: number;
  fired429?: number;
}

/** A request the proxy saw. */
export interface FaultProxyRequest {
  /** Epoch milliseconds of arrival. */
  time: number;
  /** Milliseconds since the proxy started. */
  ms: number;
  method: string;
  path: string;
  /** The answer's status; 'reset' when the proxy cut the connection, 'aborted' when the client hung up first; undefined while pending. */
  status: number | 'reset' | 'aborted' | undefined;
  fault: '503' | '429' | '401' | 'reset' | 'down' | 'delay' | undefined;
  /** A strict 429 inside the Retry-After window. */
  early?: boolean;
  /** The Authorization scheme only (credentials are never recorded). */
  authorization: string | undefined;
  userAgent: string | undefined;
  contentLength: number | undefined;
  finishedMs?: number;
  /** The error code (or message) of a failed upstream request. */
  upstreamError?: string;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** '127.0.0.1:<port>': the registry host to use in tags and logins. */
  readonly address: string;
  readonly port: number;
  readonly url: string;
  /** The upstream's origin. */
  upstream: string;
  /** Every request seen so far, in arrival order. */
  requests: FaultProxyRequest[];
  /** The current rules with their counters. */
  readonly rules: CompiledFaultRule[];
  readonly isDown: boolean;
  /** Connections that sent something other than HTTP. */
  readonly clientErrors: number;
  /** Replaces the rules (every counter restarts); {} passes everything. */
  setMode(mode?: FaultMode): void;
  /** Forgets the recorded requests (the rules and their counters stay). */
  clearRequests(): void;
  /** Recorded requests whose `${method} ${path}` matches. */
  requestsMatching(pattern: RegExp | string): FaultProxyRequest[];
  /** Ends every pending delay now. */
  flushDelays(): void;
  /** Takes the proxy down now (as downAfter does). */
  down(): void;
  /** Brings a downed proxy back on the same port, with no faults. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the proxy (upstream default http://127.0.0.1:5000, listening on 127.0.0.1, port 0 = any). */
export function startFaultProxy(options?: { upstream?: string; host?: string; port?: number; mode?: FaultMode }): Promise<FaultProxy>;
