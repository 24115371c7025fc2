// Every HTTP client of the step against a real CONNECT proxy: with HTTPS_PROXY set, each
// request goes through a tunnel the proxy records; for hosts in NO_PROXY it goes direct.
// The servers answer as <name>.proxy.test on 127.0.0.1 with a throwaway CA (see network-lab.ts).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseInputs } from '../../src/plan/inputs.js';
import { proxyFor } from '../../src/proxy.js';
import { ecrProvider, ecrPublicProvider } from '../../src/registries/ecr.js';
import { garProvider } from '../../src/registries/gar.js';
import { registryHealth } from '../../src/phases/login.js';
import { RegistryClient } from '../../src/registries/client.js';
import { githubIdToken, type ProviderEnvironment } from '../../src/registries/provider.js';
import { contextIn } from '../support/context.js';
import { rawInputs } from '../support/inputs.js';
import { joinLabNetwork, LAB_DOMAIN, makeCertificate, startConnectProxy, startHttpsServer, type ConnectProxy, type LabServer } from '../support/network-lab.js';

const HOSTS = ['registry', 'auth', 'token', 'aws', 'google'].map((name) => `${name}.${LAB_DOMAIN}`);
const [REGISTRY, AUTH, TOKEN, AWS, GOOGLE] = HOSTS as [string, string, string, string, string];

const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] });
const BLOB = Buffer.from('a layer');

/** One server for every lab host, told apart by Host: the services each client talks to. */
function labServices(port: number): (request: IncomingMessage, body: Buffer, response: ServerResponse) => void {
  const manifests = new Map<string, string>();
  const json = (response: ServerResponse, status: number, value: unknown, type = 'application/json'): void => void response.writeHead(status, { 'Content-Type': type }).end(JSON.stringify(value));
  return (request, body, response) => {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    const url = new URL(request.url ?? '/', `https://${host}`);
    if (host === TOKEN) return json(response, 200, { value: `oidc-for-${url.searchParams.get('audience')}` });
    if (host === AUTH) return json(response, 200, { token: 'registry-token' });
    if (host === GOOGLE) {
      if (url.pathname === '/v1/token') return json(response, 200, { access_token: 'federated-token' });
      return json(response, 200, { accessToken: 'service-account-token' });
    }
    if (host === AWS) {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target.endsWith('GetAuthorizationToken')) {
        const data = { authorizationToken: Buffer.from('AWS:ecr-password').toString('base64'), expiresAt: 2e9 };
        return json(response, 200, { authorizationData: target.startsWith('SpencerFrontendService') ? data : [data] }, 'application/x-amz-json-1.1');
      }
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      return void response.end(
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>' +
          '<AccessKeyId>ASIALAB</AccessKeyId><SecretAccessKey>lab-secret</SecretAccessKey><SessionToken>lab-session</SessionToken><Expiration>2040-01-01T00:00:00Z</Expiration>' +
          '</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>',
      );
    }
    if (host === REGISTRY) {
      if (request.headers.authorization !== 'Bearer registry-token') {
        response.writeHead(401, { 'WWW-Authenticate': `Bearer realm="https://${AUTH}:${port}/token",service="${REGISTRY}"` });
        return void response.end();
      }
      if (url.pathname === '/v2/') return json(response, 200, {});
      if (request.method === 'POST' && url.pathname.endsWith('/blobs/uploads/')) return void response.writeHead(202, { Location: '/v2/app/blobs/uploads/1?state=s' }).end();
      if (request.method === 'PUT' && url.pathname === '/v2/app/blobs/uploads/1') {
        const ok = url.searchParams.get('digest') === sha256(body);
        return void response.writeHead(ok ? 201 : 400, { 'Docker-Content-Digest': sha256(body) }).end();
      }
      if (request.method === 'HEAD' && url.pathname.startsWith('/v2/app/blobs/')) return void response.writeHead(404).end();
      const reference = /^\/v2\/app\/manifests\/(.+)$/.exec(url.pathname)?.[1];
      if (reference && request.method === 'PUT') {
        manifests.set(reference, body.toString('utf8'));
        manifests.set(sha256(body), body.toString('utf8'));
        return void response.writeHead(201, { 'Docker-Content-Digest': sha256(body) }).end();
      }
      const stored = reference ? manifests.get(reference) : undefined;
      if (stored === undefined) return json(response, 404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
      response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': sha256(stored) });
      return void response.end(request.method === 'HEAD' ? undefined : stored);
    }
    response.writeHead(404).end();
  };
}

let leave: () => void;
let server: LabServer;
let proxy: ConnectProxy;
let port: number;

beforeAll(async () => {
  const certificate = makeCertificate(HOSTS);
  leave = joinLabNetwork(certificate.ca);
  let handler: ReturnType<typeof labServices> = () => undefined;
  server = await startHttpsServer(certificate, (request, body, response) => handler(request, body, response));
  port = server.port;
  handler = labServices(port);
});
afterAll(async () => {
  await server.close();
  leave();
});
// A new proxy for every test: no tunnel kept alive from an earlier one carries its requests.
beforeEach(async () => {
  proxy = await startConnectProxy();
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await proxy.close();
});

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

/** The step's environment: the lab's endpoints, plus the proxy variables given. */
function stepEnv(proxyVariables: Record<string, string>): NodeJS.ProcessEnv {
  for (const name of PROXY_VARIABLES) vi.stubEnv(name, '');
  const base = `https://%s:${port}`;
  const env = {
    ACTIONS_ID_TOKEN_REQUEST_URL: `${base.replace('%s', TOKEN)}/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
    AWS_ENDPOINT_URL: base.replace('%s', AWS),
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    BUILD_PUSH_GCP_STS_URL: `${base.replace('%s', GOOGLE)}/v1/token`,
    BUILD_PUSH_GCP_IAM_CREDENTIALS_URL: base.replace('%s', GOOGLE),
    ...Object.fromEntries(Object.entries(proxyVariables).map(([name, value]) => [name, value.replace('$PROXY', proxy.url)])),
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return process.env;
}

function providerEnvironment(env: NodeJS.ProcessEnv): ProviderEnvironment {
  const inputs = parseInputs(
    rawInputs({
      'aws-role-to-assume': 'arn:aws:iam::123456789012:role/github-push',
      'aws-region': 'us-east-1',
      'gcp-workload-identity-provider': 'projects/123/locations/global/workloadIdentityPools/github/providers/github',
      'gcp-service-account': 'pusher@my-project.iam.gserviceaccount.com',
    }),
    () => undefined,
  );
  return { inputs, context: contextIn(env), env, mask: () => undefined };
}

interface ClientCase {
  readonly client: string;
  /** The lab hosts its requests reach. */
  readonly hosts: readonly string[];
  readonly run: (env: NodeJS.ProcessEnv) => Promise<unknown>;
}

const CLIENTS: readonly ClientCase[] = [
  {
    client: 'GitHub OIDC token (core.getIDToken)',
    hosts: [TOKEN],
    run: async (env) => expect(await githubIdToken('sts.amazonaws.com', env)).toBe('oidc-for-sts.amazonaws.com'),
  },
  {
    client: 'AWS STS (OIDC token from core.getIDToken) then ECR',
    hosts: [TOKEN, AWS],
    run: async (env) => expect(await ecrProvider.credential('123456789012.dkr.ecr.us-east-1.amazonaws.com', providerEnvironment(env))).toMatchObject({ password: 'ecr-password' }),
  },
  {
    client: 'AWS STS then ECR Public',
    hosts: [TOKEN, AWS],
    run: async (env) => expect(await ecrPublicProvider.credential('public.ecr.aws', providerEnvironment(env))).toMatchObject({ password: 'ecr-password' }),
  },
  {
    client: 'Google STS and IAM Credentials',
    hosts: [TOKEN, GOOGLE],
    run: async (env) => expect(await garProvider.credential('us-docker.pkg.dev', providerEnvironment(env))).toMatchObject({ password: 'service-account-token' }),
  },
  {
    client: 'registry health check (GET /v2/)',
    hosts: [REGISTRY],
    run: async () => expect(await registryHealth(`${REGISTRY}:${port}`)).toBeUndefined(),
  },
  {
    client: 'registry client: token, blob upload, manifest push, read-back (GET and HEAD)',
    hosts: [REGISTRY, AUTH],
    run: async () => {
      const client = new RegistryClient(`${REGISTRY}:${port}`, { username: 'u', password: 'p' });
      expect(await client.blobExists('app', sha256(BLOB), 'push')).toBe(false);
      await client.uploadBlob('app', sha256(BLOB), BLOB.byteLength, async function* () {
        yield BLOB;
      });
      expect(await client.putManifest('app', 'v1', 'application/vnd.oci.image.manifest.v1+json', Buffer.from(MANIFEST))).toBe(sha256(MANIFEST));
      expect((await client.manifest('app', 'v1')).digest).toBe(sha256(MANIFEST));
      expect(await client.manifestDigest('app', 'v1')).toBe(sha256(MANIFEST));
    },
  },
];

const tunneled = (hosts: readonly string[]): string[] => hosts.map((host) => `${host}:${port}`);

describe.each(CLIENTS)('$client', ({ hosts, run }) => {
  it.each<Record<string, string>>([{ HTTPS_PROXY: '$PROXY' }, { https_proxy: '$PROXY' }, { HTTPS_PROXY: '$PROXY', NO_PROXY: 'example.com,.internal' }])(
    'goes through the proxy with %j',
    async (variables) => {
      await run(stepEnv(variables));
      expect([...new Set(proxy.tunnels)].sort()).toEqual(tunneled(hosts).sort());
      expect(proxy.plain).toEqual([]);
    },
  );

  it.each<Record<string, string>>([
    { HTTPS_PROXY: '$PROXY', NO_PROXY: `.${LAB_DOMAIN}` },
    { https_proxy: '$PROXY', no_proxy: hosts.join(',') },
    { HTTPS_PROXY: '$PROXY', NO_PROXY: '*' },
  ])('goes direct to hosts in NO_PROXY: %j', async (variables) => {
    await run(stepEnv(variables));
    expect(proxy.tunnels).toEqual([]);
  });

  it('goes direct without a proxy variable', async () => {
    await run(stepEnv({}));
    expect(proxy.tunnels).toEqual([]);
  });
});

it('sends the credentials of a proxy URL as Proxy-Authorization', async () => {
  stepEnv({});
  vi.stubEnv('HTTPS_PROXY', proxy.url.replace('http://', 'http://alice:s%40cret@'));
  const client = new RegistryClient(`${REGISTRY}:${port}`, { username: 'u', password: 'p' });
  await client.prepare('app');
  expect(proxy.authorizations.at(-1)).toBe(`Basic ${Buffer.from('alice:s@cret').toString('base64')}`);
});

describe('proxyFor', () => {
  it.each([
    [{ HTTPS_PROXY: 'http://proxy:3128' }, 'https://ghcr.io/v2/', 'http://proxy:3128/'],
    [{ https_proxy: 'http://lower:3128', HTTPS_PROXY: 'http://upper:3128' }, 'https://ghcr.io/v2/', 'http://lower:3128/'],
    [{ HTTP_PROXY: 'http://proxy:3128' }, 'https://ghcr.io/v2/', undefined],
    [{ HTTP_PROXY: 'http://proxy:3128' }, 'http://registry.internal:5000/v2/', 'http://proxy:3128/'],
    [{ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'ghcr.io' }, 'https://ghcr.io/v2/', undefined],
    [{ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'amazonaws.com' }, 'https://api.ecr.us-east-1.amazonaws.com/', undefined],
    [{ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'registry.internal:5000' }, 'https://registry.internal:5000/v2/', undefined],
    [{ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'registry.internal:5000' }, 'https://registry.internal/v2/', 'http://proxy:3128/'],
    [{ HTTPS_PROXY: 'http://proxy:3128' }, 'https://127.0.0.1:5000/v2/', undefined],
    [{ HTTPS_PROXY: 'http://proxy:3128' }, 'http://localhost:5000/v2/', undefined],
    [{}, 'https://ghcr.io/v2/', undefined],
  ])('%j: %s → %s', (variables, url, expected) => {
    for (const name of PROXY_VARIABLES) vi.stubEnv(name, '');
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
    expect(proxyFor(url)).toBe(expected);
  });
});
