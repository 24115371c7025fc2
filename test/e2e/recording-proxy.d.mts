// Types of recording-proxy.mjs, the forward proxy of the proxied end-to-end runs (the .mjs
// stays plain JavaScript).

/** A request the proxy took: a CONNECT tunnel or an absolute-form plain HTTP request. */
export interface ProxiedRequest {
  kind: 'connect' | 'http';
  /** host:port asked for. */
  target: string;
  /** Plain HTTP only. */
  method?: string;
  path?: string;
  /** The local port of the proxy's upstream connection (the stand-ins record it as the peer). */
  upstreamPort?: number;
  /** Why the proxy refused it (e.g. a name that does not resolve to 127.0.0.1). */
  refused?: string;
}

/** A running recording proxy on 127.0.0.1. */
export interface RecordingProxy {
  /** http://127.0.0.1:<port>: the HTTPS_PROXY / HTTP_PROXY value. */
  url: string;
  /** Every request, in arrival order. */
  requests: ProxiedRequest[];
  /** The local ports of every upstream connection the proxy made. */
  upstreamPorts(): Set<number>;
  /** Forgets the recorded requests; returns them. */
  clear(): ProxiedRequest[];
  close(): Promise<void>;
}

/** Starts a forward proxy that reaches only names resolving to 127.0.0.1 and records each request. */
export function startRecordingProxy(): Promise<RecordingProxy>;
