import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiHost, isLoopback, MANIFEST_TYPES, parseChallenge, RegistryClient } from '../../src/registries/client.js';

describe('apiHost', () => {
  it.each([
    ['docker.io', 'registry-1.docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['localhost:5000', 'localhost:5000'],
    ['registry.example.com:8443', 'registry.example.com:8443'],
  ])('%s → %s', (registry, host) => {
    expect(apiHost(registry)).toBe(host);
  });
});

describe('isLoopback', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1', true],
    ['127.0.0.1:5000', true],
    ['127.10.20.30:80', true],
    ['[::1]:5000', true],
    ['[::1]', true],
    ['ghcr.io', false],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
    ['128.0.0.1:5000', false],
    ['10.0.0.1:5000', false],
  ])('%s → %s', (registry, loopback) => {
    expect(isLoopback(registry)).toBe(loopback);
  });
});

describe('parseChallenge', () => {
  it.each([
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull"',
      { scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/app:pull' } },
    ],
    ['Bearer realm="https://auth.docker.io/token",service="registry.docker.io"', { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' } }],
    ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ['BASIC Realm="x"', { scheme: 'basic', params: { realm: 'x' } }],
    ['Basic', { scheme: 'basic', params: {} }],
    ['', { scheme: '', params: {} }],
    ['Bearer realm="",error="insufficient_scope"', { scheme: 'bearer', params: { realm: '', error: 'insufficient_scope' } }],
  ])('%j', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe('RegistryClient.manifest (with an in-process fetch)', () => {
  const INDEX = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
  const DIGEST = `sha256:${createHash('sha256').update(INDEX).digest('hex')}`;
  const CONTENT_TYPE = 'application/vnd.oci.image.index.v1+json';

  interface Call {
    readonly url: string;
    readonly method: string;
    readonly headers: Record<string, string>;
  }

  /** A registry that answers from `routes`, and records every request. */
  function registry(routes: (call: Call) => Response): { calls: Call[]; fetchImpl: typeof fetch } {
    const calls: Call[] = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      const call = { url: String(input), method: init?.method ?? 'GET', headers: { ...((init?.headers ?? {}) as Record<string, string>) } };
      calls.push(call);
      return routes(call);
    }) as typeof fetch;
    return { calls, fetchImpl };
  }

  const manifestResponse = (digest = DIGEST): Response => new Response(INDEX, { status: 200, headers: { 'content-type': CONTENT_TYPE, 'docker-content-digest': digest } });

  it('reads a public manifest, asks for every manifest type, and checks its digest', async () => {
    const { calls, fetchImpl } = registry(() => manifestResponse());
    const manifest = await new RegistryClient('ghcr.io', undefined, fetchImpl).manifest('acme/app', '1.2.3');
    expect(manifest).toEqual({ digest: DIGEST, mediaType: CONTENT_TYPE, body: INDEX });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://ghcr.io/v2/acme/app/manifests/1.2.3');
    expect(calls[0]?.headers.Accept?.split(', ')).toEqual(MANIFEST_TYPES);
    expect(calls[0]?.headers.Authorization).toBeUndefined();
  });

  it('follows a Bearer challenge: gets a pull token with the credential, then retries with it', async () => {
    const { calls, fetchImpl } = registry((call) => {
      if (call.url.startsWith('https://ghcr.io/token')) return Response.json({ token: 'tok123' });
      if (call.headers.Authorization === 'Bearer tok123') return manifestResponse();
      return new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull"' },
      });
    });
    const manifest = await new RegistryClient('ghcr.io', { username: 'octocat', password: 'ghp_x' }, fetchImpl).manifest('acme/app', 'latest');
    expect(manifest.digest).toBe(DIGEST);
    expect(calls.map((call) => call.url)).toEqual([
      'https://ghcr.io/v2/acme/app/manifests/latest',
      'https://ghcr.io/token?service=ghcr.io&scope=repository%3Aacme%2Fapp%3Apull',
      'https://ghcr.io/v2/acme/app/manifests/latest',
    ]);
    expect(calls[1]?.headers.Authorization).toBe(`Basic ${Buffer.from('octocat:ghp_x').toString('base64')}`);
  });

  it('answers a Basic challenge with the credential', async () => {
    const { calls, fetchImpl } = registry((call) =>
      call.headers.Authorization ? manifestResponse() : new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="Registry Realm"' } }),
    );
    await new RegistryClient('registry.example.com', { username: 'u', password: 'p' }, fetchImpl).manifest('team/app', 'v1');
    expect(calls[1]?.headers.Authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('talks to registry-1.docker.io for Docker Hub', async () => {
    const { calls, fetchImpl } = registry(() => manifestResponse());
    await new RegistryClient('docker.io', undefined, fetchImpl).manifest('acme/app', '1');
    expect(calls[0]?.url).toBe('https://registry-1.docker.io/v2/acme/app/manifests/1');
  });

  it('fails when the registry says another digest than the bytes have', async () => {
    const { fetchImpl } = registry(() => manifestResponse(`sha256:${'0'.repeat(64)}`));
    await expect(new RegistryClient('ghcr.io', undefined, fetchImpl).manifest('acme/app', '1')).rejects.toThrow('but sent bytes with digest');
  });

  it('fails with the status when the manifest is not there', async () => {
    const { fetchImpl } = registry(() => new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 }));
    await expect(new RegistryClient('ghcr.io', undefined, fetchImpl).manifest('acme/app', 'nope')).rejects.toThrow('ghcr.io/acme/app:nope: the registry answered 404');
  });

  it('reaches a loopback registry over plain HTTP or TLS, whichever it speaks', async () => {
    const refuse =
      (scheme: string) =>
      (call: Call): Response => {
        if (call.url.startsWith(`${scheme}://`)) throw new TypeError('fetch failed');
        return manifestResponse();
      };
    const plain = registry(refuse('https'));
    await expect(new RegistryClient('localhost:5000', undefined, plain.fetchImpl).manifest('app', 'dev')).resolves.toMatchObject({ digest: DIGEST });
    expect(plain.calls.map((call) => call.url)).toContain('http://localhost:5000/v2/app/manifests/dev');

    const tls = registry(refuse('http'));
    await expect(new RegistryClient('127.0.0.1:5000', undefined, tls.fetchImpl).manifest('app', 'dev')).resolves.toMatchObject({ digest: DIGEST });
    expect(tls.calls.map((call) => call.url)).toContain('https://127.0.0.1:5000/v2/app/manifests/dev');
  });

  it('never uses plain HTTP for a registry that is not loopback', async () => {
    const remote = registry((call) => {
      if (call.url.startsWith('https://')) throw new TypeError('fetch failed');
      return manifestResponse();
    });
    await expect(new RegistryClient('registry.example.com', undefined, remote.fetchImpl).manifest('app', 'dev')).rejects.toThrow('fetch failed');
    expect(remote.calls.map((call) => call.url)).toEqual(['https://registry.example.com/v2/app/manifests/dev']);
  });

  describe('manifestDigest: the digest by HEAD, the body never fetched', () => {
    const headResponse = (headers: Record<string, string>, status = 200): Response => new Response(null, { status, headers });

    it.each<[string, string, Record<string, string>, string[]]>([
      ['Docker Hub, header sent', 'docker.io', { 'docker-content-digest': DIGEST }, ['HEAD https://registry-1.docker.io/v2/acme/app/manifests/1']],
      ['GHCR, header sent', 'ghcr.io', { 'docker-content-digest': DIGEST }, ['HEAD https://ghcr.io/v2/acme/app/manifests/1']],
      // No (or no sha256) digest in the answer: the body is read to compute it.
      ['no header: read by GET', 'registry.example.com', {}, ['HEAD https://registry.example.com/v2/acme/app/manifests/1', 'GET https://registry.example.com/v2/acme/app/manifests/1']],
      [
        'a header that is not a sha256 digest: read by GET',
        'registry.example.com',
        { 'docker-content-digest': 'md5:x' },
        ['HEAD https://registry.example.com/v2/acme/app/manifests/1', 'GET https://registry.example.com/v2/acme/app/manifests/1'],
      ],
    ])('%s', async (_, host, headers, requests) => {
      const { calls, fetchImpl } = registry((call) => (call.method === 'HEAD' ? headResponse({ 'content-type': CONTENT_TYPE, ...headers }) : manifestResponse()));
      expect(await new RegistryClient(host, undefined, fetchImpl).manifestDigest('acme/app', '1')).toBe(DIGEST);
      expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual(requests);
      expect(calls[0]?.headers.Accept?.split(', ')).toEqual(MANIFEST_TYPES);
    });

    it('authenticates the HEAD like a GET (a Bearer challenge, then the token)', async () => {
      const { calls, fetchImpl } = registry((call) => {
        if (call.url.startsWith('https://auth.docker.io/')) return Response.json({ token: 'hub' });
        if (call.headers.Authorization === 'Bearer hub') return headResponse({ 'docker-content-digest': DIGEST });
        return headResponse({ 'www-authenticate': 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"' }, 401);
      });
      expect(await new RegistryClient('docker.io', { username: 'u', password: 'p' }, fetchImpl).manifestDigest('acme/app', '1')).toBe(DIGEST);
      expect(calls.map((call) => call.method)).toEqual(['HEAD', 'GET', 'HEAD']);
    });

    it('fails with the status when the tag is not there', async () => {
      const { fetchImpl } = registry(() => headResponse({}, 404));
      await expect(new RegistryClient('ghcr.io', undefined, fetchImpl).manifestDigest('acme/app', 'nope')).rejects.toThrow('ghcr.io/acme/app:nope: the registry answered 404');
    });
  });
});
