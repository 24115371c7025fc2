// Credential providers end to end: the action gets credentials from real protocol peers
// on 127.0.0.1 (GitHub's OIDC token service, AWS STS + ECR via moto, ECR Public, Google STS +
// IAM Credentials), logs in to registries served under their real hostnames over TLS
// (test/e2e/cloud.mjs), pushes a two-platform image, and leaves no credential behind.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type Cloud } from './cloud.mjs';
import { expectPushed, fromTheStep } from './cloud-checks.js';
import { loadEngineEnv, runnerHome, type Engine } from './engine.mjs';
import { runAction, type ActionRun } from './runner.mjs';
import { findSecretLeaks } from './secrets.mjs';

let cloud: Cloud;
let engine: Engine;
let home: string;
const id = randomUUID().slice(0, 8);

beforeAll(async () => {
  engine = loadEngineEnv();
  home = runnerHome();
  cloud = await startCloud();
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

function inputs(tags: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    tags,
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    // The base image comes from the plain local registry; the push goes to the cloud one.
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    'retry-delay': '200ms',
    ...extra,
  };
}

async function run(tags: string, extra: Record<string, string>, env: Record<string, string> = cloud.env): Promise<ActionRun> {
  return await runAction({ home, eventName: 'push', env, inputs: inputs(tags, extra) });
}

/** Every place a secret shows up in what the run printed or wrote (empty: clean). */
function leaks(result: ActionRun, secrets: string[]): string[] {
  return findSecretLeaks(result, secrets.filter(Boolean), [home]);
}

describe('AWS ECR via GitHub OIDC', () => {
  it('assumes the role, gets ECR tokens for two accounts/regions, pushes to both, masks everything', async () => {
    const [first, second] = cloud.ecr.accounts;
    if (!first || !second) throw new Error('the cloud set-up has two ECR accounts');
    const result = await run(`${first.host}/app:${id}\n${second.host}/app:${id}`, { 'aws-role-to-assume': first.roleArn, 'aws-region': first.region });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.pushed).toBe('true');
    expect(result.main.log).toContain(`${first.host}: logged in as AWS (aws ecr)`);
    expect(result.main.log).toContain(`${second.host}: logged in as AWS (aws ecr)`);
    await expectPushed(first.host, 'app', id, first, result.outputs.digest);
    await expectPushed(second.host, 'app', id, second, result.outputs.digest);
    expect(cloud.requests.oidc.some((request) => request.audience === 'sts.amazonaws.com')).toBe(true);
    expect(leaks(result, [first.password, second.password, `AWS:${first.password}`, `AWS:${second.password}`])).toEqual([]);
    expect(result.main.log).toContain('Logged out of');
  });

  it('without id-token: write the step says what to add', async () => {
    const env = Object.fromEntries(Object.entries(cloud.env).filter(([key]) => !key.startsWith('ACTIONS_ID_TOKEN')));
    const result = await run(`${cloud.ecr.host}/app:noperm-${id}`, { 'aws-role-to-assume': cloud.ecr.roleArn }, env);
    expect(result.main.exitCode).toBe(1);
    expect(result.main.stdout).toMatch(/::error::login: .*permissions: id-token: write/);
  });
});

describe('ECR Public', () => {
  it('logs in through the ecr-public API and pushes', async () => {
    const result = await run(`${cloud.ecr.public.host}/acme/app:${id}`, { 'aws-role-to-assume': cloud.ecr.roleArn });
    expect(result.main.exitCode, result.main.log).toBe(0);
    await expectPushed(cloud.ecr.public.host, 'acme/app', id, cloud.ecr.public, result.outputs.digest);
    expect(leaks(result, [cloud.ecr.public.password])).toEqual([]);
  });
});

describe('Google Artifact Registry via workload identity federation', () => {
  it('exchanges the OIDC token at Google STS, impersonates the service account, pushes as oauth2accesstoken', async () => {
    const result = await run(`${cloud.gcp.host}/proj/repo/app:${id}`, {
      'gcp-workload-identity-provider': cloud.gcp.workloadIdentityProvider,
      'gcp-service-account': cloud.gcp.serviceAccount,
    });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.main.log).toContain(`${cloud.gcp.host}: logged in as oauth2accesstoken (google artifact registry)`);
    await expectPushed(cloud.gcp.host, 'proj/repo/app', id, { username: cloud.gcp.username, password: cloud.gcp.accessToken }, result.outputs.digest);
    expect(cloud.requests.oidc.some((request) => request.audience === `https://iam.googleapis.com/${cloud.gcp.workloadIdentityProvider}`)).toBe(true);
    expect(leaks(result, [cloud.gcp.accessToken])).toEqual([]);
  });

  it('direct workload identity: without a service account the STS token itself logs in and pushes', async () => {
    cloud.requests.clear();
    const result = await run(`${cloud.gcp.host}/proj/repo/app:direct-${id}`, { 'gcp-workload-identity-provider': cloud.gcp.workloadIdentityProvider });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.main.log).toContain(`${cloud.gcp.host}: logged in as oauth2accesstoken (google artifact registry)`);
    await expectPushed(cloud.gcp.host, 'proj/repo/app', `direct-${id}`, { username: cloud.gcp.username, password: cloud.gcp.accessToken }, result.outputs.digest);
    // One STS exchange, no service account impersonation; the registry saw the federated principal.
    expect(cloud.requests.gcp.map((request) => `${request.service} ${request.status}`)).toEqual(['gcp-sts 200']);
    const tokenRequests = cloud.requests.of('registry-token').filter((request) => request.host === cloud.gcp.host && request.status === 200);
    expect(tokenRequests.length).toBeGreaterThan(0);
    expect(tokenRequests.every((request) => request.principal?.startsWith('federated:repo:'))).toBe(true);
    const federatedToken = cloud.requests.gcp[0]?.issued ?? '';
    expect(federatedToken).toMatch(/^ya29\./);
    expect(leaks(result, [federatedToken, cloud.gcp.accessToken])).toEqual([]);
  });

  it('accepts a ready gcp-access-token', async () => {
    const result = await run(`${cloud.gcp.host}/proj/repo/app:token-${id}`, { 'gcp-access-token': cloud.gcp.accessToken });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(leaks(result, [cloud.gcp.accessToken])).toEqual([]);
  });
});

describe('Docker Hub with a username and an access token', () => {
  it('logs in through auth.docker.io, pushes both platforms under docker.io/<user>/<repo>, verifies by HEAD, and logs out', async () => {
    const { username, token } = cloud.dockerhub;
    cloud.requests.clear();
    const repository = `${username}/app`;
    const result = await run(`docker.io/${repository}:${id}\ndocker.io/${repository}:also-${id}`, { 'dockerhub-username': username, 'dockerhub-token': token });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.main.log).toContain(`docker.io: logged in as ${username} (docker hub)`);
    const stepRequests = cloud.requests.all; // before this test's own read-back
    // Read back the way a user would: from registry-1.docker.io, with a token from auth.docker.io.
    await expectPushed(cloud.dockerhub.host, repository, id, { username, password: token }, result.outputs.digest);
    await expectPushed(cloud.dockerhub.host, repository, `also-${id}`, { username, password: token }, result.outputs.digest);

    const tokens = cloud.requests.of('registry-token').filter((request) => request.host === 'auth.docker.io');
    expect(tokens.some((request) => request.status === 200 && request.user === username)).toBe(true);
    // Docker Hub counts a manifest GET as a pull: the step's own reads are one GET (the index,
    // for its platforms; the summary's sizes are not read there) and a HEAD for the other tag.
    // dockerd and BuildKit say who they are.
    const stepReads = stepRequests.filter((request) => request.service === 'registry' && request.host === cloud.dockerhub.host && request.path?.includes('/manifests/') && fromTheStep(request));
    const gets = stepReads.filter((request) => request.method === 'GET' && request.status === 200);
    expect(gets, JSON.stringify(gets)).toHaveLength(1);
    expect(stepReads.filter((request) => request.method === 'HEAD' && request.status === 200).length).toBeGreaterThanOrEqual(1);

    // The post step logged out: the runner's docker config keeps no Docker Hub credential.
    const config = readFileSync(path.join(home, '.docker', 'config.json'), 'utf8');
    expect(config).not.toMatch(/index\.docker\.io|registry-1\.docker\.io|"docker\.io"/);
    expect(leaks(result, [token])).toEqual([]);
  });
});

describe('GHCR with the GitHub token', () => {
  it('logs in as the actor and pushes', async () => {
    const result = await run(`${cloud.ghcr.host}/acme/app:${id}`, { 'github-token': cloud.ghcr.token });
    expect(result.main.exitCode, result.main.log).toBe(0);
    await expectPushed(cloud.ghcr.host, 'acme/app', id, { username: cloud.ghcr.username, password: cloud.ghcr.token }, result.outputs.digest);
    expect(leaks(result, [cloud.ghcr.token])).toEqual([]);
  });

  it('a pull request without credentials builds with a warning, not a failure', async () => {
    const result = await runAction({ home, eventName: 'pull_request', ref: 'refs/pull/9/merge', env: cloud.env, inputs: inputs(`${cloud.ghcr.host}/acme/app:pr-9`, { 'github-token': '' }) });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.pushed).toBe('false');
    // The warning names what is missing and what it costs.
    expect(result.main.stdout).toMatch(
      new RegExp(
        `::warning::${cloud.ghcr.host.replace(/\./g, '\\.')}: this step has no credentials for it \\(needs [^)]*github-token[^;]*\\); this run pushes nothing, so it builds without logging in there, and pulls of private images from`,
      ),
    );
  });
});
