// Types of cache-service.mjs, the local stand-in for the v1 Actions cache service (the REST
// protocol of GHES runners); the .mjs stays plain JavaScript.

/** A cache entry: reserved by POST caches, uploaded in parts (PATCH), committed (POST caches/:id). */
export interface CacheEntryV1 {
  id: number;
  key: string;
  version: string;
  /** The uploaded chunks by their Content-Range start. */
  parts: { start: number; data: Buffer }[];
  committed: boolean;
  /** The whole archive once committed (empty before). */
  data: Buffer;
}

/** A request the service received. */
export interface CacheServiceV1Request {
  method: string;
  path: string;
  /** The query string with its `?` ('' when none). */
  search: string;
}

/** A running v1 cache service on 127.0.0.1. */
export interface CacheServiceV1 {
  /** What the runner gives a step on GHES: ACTIONS_CACHE_URL and ACTIONS_RUNTIME_TOKEN. */
  env: { ACTIONS_CACHE_URL: string; ACTIONS_RUNTIME_TOKEN: string };
  /** Every entry, in creation order. */
  entries: CacheEntryV1[];
  /** Every request, in arrival order. */
  requests: CacheServiceV1Request[];
  close(): Promise<void>;
}

/** Starts the v1 cache service; `token` is the runtime token it requires (default 'cache-runtime-token'). */
export function startCacheService(options?: { token?: string }): Promise<CacheServiceV1>;
