import { createHash } from 'node:crypto';
import { DOCKER_HUB } from '../tags/reference.js';

/**
 * A minimal client for the registry HTTP API (distribution spec), used to read
 * manifests back after a push without starting buildx (~60 ms a start).
 */

export interface BasicCredential {
  readonly username: string;
  readonly password: string;
}

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

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

export class RegistryClient {
  constructor(
    private readonly registry: string,
    private readonly credential: BasicCredential | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private authorization: string | undefined;

  private async request(path: string, headers: Record<string, string>, scope: string): Promise<Response> {
    const host = apiHost(this.registry);
    const send = async (base: string): Promise<Response> => {
      const withAuth = this.authorization ? { ...headers, Authorization: this.authorization } : headers;
      let response = await this.fetchImpl(`${base}${path}`, { headers: withAuth, redirect: 'follow' });
      if (response.status === 401 && !this.authorization) {
        this.authorization = await this.authorize(response.headers.get('www-authenticate') ?? '', scope);
        if (this.authorization) {
          await response.body?.cancel();
          response = await this.fetchImpl(`${base}${path}`, { headers: { ...headers, Authorization: this.authorization }, redirect: 'follow' });
        }
      }
      return response;
    };
    // Docker allows plain HTTP for loopback registries only; try that first there, TLS everywhere else.
    if (!isLoopback(this.registry)) return send(`https://${host}`);
    try {
      return await send(`http://${host}`);
    } catch {
      return send(`https://${host}`);
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
    if (!response.ok) throw new Error(`the token service ${url.origin} answered ${response.status}`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  /** GET a manifest by tag or digest; its digest is checked against the bytes received. */
  async manifest(repository: string, reference: string): Promise<FetchedManifest> {
    const response = await this.request(`/v2/${repository}/manifests/${reference}`, { Accept: MANIFEST_TYPES.join(', ') }, `repository:${repository}:pull`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok) throw new Error(`${this.registry}/${repository}:${reference}: the registry answered ${response.status}`);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const body = bytes.toString('utf8');
    const header = response.headers.get('docker-content-digest');
    if (header && header !== digest) throw new Error(`${this.registry}/${repository}:${reference}: the registry says ${header} but sent bytes with digest ${digest}`);
    return { digest, mediaType: response.headers.get('content-type') ?? '', body };
  }
}
