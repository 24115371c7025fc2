import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, sha256Digest } from '../oci/model.js';
import { ActionError } from '../errors.js';
import { proxiedFetch } from '../proxy.js';
import { DOCKER_HUB } from '../tags/reference.js';

/**
 * A minimal client for the registry HTTP API (distribution spec): reads manifests
 * back after a push without starting buildx (~60 ms a start), and pushes blobs and
 * manifests by digest (for OCI layouts buildx exported, see oci/push-layout.ts).
 */

export interface BasicCredential {
  readonly username: string;
  readonly password: string;
}

export const MANIFEST_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly body: string;
}

/** Where the registry's API lives: Docker Hub's is not at docker.io. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** Docker lets loopback registries speak plain HTTP; so do we (and nothing else). */
export function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Where to reach the registry's API, in order: plain HTTP first for loopback registries (as Docker allows), TLS only everywhere else. */
export function apiBases(registry: string): string[] {
  const host = apiHost(registry);
  return isLoopback(registry) ? [`http://${host}`, `https://${host}`] : [`https://${host}`];
}

/** Parses a `WWW-Authenticate` header: scheme plus key="value" parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const match of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    if (match[1] && match[2] !== undefined) params[match[1].toLowerCase()] = match[2];
  }
  return { scheme, params };
}

function basic(credential: BasicCredential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}

/** The token scope for reading, or reading and writing, one repository. */
export function repositoryScope(repository: string, access: 'pull' | 'push'): string {
  return `repository:${repository}:${access === 'push' ? 'pull,push' : 'pull'}`;
}

/** One entry of the registry's `{"errors": [...]}` answer. */
export interface RegistryErrorDetail {
  readonly code: string;
  readonly message: string;
}

/** Reads `{"errors":[{"code","message"}]}` from an error answer's body; anything else gives []. */
export function parseRegistryErrors(body: string): RegistryErrorDetail[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors
      .filter((entry): entry is { code?: unknown; message?: unknown } => typeof entry === 'object' && entry !== null)
      .map((entry) => ({ code: typeof entry.code === 'string' ? entry.code : '', message: typeof entry.message === 'string' ? entry.message : '' }))
      .filter((entry) => entry.code || entry.message);
  } catch {
    return [];
  }
}

/**
 * A registry refused or failed a request. The message carries the HTTP status, the
 * registry's error codes and any Retry-After, which is what retry.ts's classifyFailure
 * and retryAfterMs read: 5xx/429 are transient, other 4xx permanent.
 */
export class RegistryError extends ActionError {
  override name = 'RegistryError';
  constructor(
    what: string,
    readonly status: number,
    readonly errors: readonly RegistryErrorDetail[] = [],
    retryAfter?: string,
  ) {
    const details = errors.map((entry) => [entry.code, entry.message].filter(Boolean).join(': ')).join('; ');
    super(`${what}: the registry answered ${status}${details ? ` (${details})` : ''}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''}`);
  }
}

/** Builds a RegistryError from an answer, reading (and so consuming) its body. */
async function registryError(what: string, response: Response): Promise<RegistryError> {
  const body = await response.text().catch(() => '');
  return new RegistryError(what, response.status, parseRegistryErrors(body), response.headers.get('retry-after') ?? undefined);
}

/** A fetch that threw (refused, reset, DNS...): keep "fetch failed" and add the cause's code for classifyFailure. */
function networkError(what: string, error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`${what}: ${String(error)}`);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return new Error(`${what}: ${error.message}${detail && !error.message.includes(detail) ? ` (${detail})` : ''}`, { cause: error });
}

/** What a blob upload sends; a factory returns a fresh one for every attempt (a 401 retry, the HTTP/TLS fallback). */
export type BlobBody = Uint8Array | AsyncIterable<Uint8Array>;
export type BlobBodyFactory = () => BlobBody | Promise<BlobBody>;

interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: BlobBodyFactory;
  readonly scope: string;
  /** Names the request in network error messages. */
  readonly what: string;
}

export class RegistryClient {
  constructor(
    private readonly registry: string,
    private readonly credential: BasicCredential | undefined,
    // Through HTTPS_PROXY/NO_PROXY like every request of the step (see proxy.ts).
    private readonly fetchImpl: typeof fetch = proxiedFetch,
  ) {}

  /** Set once the registry asked for Basic authentication: it then goes with every request. */
  private basicAuthorization: string | undefined;
  /** Bearer tokens by scope (a pull,push token serves pulls too). */
  private readonly tokens = new Map<string, string>();
  /** `scheme://host` that answered (a loopback registry may speak either). */
  private base: string | undefined;

  private authorizationFor(scope: string): string | undefined {
    if (this.basicAuthorization) return this.basicAuthorization;
    return this.tokens.get(scope) ?? (scope.endsWith(':pull') ? this.tokens.get(`${scope},push`) : undefined);
  }

  /**
   * Sends one request to `target`: a path on the registry, or an absolute URL such as an upload Location.
   * A 401 is answered once: Basic with the credential, or a Bearer token for `scope`
   * (also when a token was sent: it may have expired or lack the scope); the body
   * comes from its factory again for the second attempt.
   */
  private async request(target: string, options: RequestOptions): Promise<Response> {
    const send = async (url: string): Promise<Response> => {
      // Credentials go to the registry's own origin only, never to where an upload Location points elsewhere.
      const ours = this.sameOrigin(url);
      const attempt = async (authorization: string | undefined): Promise<Response> => {
        const headers = authorization ? { ...options.headers, Authorization: authorization } : { ...options.headers };
        const body = options.body ? await options.body() : undefined;
        return this.fetchImpl(url, {
          method: options.method ?? 'GET',
          headers,
          redirect: 'follow',
          ...(body !== undefined ? { body, duplex: 'half' as const } : {}),
        });
      };
      const sent = ours ? this.authorizationFor(options.scope) : undefined;
      let response = await attempt(sent);
      if (response.status === 401 && ours && (!sent || sent.startsWith('Bearer '))) {
        const challenge = response.headers.get('www-authenticate') ?? '';
        const authorization = await this.authorize(challenge, options.scope);
        if (authorization && authorization !== sent) {
          await response.body?.cancel();
          if (authorization.startsWith('Basic ')) this.basicAuthorization = authorization;
          else this.tokens.set(options.scope, authorization);
          response = await attempt(authorization);
        }
      }
      return response;
    };
    if (!target.startsWith('/')) {
      try {
        return await send(target);
      } catch (error) {
        throw networkError(options.what, error);
      }
    }
    if (this.base) {
      try {
        return await send(`${this.base}${target}`);
      } catch (error) {
        throw networkError(options.what, error);
      }
    }
    const bases = apiBases(this.registry);
    let failure: unknown;
    for (const base of bases) {
      try {
        const response = await send(`${base}${target}`);
        this.base = base;
        return response;
      } catch (error) {
        failure = error;
      }
    }
    throw networkError(options.what, failure);
  }

  private sameOrigin(url: string): boolean {
    try {
      const origin = new URL(url).origin;
      const host = apiHost(this.registry);
      return this.base ? origin === new URL(this.base).origin : origin === `https://${host}` || (isLoopback(this.registry) && origin === `http://${host}`);
    } catch {
      return false;
    }
  }

  /** Turns a 401 challenge into an Authorization header (Basic, or a Bearer token from the realm). */
  private async authorize(challengeHeader: string, scope: string): Promise<string | undefined> {
    const challenge = parseChallenge(challengeHeader);
    if (challenge.scheme === 'basic') return this.credential ? basic(this.credential) : undefined;
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const url = new URL(challenge.params.realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', scope);
    const response = await this.fetchImpl(url, { headers: this.credential ? { Authorization: basic(this.credential) } : {} });
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      const details = parseRegistryErrors(body)
        .map((entry) => [entry.code, entry.message].filter(Boolean).join(': '))
        .join('; ');
      throw new ActionError(`the token service ${url.origin} answered ${response.status} for scope ${scope}${details ? ` (${details})` : ''}`);
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  /**
   * Opens the connection and gets the authorization for pulling `repository` (GET /v2/):
   * done while a build runs, so reading the push back after it costs one round trip.
   */
  async prepare(repository: string): Promise<void> {
    const response = await this.request('/v2/', { scope: repositoryScope(repository, 'pull'), what: `${this.registry}/v2/` });
    await response.body?.cancel();
  }

  /** GET a manifest by tag or digest (for its body; see manifestDigest for the digest alone); its digest is checked against the bytes received. */
  async manifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `${this.registry}/${repository}:${reference}`;
    const response = await this.request(`/v2/${repository}/manifests/${reference}`, {
      headers: { Accept: MANIFEST_TYPES.join(', ') },
      scope: repositoryScope(repository, 'pull'),
      what,
    });
    if (!response.ok) throw await registryError(what, response);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(bytes);
    const body = bytes.toString('utf8');
    const header = response.headers.get('docker-content-digest');
    if (header && header !== digest) throw new Error(`${what}: the registry says ${header} but sent bytes with digest ${digest}`);
    return { digest, mediaType: response.headers.get('content-type') ?? '', body };
  }

  /**
   * The digest a tag or digest reference points to, by HEAD: the registry's
   * Docker-Content-Digest without the body. Docker Hub counts a manifest GET as a pull
   * (rate limited) and a HEAD not. A registry that sends no digest header is read by GET.
   */
  async manifestDigest(repository: string, reference: string): Promise<string> {
    const what = `${this.registry}/${repository}:${reference}`;
    const response = await this.request(`/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_TYPES.join(', ') },
      scope: repositoryScope(repository, 'pull'),
      what,
    });
    await response.body?.cancel();
    // A HEAD answer has no body, so no error code to add.
    if (!response.ok) throw new RegistryError(what, response.status, [], response.headers.get('retry-after') ?? undefined);
    const digest = response.headers.get('docker-content-digest');
    return digest && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : (await this.manifest(repository, reference)).digest;
  }

  /**
   * Whether the repository has a blob (HEAD). `access: 'push'` asks for a pull,push
   * token, so a push that starts with this check needs no second token.
   */
  async blobExists(repository: string, digest: string, access: 'pull' | 'push' = 'pull'): Promise<boolean> {
    const what = `${this.registry}/${repository}@${digest}`;
    const response = await this.request(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD', scope: repositoryScope(repository, access), what });
    await response.body?.cancel();
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    // A HEAD answer has no body, so no error code to add.
    throw new RegistryError(`checking for blob ${what}`, response.status, [], response.headers.get('retry-after') ?? undefined);
  }

  /**
   * Uploads one blob in a single request: POST /blobs/uploads/ (202 + Location), then
   * PUT <Location>&digest=<digest> with the whole body (201). `body` must produce exactly
   * `size` bytes whose sha256 is `digest`; it is called again for every attempt.
   */
  async uploadBlob(repository: string, digest: string, size: number, body: BlobBodyFactory): Promise<void> {
    const what = `uploading blob ${this.registry}/${repository}@${digest}`;
    const scope = repositoryScope(repository, 'push');
    const started = await this.request(`/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: { 'Content-Length': '0' }, scope, what });
    if (started.status !== 202) throw await registryError(`${what} (starting the upload)`, started);
    await started.body?.cancel();
    const location = started.headers.get('location');
    if (!location) throw new Error(`${what}: the registry started the upload (202) but sent no Location`);
    // Location may be relative to the registry (usual) or absolute; its query (upload state) is kept as sent.
    const base = started.url || `${this.base ?? `https://${apiHost(this.registry)}`}/`;
    const target = new URL(location, base).href;
    const put = `${target}${target.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const response = await this.request(put, {
      method: 'PUT',
      headers: { 'Content-Length': String(size), 'Content-Type': 'application/octet-stream' },
      body,
      scope,
      what,
    });
    if (response.status !== 201) throw await registryError(what, response);
    await response.body?.cancel();
    const stored = response.headers.get('docker-content-digest');
    if (stored && stored !== digest) throw new Error(`${what}: the registry stored it as ${stored}`);
  }

  /**
   * PUTs a manifest or index under a tag or its digest, with its own media type as
   * Content-Type. Returns its digest, which must be the sha256 of `bytes` (checked
   * against a digest reference and the registry's Docker-Content-Digest).
   */
  async putManifest(repository: string, reference: string, mediaType: string, bytes: Uint8Array): Promise<string> {
    return (await this.sendManifest(repository, reference, mediaType, bytes)).digest;
  }

  /**
   * PUTs a manifest that has a `subject` (by its digest). `indexedBySubject` is whether the
   * registry answered with OCI-Subject: then its referrers API lists it; otherwise the
   * pusher keeps the referrers tag (distribution-spec 1.1).
   */
  async putReferringManifest(repository: string, mediaType: string, bytes: Uint8Array, subject: string): Promise<{ digest: string; indexedBySubject: boolean }> {
    const { digest, response } = await this.sendManifest(repository, sha256Digest(bytes), mediaType, bytes);
    return { digest, indexedBySubject: response.headers.get('oci-subject') === subject };
  }

  private async sendManifest(repository: string, reference: string, mediaType: string, bytes: Uint8Array): Promise<{ digest: string; response: Response }> {
    const digest = sha256Digest(bytes);
    const what = `putting manifest ${this.registry}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    if (reference.includes(':') && reference !== digest) throw new Error(`${what}: the bytes have digest ${digest}`);
    const response = await this.request(`/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.byteLength) },
      body: () => bytes,
      scope: repositoryScope(repository, 'push'),
      what,
    });
    if (!response.ok) throw await registryError(what, response);
    await response.body?.cancel();
    const stored = response.headers.get('docker-content-digest');
    if (stored && stored !== digest) throw new Error(`${what}: the registry says ${stored}, but the bytes have digest ${digest}`);
    return { digest, response };
  }

  /**
   * The referrers API (GET /v2/<name>/referrers/<digest>): the index of manifests whose
   * subject is `digest`, or undefined when the registry has no such API (it answers 404,
   * which a registry with the API never does).
   */
  async referrers(repository: string, digest: string): Promise<string | undefined> {
    const what = `${this.registry}/${repository} referrers of ${digest}`;
    const response = await this.request(`/v2/${repository}/referrers/${digest}`, { headers: { Accept: OCI_INDEX }, scope: repositoryScope(repository, 'pull'), what });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await registryError(what, response);
    return response.text();
  }
}
