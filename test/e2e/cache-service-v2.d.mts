// Types of cache-service-v2.mjs, the local stand-in for GitHub's v2 Actions cache service
// (Twirp API plus an Azure-like blob store); the .mjs stays plain JavaScript.

/** A cache scope of a runtime token and what it allows: 1 read, 2 write, 3 both. */
export interface CacheScope {
  scope: string;
  permission: number;
}

/** A runtime token shaped like the runner's: a JWT (HS256 with `secret`) whose `ac` claim lists the scopes. */
export function mintRuntimeToken(secret: string | Buffer, scopes: CacheScope[], options?: { lifetimeSeconds?: number; now?: number }): string;

/** A cache entry, in creation order; `blob` names its data in the blob store. */
export interface CacheEntryV2 {
  id: number;
  key: string;
  version: string;
  scope: string;
  blob: string;
  finalized: boolean;
  sizeBytes: number;
  /** Epoch milliseconds. */
  createdAt: number;
}

/**
 * The entry a lookup restores, as GitHub documents it: in each scope in order, the key
 * exactly, then the key as a prefix, then each restore key as a prefix (newest first).
 */
export function findCacheEntry<E extends Pick<CacheEntryV2, 'key' | 'version' | 'scope' | 'finalized'>>(
  entries: E[],
  scopes: string[],
  lookup: { key: string; restoreKeys: string[]; version: string },
): E | undefined;

/** The block IDs of a Put Block List body, in order; undefined when it is not a block list. */
export function parseBlockList(xml: string): string[] | undefined;

/** A `bytes=start-[end]` header against a blob of `size` bytes: undefined without a header, { invalid: true } when unsatisfiable. */
export function parseByteRange(header: string | undefined, size: number): { start: number; end: number } | { invalid: true } | undefined;

/** A request the service received, with the route it took and the status it answered. */
export interface CacheServiceV2Request {
  method: string;
  path: string;
  /** The Twirp method (CreateCacheEntry, ...) or blob operation (blob-put, blob-put-block, blob-put-block-list, blob-get); '' when none. */
  route: string;
  status: number;
}

/** An injected failure (see CacheServiceV2.fail). */
export interface CacheFault {
  status: number;
  /** Twirp error code or Azure error code. */
  code?: string;
  msg?: string;
  /** Extra headers of a Twirp error (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** How many requests of the route get it (default 1; Infinity: all). */
  times?: number;
}

/** A running v2 cache service on 127.0.0.1. */
export interface CacheServiceV2 {
  /** The service's base URL (ACTIONS_RESULTS_URL). */
  url: string;
  /** The runtime token for the scopes it was started with. */
  token: string;
  /** What the runner gives a step on github.com (the v2 service; no ACTIONS_CACHE_URL). */
  env: { ACTIONS_RESULTS_URL: string; ACTIONS_RUNTIME_TOKEN: string; ACTIONS_CACHE_SERVICE_V2: 'true' };
  entries: CacheEntryV2[];
  /** Every request, in arrival order. */
  requests: CacheServiceV2Request[];
  /** The data a finalized entry holds (undefined before its upload is committed). */
  dataOf(entry: Pick<CacheEntryV2, 'blob'>): Buffer | undefined;
  /** Another token for the same service, e.g. a pull request's. */
  mintToken(scopes: CacheScope[], options?: { lifetimeSeconds?: number; now?: number }): string;
  /** Answers the next `times` requests of `route` (a Twirp method or a blob operation) with an error. */
  fail(route: string, fault: CacheFault): void;
  close(): Promise<void>;
}

/**
 * Starts the service. `scopes`: the token's cache scopes (default refs/heads/main, read and
 * write); `urlLifetimeMs`: how long a signed blob URL is good for (default an hour).
 */
export function startCacheServiceV2(options?: { scopes?: CacheScope[]; urlLifetimeMs?: number; account?: string; container?: string }): Promise<CacheServiceV2>;
