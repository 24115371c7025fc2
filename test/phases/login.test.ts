import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forgetCredentials } from '../../src/registries/docker-config.js';
import { getApiRoot, missingCredentialWarning, registryHealth, type ApiRootAnswer } from '../../src/phases/login.js';

describe('forgetCredentials', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'forget-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const auth = (text: string): { auth: string } => ({ auth: Buffer.from(text).toString('base64') });

  it('removes the entries of the given registries, under any spelling docker uses, and keeps the rest', async () => {
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'ghcr.io': auth('octocat:ghp_TOPSECRET'),
          'https://index.docker.io/v1/': auth('bot:dckr_TOPSECRET'),
          'quay.io': auth('someone:kept'),
        },
        currentContext: 'default',
      }),
    );
    const forgotten = await forgetCredentials(dir, ['ghcr.io', 'docker.io']);
    expect(forgotten.sort()).toEqual(['docker.io', 'ghcr.io']);
    const text = await readFile(path.join(dir, 'config.json'), 'utf8');
    expect(text).not.toContain(Buffer.from('octocat:ghp_TOPSECRET').toString('base64'));
    expect(text).not.toContain(Buffer.from('bot:dckr_TOPSECRET').toString('base64'));
    expect(JSON.parse(text)).toEqual({ auths: { 'quay.io': auth('someone:kept') }, currentContext: 'default' });
  });

  it('forgets nothing when the config has no auths', async () => {
    await writeFile(path.join(dir, 'config.json'), '{}');
    expect(await forgetCredentials(dir, ['ghcr.io'])).toEqual([]);
    expect(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'))).toEqual({});
  });

  it('leaves config.json private (0600)', async () => {
    await writeFile(path.join(dir, 'config.json'), '{"auths":{}}', { mode: 0o600 });
    await forgetCredentials(dir, []);
    expect((await stat(path.join(dir, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it('fails when there is no config.json', async () => {
    await expect(forgetCredentials(dir, ['ghcr.io'])).rejects.toThrow();
  });
});

describe('registryHealth', () => {
  const answering = (answers: Record<string, ApiRootAnswer>) => {
    const asked: string[] = [];
    return { asked, get: async (url: string) => (asked.push(url), answers[url] ?? { error: 'ECONNREFUSED' }) };
  };

  it('calls 200 and 401 normal, 5xx and 429 transient (with Retry-After), and tries TLS after plain HTTP on loopback only', async () => {
    expect(await registryHealth('127.0.0.1:5000', answering({ 'http://127.0.0.1:5000/v2/': { status: 401 } }).get)).toBeUndefined();
    expect(await registryHealth('ghcr.io', answering({ 'https://ghcr.io/v2/': { status: 200 } }).get)).toBeUndefined();
    expect(await registryHealth('ghcr.io', answering({ 'https://ghcr.io/v2/': { status: 503 } }).get)).toBe('HTTP 503');
    expect(await registryHealth('ghcr.io', answering({ 'https://ghcr.io/v2/': { status: 429, retryAfter: '3' } }).get)).toBe('HTTP 429, Retry-After: 3');
    const tls = answering({ 'https://localhost:5000/v2/': { status: 401 } });
    expect(await registryHealth('localhost:5000', tls.get)).toBeUndefined();
    expect(tls.asked).toEqual(['http://localhost:5000/v2/', 'https://localhost:5000/v2/']);
    const remote = answering({});
    expect(await registryHealth('registry.example.com', remote.get)).toBe('connection failed: ECONNREFUSED');
    expect(remote.asked).toEqual(['https://registry.example.com/v2/']);
  });
});

describe('getApiRoot', () => {
  let server: Server;
  let base: string;
  beforeEach(async () => {
    server = createServer((request, response) => {
      if (request.url === '/busy/v2/') response.writeHead(429, { 'Retry-After': '7' }).end();
      else if (request.url === '/stall/v2/')
        return; // never answers
      else response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end('{"errors":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reports the status and Retry-After of a real HTTP server, a refused connection and a stalled one', async () => {
    expect(await getApiRoot(`${base}/v2/`)).toEqual({ status: 401 });
    expect(await getApiRoot(`${base}/busy/v2/`)).toEqual({ status: 429, retryAfter: '7' });
    expect(await getApiRoot(`${base}/stall/v2/`, 100)).toEqual({ error: 'no answer within 100 ms' });
    const refused = await getApiRoot('http://127.0.0.1:1/v2/');
    expect('error' in refused && refused.error).toMatch(/ECONNREFUSED/);
  });
});

describe('missingCredentialWarning', () => {
  it.each([
    ['a registry it logs in to', { registry: 'ghcr.io', provider: 'ghcr', usedFor: 'push' } as const, undefined],
    [
      'pushing without credentials',
      { registry: 'r.example', missing: 'a registry-auth entry for r.example', usedFor: 'push' } as const,
      "r.example: this step has no credentials for it (needs a registry-auth entry for r.example); pushing with whatever the runner's docker config holds",
    ],
    [
      'a fork pull request: nothing pushed, the build goes on',
      { registry: 'ghcr.io', missing: 'github-token (with packages: write)', usedFor: 'tag' } as const,
      'ghcr.io: this step has no credentials for it (needs github-token (with packages: write)); this run pushes nothing, so it builds without logging in there, and pulls of private images from ghcr.io will fail (secrets are empty on pull requests from forks)',
    ],
    ['only listed in registry-auth', { registry: 'mirror.example', missing: 'x', usedFor: 'listed' } as const, undefined],
  ])('%s', (_, entry, expected) => {
    expect(missingCredentialWarning(entry)).toBe(expected);
  });
});
