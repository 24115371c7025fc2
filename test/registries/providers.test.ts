import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { failureHints } from '../../src/phases/build.js';
import { ActionError } from '../../src/errors.js';
import { decodeEcrToken, parseEcrHost } from '../../src/registries/ecr.js';
import { manifestGetsArePulls } from '../../src/registries/dockerhub.js';
import { googleEndpoints } from '../../src/registries/gar.js';
import { GHCR_FORBIDDEN_HINT } from '../../src/registries/ghcr.js';
import { githubIdToken, ID_TOKEN_PERMISSION_HINT } from '../../src/registries/provider.js';

describe('parseEcrHost', () => {
  it.each([
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', { accountId: '123456789012', region: 'us-east-1' }],
    ['210987654321.dkr.ecr-fips.us-gov-west-1.amazonaws.com', { accountId: '210987654321', region: 'us-gov-west-1' }],
    ['123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn', { accountId: '123456789012', region: 'cn-northwest-1' }],
    ['123456789012.dkr-ecr.eu-west-1.on.aws', { accountId: '123456789012', region: 'eu-west-1' }],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com:443', undefined],
    ['public.ecr.aws', undefined],
    ['dkr.ecr.us-east-1.amazonaws.com', undefined],
  ])('%s', (host, expected) => {
    expect(parseEcrHost(host)).toEqual(expected);
  });
});

describe('manifestGetsArePulls', () => {
  // Docker Hub's rate limit counts manifest GETs; the summary's size reads avoid it.
  it.each([
    ['docker.io', true],
    ['ghcr.io', false],
    ['registry-1.docker.io.example.com', false],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', false],
  ])('%s → %s', (registry, expected) => {
    expect(manifestGetsArePulls(registry)).toBe(expected);
  });
});

describe('decodeEcrToken', () => {
  it('masks the token and the decoded password before returning them', () => {
    const masked: string[] = [];
    const token = Buffer.from('AWS:eyJwYXlsb2FkIjoi').toString('base64');
    expect(decodeEcrToken(token, (secret) => masked.push(secret))).toEqual({ username: 'AWS', password: 'eyJwYXlsb2FkIjoi' });
    expect(masked).toEqual([token, 'eyJwYXlsb2FkIjoi']);
  });

  it('rejects a token that is not user:password, after masking it', () => {
    const masked: string[] = [];
    const token = Buffer.from('garbage').toString('base64');
    expect(() => decodeEcrToken(token, (secret) => masked.push(secret))).toThrow(ActionError);
    expect(masked).toEqual([token]);
  });
});

describe('googleEndpoints', () => {
  it('defaults to Google and can be pointed elsewhere', () => {
    expect(googleEndpoints({})).toEqual({ sts: 'https://sts.googleapis.com/v1/token', iamCredentials: 'https://iamcredentials.googleapis.com' });
    expect(googleEndpoints({ BUILD_PUSH_GCP_STS_URL: 'http://127.0.0.1:1/v1/token', BUILD_PUSH_GCP_IAM_CREDENTIALS_URL: 'http://127.0.0.1:2/' })).toEqual({
      sts: 'http://127.0.0.1:1/v1/token',
      iamCredentials: 'http://127.0.0.1:2',
    });
  });
});

describe('githubIdToken against a local token service', () => {
  let server: Server;
  let base: string;
  const seen: { url: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
      if (request.headers.authorization !== 'Bearer runner-request-token') {
        response.writeHead(401).end();
        return;
      }
      const audience = new URL(request.url ?? '', 'http://x').searchParams.get('audience');
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ value: `jwt-for-${audience}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
  /** The step's environment, which core.getIDToken reads. */
  const stepEnv = (env: Record<string, string>): Record<string, string> => {
    for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
    return env;
  };

  it('asks for the audience, with the runner bearer, and masks the token', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const token = await githubIdToken('sts.amazonaws.com', stepEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: base, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' }));
    expect(token).toBe('jwt-for-sts.amazonaws.com');
    expect(written.filter((line) => line.startsWith('::add-mask::'))).toEqual([`::add-mask::${token}\n`]);
    expect(seen.at(-1)).toEqual({ url: '/token?api-version=2.0&audience=sts.amazonaws.com', authorization: 'Bearer runner-request-token' });
  });

  it('says to add id-token: write when the runner gave no token service', async () => {
    await expect(githubIdToken('sts.amazonaws.com', {})).rejects.toThrow(ID_TOKEN_PERMISSION_HINT);
    expect(ID_TOKEN_PERMISSION_HINT).toContain('permissions: id-token: write');
  });

  it('reports a refusal with its status', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const refused = githubIdToken('x', stepEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: base, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' }));
    await expect(refused).rejects.toThrow(ActionError);
    await expect(refused).rejects.toThrow(/the GitHub OIDC token service gave no token for audience x: .*Error Code : 401/);
  });
});

describe('failureHints', () => {
  it('turns a GHCR 403 into advice to add packages: write', () => {
    const output = 'ERROR: failed to push ghcr.io/acme/app:1: unexpected status from POST request: 403 Forbidden';
    expect(failureHints(output, ['ghcr.io'])).toEqual([GHCR_FORBIDDEN_HINT]);
    expect(GHCR_FORBIDDEN_HINT).toContain('permissions: packages: write');
  });

  it('gives no GHCR advice when GHCR is not pushed to', () => {
    expect(failureHints('403 Forbidden', ['quay.io'])).toEqual([]);
  });
});
