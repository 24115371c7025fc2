// A local stand-in for GitHub's v2 Actions cache service on 127.0.0.1: what a github.com
// runner gives a step as ACTIONS_RESULTS_URL + ACTIONS_RUNTIME_TOKEN +
// ACTIONS_CACHE_SERVICE_V2=true. Two parts, as on GitHub:
// - the Twirp JSON API, POST /twirp/github.actions.results.api.v1.CacheService/{CreateCacheEntry,
//   FinalizeCacheEntryUpload,GetCacheEntryDownloadURL}, bearer runtime token required;
// - a blob store speaking the slice of Azure Blob Storage its clients use through the signed
//   URLs the API hands out: Put Blob, Put Block + Put Block List, Get Blob (with ranges).
// Shapes learned from the two real clients: @actions/cache (cacheTwirpClient, uploadUtils via
// @azure/storage-blob's BlockBlobClient, downloadUtils) and BuildKit's gha cache
// (tonistiigi/go-actions-cache cache_v2.go via azblob's blockblob client).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';
const READ = 1;
const WRITE = 2;
const KEY_LIMIT = 512;
const base64url = (value) => Buffer.from(value).toString('base64url');

/**
 * A runtime token shaped like the runner's: a JWT whose `ac` claim lists the cache scopes as
 * JSON. BuildKit reads `ac`, `exp` and `nbf` without verifying (go-actions-cache's New), picks
 * the writable scope for its index key and reads every scope listed; the service verifies it.
 */
export function mintRuntimeToken(secret, scopes, { lifetimeSeconds = 6 * 3600, now = Date.now() } = {}) {
  const seconds = Math.floor(now / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      ac: JSON.stringify(scopes.map(({ scope, permission }) => ({ Scope: scope, Permission: permission }))),
      iss: 'build-push cache stand-in',
      nbf: seconds - 60,
      iat: seconds - 60,
      exp: seconds + lifetimeSeconds,
    }),
  );
  const signature = createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${signature}`;
}

/** The scopes of a token this service signed and that is in date, or undefined. */
function verifyRuntimeToken(secret, token, now = Date.now()) {
  const [header, claims, signature, extra] = String(token).split('.');
  if (!header || !claims || !signature || extra !== undefined) return undefined;
  const expected = createHmac('sha256', secret).update(`${header}.${claims}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    const seconds = now / 1000;
    if (!(parsed.nbf <= seconds && seconds < parsed.exp)) return undefined;
    return JSON.parse(parsed.ac).map((entry) => ({ scope: entry.Scope, permission: entry.Permission }));
  } catch {
    return undefined;
  }
}

/** Newest first among finalized entries of one scope and version whose key starts with `prefix`. */
function newestWithPrefix(entries, scope, version, prefix) {
  return entries.filter((entry) => entry.finalized && entry.scope === scope && entry.version === version && entry.key.startsWith(prefix)).pop();
}

/**
 * The entry a lookup restores, searched as GitHub documents it: in each readable scope in the
 * token's order (the run's ref, then its base and the default branch), the key exactly, then
 * the key as a prefix, then each restore key as a prefix (newest entry of a prefix wins).
 */
export function findCacheEntry(entries, scopes, { key, restoreKeys, version }) {
  for (const scope of scopes) {
    const exact = entries.filter((entry) => entry.finalized && entry.scope === scope && entry.version === version && entry.key === key).pop();
    if (exact) return exact;
    for (const prefix of [key, ...restoreKeys]) {
      const hit = newestWithPrefix(entries, scope, version, prefix);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** A Block List body (Put Block List): the block IDs in order, whichever list each is named from. */
export function parseBlockList(xml) {
  if (!/<BlockList>[\s\S]*<\/BlockList>/.test(xml)) return undefined;
  return [...xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((match) => match[2].trim());
}

/** `bytes=start-` or `bytes=start-end` (Range or x-ms-range) against a blob of `size` bytes. */
export function parseByteRange(header, size) {
  if (!header) return undefined;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!match) return { invalid: true };
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return { invalid: true };
  return { start, end };
}

/**
 * Starts the service. `scopes` are the token's cache scopes, first the run's own ref (read
 * and write), then read-only ones (a pull request's base branch, the default branch).
 * `urlLifetimeMs`: how long a signed blob URL is good for (the real ones last minutes;
 * BuildKit asks for a fresh download URL when one is refused with 403).
 */
export async function startCacheServiceV2({
  scopes = [{ scope: 'refs/heads/main', permission: READ | WRITE }],
  urlLifetimeMs = 60 * 60 * 1000,
  account = 'productionresultssa0',
  container = 'actions-cache',
} = {}) {
  const secret = randomBytes(32);
  const token = mintRuntimeToken(secret, scopes);
  /** Cache entries in creation order: { id, key, version, scope, blob, finalized, sizeBytes, createdAt }. */
  const entries = [];
  /** Blob store: name → { committed?: Buffer, blocks: Map<id, Buffer> }. */
  const blobs = new Map();
  /** Every request: method, path, the Twirp method or blob operation, and the status answered. */
  const requests = [];
  /** Injected failures, consumed in order: { route, status, code?, msg?, headers?, times }. */
  const faults = [];
  let nextId = 1;
  let origin = '';

  const sign = (permissions, expiry, blobPath) => createHmac('sha256', secret).update(`${permissions}\n${expiry}\n${blobPath}`).digest('base64');
  /** An Azure-style service SAS URL for one blob: sp (permissions), se (expiry), sig. */
  const signedUrl = (blobName, permissions) => {
    const blobPath = `/${account}/${container}/${blobName}`;
    const expiry = new Date(Date.now() + urlLifetimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const query = new URLSearchParams({ sv: '2025-01-05', sr: 'b', sp: permissions, se: expiry, sig: sign(permissions, expiry, blobPath) });
    return `${origin}${blobPath}?${query}`;
  };

  const takeFault = (route) => {
    const index = faults.findIndex((fault) => fault.route === route);
    if (index < 0) return undefined;
    const fault = faults[index];
    if (--fault.times <= 0) faults.splice(index, 1);
    return fault;
  };

  const server = createServer(async (request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const record = { method: request.method, path: url.pathname, route: '', status: 0 };
    requests.push(record);
    const send = (status, headers, payload) => {
      record.status = status;
      response.writeHead(status, { 'x-ms-request-id': randomUUID(), ...headers });
      response.end(payload);
    };
    // Twirp: JSON in, JSON out (snake_case field names, int64 as strings, as protojson writes
    // them: go-actions-cache reads entry_id into a Go string); errors as {code, msg}.
    const twirp = (value) => send(200, { 'Content-Type': 'application/json' }, JSON.stringify(value));
    const twirpError = (status, code, msg, headers = {}) => send(status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify({ code, msg }));
    // Azure Blob Storage errors: XML body, code in x-ms-error-code.
    const blobError = (status, code, message) =>
      send(status, { 'Content-Type': 'application/xml', 'x-ms-error-code': code }, `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    const inject = (route) => {
      const fault = takeFault(route);
      if (!fault) return false;
      if (route.startsWith('blob-')) blobError(fault.status, fault.code ?? 'ServerBusy', fault.msg ?? 'injected failure');
      else twirpError(fault.status, fault.code ?? 'internal', fault.msg ?? 'injected failure', fault.headers);
      return true;
    };

    if (url.pathname.startsWith(TWIRP_PREFIX)) {
      const method = url.pathname.slice(TWIRP_PREFIX.length);
      record.route = method;
      if (request.method !== 'POST') return twirpError(404, 'bad_route', `unsupported method ${request.method} (only POST is allowed)`);
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
        return twirpError(404, 'bad_route', `unexpected Content-Type: ${request.headers['content-type'] ?? '(none)'} (this stand-in speaks JSON only)`);
      }
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const tokenScopes = bearer === undefined ? undefined : verifyRuntimeToken(secret, bearer);
      if (!tokenScopes) return twirpError(401, 'unauthenticated', 'invalid or expired runtime token');
      if (inject(method)) return;
      let input;
      try {
        input = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        return twirpError(400, 'malformed', 'the request body is not JSON');
      }
      // protojson accepts either spelling of a field; both real clients send snake_case.
      const field = (snake, camel) => input[snake] ?? input[camel];
      const key = String(field('key', 'key') ?? '');
      const version = String(field('version', 'version') ?? '');
      if (!key || key.length > KEY_LIMIT) return twirpError(400, 'invalid_argument', `key must be 1 to ${KEY_LIMIT} characters`);
      if (!version) return twirpError(400, 'invalid_argument', 'version is required');
      const writeScope = tokenScopes.find((scope) => scope.permission & WRITE)?.scope;
      const readScopes = tokenScopes.filter((scope) => scope.permission & READ).map((scope) => scope.scope);

      switch (method) {
        case 'CreateCacheEntry': {
          if (!writeScope) return twirp({ ok: false, signed_upload_url: '', message: 'cache write denied: the runtime token has no writable cache scope' });
          // One entry per key, version and scope, uploaded or not: BuildKit's index update
          // (SaveMutable) takes the next number when it meets this error.
          if (entries.some((entry) => entry.key === key && entry.version === version && entry.scope === writeScope)) {
            return twirpError(409, 'already_exists', 'cache entry with the same key, version, and scope already exists');
          }
          const entry = { id: nextId++, key, version, scope: writeScope, blob: randomUUID(), finalized: false, sizeBytes: 0, createdAt: Date.now() };
          entries.push(entry);
          blobs.set(entry.blob, { blocks: new Map() });
          return twirp({ ok: true, signed_upload_url: signedUrl(entry.blob, 'cw'), message: '' });
        }
        case 'FinalizeCacheEntryUpload': {
          // @actions/cache sends size_bytes as a string (int64 in protojson), BuildKit as a number.
          const sizeBytes = Number(field('size_bytes', 'sizeBytes'));
          const entry = entries.find((candidate) => candidate.key === key && candidate.version === version && candidate.scope === writeScope && !candidate.finalized);
          if (!entry) return twirpError(404, 'not_found', 'no cache entry is waiting for an upload with this key and version');
          const data = blobs.get(entry.blob)?.committed;
          if (!data) return twirpError(400, 'failed_precondition', 'nothing was uploaded for this cache entry');
          if (!Number.isSafeInteger(sizeBytes) || sizeBytes !== data.length)
            return twirpError(400, 'invalid_argument', `size_bytes ${field('size_bytes', 'sizeBytes')} is not the uploaded size ${data.length}`);
          entry.finalized = true;
          entry.sizeBytes = sizeBytes;
          return twirp({ ok: true, entry_id: String(entry.id), message: '' });
        }
        case 'GetCacheEntryDownloadURL': {
          if (readScopes.length === 0) return twirpError(403, 'permission_denied', 'cache read denied: the runtime token has no readable cache scope');
          const restoreKeys = (field('restore_keys', 'restoreKeys') ?? []).map(String);
          const hit = findCacheEntry(entries, readScopes, { key, restoreKeys, version });
          if (!hit) return twirp({ ok: false, signed_download_url: '', matched_key: '' });
          return twirp({ ok: true, signed_download_url: signedUrl(hit.blob, 'r'), matched_key: hit.key });
        }
        default:
          return twirpError(404, 'bad_route', `no method ${method} on CacheService`);
      }
    }

    // The blob store: /<account>/<container>/<blob>?<SAS>.
    const parts = url.pathname.split('/');
    if (parts.length !== 4 || parts[1] !== account || parts[2] !== container) return blobError(404, 'ResourceNotFound', 'The specified resource does not exist.');
    const blobName = parts[3];
    const permissions = url.searchParams.get('sp') ?? '';
    const expiry = url.searchParams.get('se') ?? '';
    const given = Buffer.from(url.searchParams.get('sig') ?? '', 'base64');
    const expected = Buffer.from(sign(permissions, expiry, url.pathname), 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return blobError(403, 'AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.');
    }
    if (!(Date.parse(expiry) > Date.now())) return blobError(403, 'AuthenticationFailed', 'Signed expiry time has passed.');
    const blob = blobs.get(blobName);
    if (!blob) return blobError(404, 'BlobNotFound', 'The specified blob does not exist.');
    const entry = entries.find((candidate) => candidate.blob === blobName);
    const stored = { ETag: `"0x${(blob.etag ?? 0).toString(16).toUpperCase()}"`, 'Last-Modified': new Date(blob.modified ?? Date.now()).toUTCString(), 'x-ms-version': '2025-01-05' };
    const comp = url.searchParams.get('comp');

    if (request.method === 'PUT') {
      record.route = comp === 'block' ? 'blob-put-block' : comp === 'blocklist' ? 'blob-put-block-list' : 'blob-put';
      if (!permissions.includes('w')) return blobError(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.');
      if (entry?.finalized) return blobError(409, 'BlobImmutableDueToPolicy', 'This cache entry is finalized; its blob cannot change.');
      if (inject(record.route)) return;
      const declared = Number(request.headers['content-length']);
      if (declared !== body.length) return blobError(400, 'InvalidHeaderValue', `Content-Length ${request.headers['content-length']} is not the body's ${body.length} bytes`);
      const touched = () => {
        blob.etag = (blob.etag ?? 0) + 1;
        blob.modified = Date.now();
        return { ...stored, ETag: `"0x${blob.etag.toString(16).toUpperCase()}"`, 'Last-Modified': new Date(blob.modified).toUTCString() };
      };
      if (comp === 'block') {
        const blockId = url.searchParams.get('blockid') ?? '';
        // Azure: a base64 ID of at most 64 bytes, all IDs of one blob the same length.
        const decoded = Buffer.from(blockId, 'base64');
        const lengths = new Set([...blob.blocks.keys()].map((id) => id.length));
        if (!blockId || decoded.length === 0 || decoded.length > 64 || decoded.toString('base64') !== blockId || (lengths.size > 0 && !lengths.has(blockId.length))) {
          return blobError(400, 'InvalidBlockId', 'The specified block ID is invalid.');
        }
        blob.blocks.set(blockId, body);
        return send(201, { 'x-ms-version': stored['x-ms-version'], 'x-ms-request-server-encrypted': 'true' }, '');
      }
      if (comp === 'blocklist') {
        const ids = parseBlockList(body.toString('utf8'));
        if (!ids) return blobError(400, 'InvalidXmlDocument', 'The XML is not a block list.');
        const missing = ids.filter((id) => !blob.blocks.has(id));
        if (missing.length > 0) return blobError(400, 'InvalidBlockList', `The specified block list is invalid: no uncommitted block ${missing[0]}.`);
        blob.committed = Buffer.concat(ids.map((id) => blob.blocks.get(id)));
        blob.blocks = new Map();
        return send(201, { ...touched(), 'x-ms-request-server-encrypted': 'true' }, '');
      }
      if (comp) return blobError(400, 'UnsupportedQueryParameter', `comp=${comp} is not supported here`);
      if (request.headers['x-ms-blob-type'] !== 'BlockBlob') return blobError(400, 'InvalidHeaderValue', 'x-ms-blob-type must be BlockBlob');
      blob.committed = body;
      blob.blocks = new Map();
      return send(201, { ...touched(), 'x-ms-request-server-encrypted': 'true' }, '');
    }

    if (request.method === 'GET' || request.method === 'HEAD') {
      record.route = 'blob-get';
      if (!permissions.includes('r')) return blobError(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.');
      // Only what was finalized is handed out for download; an upload in progress is not readable.
      if (!entry?.finalized || !blob.committed) return blobError(404, 'BlobNotFound', 'The specified blob does not exist.');
      if (inject(record.route)) return;
      const data = blob.committed;
      const range = parseByteRange(request.headers['x-ms-range'] ?? request.headers.range, data.length);
      const headers = { ...stored, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', 'x-ms-blob-type': 'BlockBlob' };
      if (range?.invalid) return send(416, { ...headers, 'Content-Range': `bytes */${data.length}`, 'x-ms-error-code': 'InvalidRange' }, '');
      const slice = range ? data.subarray(range.start, range.end + 1) : data;
      const status = range ? 206 : 200;
      record.status = status;
      response.writeHead(status, {
        ...headers,
        'x-ms-request-id': randomUUID(),
        'Content-Length': slice.length,
        ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${data.length}` } : {}),
      });
      return response.end(request.method === 'HEAD' ? undefined : slice);
    }
    return blobError(405, 'UnsupportedHttpVerb', `${request.method} is not supported here`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    url: `${origin}/`,
    token,
    /** What the runner gives a step on github.com (the v2 service; no ACTIONS_CACHE_URL). */
    env: { ACTIONS_RESULTS_URL: `${origin}/`, ACTIONS_RUNTIME_TOKEN: token, ACTIONS_CACHE_SERVICE_V2: 'true' },
    entries,
    requests,
    /** The data a finalized entry holds. */
    dataOf: (entry) => blobs.get(entry.blob)?.committed,
    /** Another token for the same service, e.g. a pull request's: its ref writable, the base branch read-only. */
    mintToken: (tokenScopes, options) => mintRuntimeToken(secret, tokenScopes, options),
    /**
     * Answers the next `times` requests of `route` (Infinity: all) with an error: a Twirp
     * method name (status, code, msg, headers: e.g. 429 resource_exhausted with Retry-After;
     * a full quota is a msg holding 'insufficient usage', which @actions/cache looks for), or
     * blob-put, blob-put-block, blob-put-block-list, blob-get (status, Azure code).
     * BuildKit retries a 429 with backoff until its exporter's timeout (10 minutes by
     * default); any other error fails its cache export at once.
     */
    fail: (route, { status, code, msg, headers, times = 1 }) => void faults.push({ route, status, code, msg, headers, times }),
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

// `node test/e2e/cache-service-v2.mjs`: serve until stopped, printing the step's variables as JSON
// (for trying a build by hand: export them, then docker buildx build --cache-to type=gha ...).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const service = await startCacheServiceV2();
  console.log(JSON.stringify(service.env));
  const stop = async () => {
    await service.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
