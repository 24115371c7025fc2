// A runner behind a corporate proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (upper or lower
// case) in the job's environment. The step's own HTTP calls (the OIDC token, AWS STS and
// ECR, the registry health check and read-back) go through a recording proxy on 127.0.0.1;
// dockerd and BuildKit make their own calls, as they do on a runner. The services answer by
// name (cloud.namedEnv): proxy rules send loopback addresses direct.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCloud, type Cloud, type CloudRequest } from './cloud.mjs';
import { expectPushed, fromTheStep } from './cloud-checks.js';
import { loadEngineEnv, runnerHome, type Engine } from './engine.mjs';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.mjs';
import { runAction, type ActionRun } from './runner.mjs';
import { findSecretLeaks } from './secrets.mjs';

let cloud: Cloud;
let proxy: RecordingProxy;
let engine: Engine;
let home: string;
const id = randomUUID().slice(0, 8);

beforeAll(async () => {
  engine = loadEngineEnv();
  home = runnerHome();
  cloud = await startCloud();
  proxy = await startRecordingProxy();
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await cloud?.stop();
});

beforeEach(() => {
  cloud.requests.clear();
  proxy.clear();
});

async function run(tags: string, extra: Record<string, string>, proxyEnv: Record<string, string>): Promise<ActionRun> {
  const inputs = {
    tags,
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    ...extra,
  };
  return await runAction({ home, eventName: 'push', env: { ...cloud.namedEnv, ...proxyEnv }, inputs, timeoutMinutes: 5 });
}

/** The stand-ins' records of the step's own requests so far: dockerd, BuildKit and containerd name themselves. */
function stepRequests(): CloudRequest[] {
  return cloud.requests.all.filter((request) => request.peer && fromTheStep(request));
}

/** Where the proxy was asked to go, once each. */
const targets = (): string[] => [...new Set(proxy.requests.map((request) => request.target))].sort();

describe('behind a proxy', () => {
  it('ECR via OIDC: the token, STS, ECR and every registry read of the step go through HTTPS_PROXY / HTTP_PROXY', async () => {
    const result = await run(`${cloud.ecr.host}/app:proxy-${id}`, { 'aws-role-to-assume': cloud.ecr.roleArn }, { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url });
    expect(result.main.exitCode, result.main.log).toBe(0);
    const own = stepRequests(); // before this test's own read-back
    await expectPushed(cloud.ecr.host, 'app', `proxy-${id}`, cloud.ecr, result.outputs.digest);

    const oidcHost = new URL(cloud.namedEnv.ACTIONS_ID_TOKEN_REQUEST_URL as string).host;
    const awsHost = new URL(cloud.namedEnv.AWS_ENDPOINT_URL as string).host;
    expect(targets()).toEqual(expect.arrayContaining([oidcHost, awsHost, `${cloud.ecr.host}:443`]));
    expect(proxy.requests.filter((request) => request.refused)).toEqual([]);
    // Every request the stand-ins saw from the step arrived on one of the proxy's connections.
    const services = new Set(own.map((request) => request.service));
    expect([...services].sort()).toEqual(expect.arrayContaining(['aws', 'oidc', 'registry']));
    const ports = proxy.upstreamPorts();
    const direct = own.filter((request) => !ports.has(request.peer as number));
    expect(direct, JSON.stringify(direct)).toEqual([]);
    expect(findSecretLeaks(result, [cloud.ecr.password], [home])).toEqual([]);
  });

  it('GHCR: the health check and the read-back go through https_proxy (lower case)', async () => {
    const result = await run(`${cloud.ghcr.host}/acme/app:proxy-${id}`, { 'github-token': cloud.ghcr.token }, { https_proxy: proxy.url });
    expect(result.main.exitCode, result.main.log).toBe(0);
    const own = stepRequests().filter((request) => request.host === cloud.ghcr.host);
    await expectPushed(cloud.ghcr.host, 'acme/app', `proxy-${id}`, { username: cloud.ghcr.username, password: cloud.ghcr.token }, result.outputs.digest);
    expect(targets()).toContain(`${cloud.ghcr.host}:443`);
    expect(own.length).toBeGreaterThan(0);
    const ports = proxy.upstreamPorts();
    const direct = own.filter((request) => !ports.has(request.peer as number));
    expect(direct, JSON.stringify(direct)).toEqual([]);
    expect(findSecretLeaks(result, [cloud.ghcr.token], [home])).toEqual([]);
  });

  it('NO_PROXY is honoured: a registry named there is reached directly', async () => {
    const result = await run(`${cloud.ghcr.host}/acme/app:direct-${id}`, { 'github-token': cloud.ghcr.token }, { HTTPS_PROXY: proxy.url, NO_PROXY: `example.com,${cloud.ghcr.host}` });
    expect(result.main.exitCode, result.main.log).toBe(0);
    const own = stepRequests().filter((request) => request.host === cloud.ghcr.host);
    await expectPushed(cloud.ghcr.host, 'acme/app', `direct-${id}`, { username: cloud.ghcr.username, password: cloud.ghcr.token }, result.outputs.digest);
    expect(targets()).not.toContain(`${cloud.ghcr.host}:443`);
    expect(own.length).toBeGreaterThan(0);
    const ports = proxy.upstreamPorts();
    expect(own.filter((request) => ports.has(request.peer as number))).toEqual([]);
    expect(findSecretLeaks(result, [cloud.ghcr.token], [home])).toEqual([]);
  });
});
