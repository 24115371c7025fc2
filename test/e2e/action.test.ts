// End to end: the bundled action (dist/) run by the runner emulator on the declared
// Node version, against the real Docker engine, buildx, QEMU and registry that
// test/e2e/setup-engine.sh provides. Assertions read the registry over its HTTP API.
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageIndex, ImageManifest } from '../../src/oci/model.js';
import { docker, EARLIER_LOGIN, indexPlatforms, loadEngineEnv, registryBlob, registryManifest, runnerHome, testDockerConfig, type Engine } from './engine.mjs';
import { REPO_ROOT, runAction, type ActionRun, type RunActionOptions } from './runner.mjs';
import { findSecretLeaks } from './secrets.mjs';

let engine: Engine;
let home: string;
const fixtures = path.join(REPO_ROOT, 'test', 'fixtures');
const event = (name: string): unknown => JSON.parse(readFileSync(path.join(fixtures, 'events', `${name}.json`), 'utf8'));
const unique = (): string => randomUUID().slice(0, 8);

function registryAuth(password = engine.password): string {
  return `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${password}\n`;
}

function appInputs(tags: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    tags,
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': registryAuth(),
    ...extra,
  };
}

async function run(options: RunActionOptions): Promise<ActionRun> {
  return runAction({ home, ...options });
}

/** Fails if a secret (raw, base64, base64 of user:secret) appears anywhere the action wrote or printed. */
function expectNoSecretLeak(result: ActionRun, secrets: string[]): void {
  expect(
    findSecretLeaks(
      result,
      secrets.map((secret) => ({ secret, username: engine.username })),
      [home],
    ),
  ).toEqual([]);
}

function failureMessage(result: ActionRun): string {
  return result.main.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .join('\n');
}

beforeAll(() => {
  engine = loadEngineEnv();
  home = runnerHome();
});

describe('push event', () => {
  const name = `e2e/app-${unique()}`;
  let result: ActionRun;

  beforeAll(async () => {
    result = await run({ eventName: 'push', payload: event('push'), inputs: appInputs(`${engine.registry}/${name}:1.0.0,${engine.registry}/${name}:latest`) });
  });

  it('succeeds and reports a verified push', () => {
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.pushed).toBe('true');
    expect(result.outputs.platforms).toBe('linux/amd64,linux/arm64');
    expect(result.outputs.tags).toBe(`${engine.registry}/${name}:1.0.0\n${engine.registry}/${name}:latest`);
  });

  it('pushed an index with both platforms under every tag, with the digest the action reported', async () => {
    for (const tag of ['1.0.0', 'latest']) {
      const manifest = await registryManifest(engine, name, tag);
      expect(manifest.status).toBe(200);
      expect(indexPlatforms(manifest.json!)).toEqual(['linux/amd64', 'linux/arm64']);
      expect(manifest.digest).toBe(result.outputs.digest);
    }
    expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.parse(result.outputs.metadata ?? '{}')['containerimage.digest']).toBe(result.outputs.digest);
  });

  it('built the arm64 image under emulation: it prints aarch64', () => {
    const config = testDockerConfig(engine);
    const ref = `${engine.registry}/${name}:1.0.0`;
    const arm = docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/arm64', ref, 'cat', '/arch'], config);
    expect(arm.stderr).not.toMatch(/exec format error/);
    expect(arm.stdout.trim()).toBe('aarch64');
    const amd = docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/amd64', ref, 'cat', '/arch'], config);
    expect(amd.stdout.trim()).toBe('x86_64');
    docker(['image', 'rm', ref], config);
  });

  it('writes a summary with tags, digest, platforms and the push reason', () => {
    // One table row for the image: its tags, the digest, both platforms, pushed and why.
    expect(result.summary).toContain('`1.0.0` `latest`');
    expect(result.summary).toContain(`docker pull ${engine.registry}/${name}@${result.outputs.digest}`);
    expect(result.summary).toMatch(/linux\/amd64,? linux\/arm64/);
    expect(result.summary).toMatch(/\| yes: event push pushes/);
    expect(result.summary).toMatch(/\d+ of \d+ build steps cached/);
    for (const phase of ['inputs', 'login', 'qemu', 'builder', 'build', 'verify']) expect(result.summary).toMatch(new RegExp(`[:·] ${phase} [0-9.]+ m?s`));
  });

  it('logs each phase in a group', () => {
    for (const phase of ['inputs', 'context', 'plan', 'login', 'qemu', 'builder', 'build', 'verify']) expect(result.main.stdout).toContain(`::group::${phase}\n`);
  });

  it('logs out and removes its files at the end of main, so the post step is skipped; keeps the user config as it was', () => {
    expect(result.main.log).toContain(`Logged out of ${engine.registry}`);
    expect(result.jobStatus).toBe('success');
    expect(result.post).toBeUndefined();
    const leftovers = readdirSync(result.runnerTemp).filter((entry) => entry.startsWith('build-push-'));
    expect(leftovers).toEqual([]);
    const userConfig = JSON.parse(readFileSync(path.join(home, '.docker', 'config.json'), 'utf8'));
    expect(Object.keys(userConfig.auths)).toEqual([EARLIER_LOGIN.registry]);
    expectNoSecretLeak(result, [engine.password]);
  });
});

describe('docker/metadata-action rules (images + tags)', () => {
  const name = `e2e/meta-${unique()}`;
  const sha = 'abcdef0123456789abcdef0123456789abcdef01';
  let result: ActionRun;

  beforeAll(async () => {
    result = await run({
      eventName: 'push',
      ref: 'refs/tags/v1.2.3',
      sha,
      payload: {
        ref: 'refs/tags/v1.2.3',
        repository: { name: 'app', full_name: 'acme/app', html_url: 'https://github.com/acme/app', description: 'An app', license: { spdx_id: 'MIT' }, default_branch: 'main' },
      },
      inputs: {
        ...appInputs(''),
        images: `${engine.registry}/${name}`,
        tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=sha',
        labels: 'org.opencontainers.image.vendor=Acme',
      },
    });
  });

  it('pushes every computed tag to the same index', async () => {
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.version).toBe('1.2.3');
    expect((result.outputs.tags ?? '').split('\n')).toEqual([
      `${engine.registry}/${name}:1.2.3`,
      `${engine.registry}/${name}:1.2`,
      `${engine.registry}/${name}:sha-abcdef0`,
      `${engine.registry}/${name}:latest`,
    ]);
    for (const tag of ['1.2.3', '1.2', 'sha-abcdef0', 'latest']) {
      const manifest = await registryManifest(engine, name, tag);
      expect(manifest.digest, tag).toBe(result.outputs.digest);
    }
  });

  it('writes the OCI annotations on the index and the labels into each image config', async () => {
    const index = await registryManifest(engine, name, '1.2.3');
    expect(index.json!.annotations).toMatchObject({
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.source': 'https://github.com/acme/app',
      'org.opencontainers.image.licenses': 'MIT',
      'org.opencontainers.image.title': 'app',
    });
    const arm = (index.json as ImageIndex).manifests.find((entry) => entry.platform?.architecture === 'arm64');
    const image = await registryManifest(engine, name, arm!.digest);
    expect(image.json!.annotations!['org.opencontainers.image.version']).toBe('1.2.3');
    const config = await registryBlob(engine, name, (image.json as ImageManifest).config.digest);
    expect(config.json!.config!.Labels).toMatchObject({
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.description': 'An app',
      'org.opencontainers.image.vendor': 'Acme',
    });
    expect(JSON.parse(result.outputs.json ?? '{}').labels['org.opencontainers.image.vendor']).toBe('Acme');
  });
});

describe('reproducible: true', () => {
  it('sets SOURCE_DATE_EPOCH from the commit time: the image config and the created label follow the commit', async () => {
    const name = `e2e/repro-${unique()}`;
    const sha = '1111111111111111111111111111111111111111';
    const committed = '2026-01-02T03:04:05Z';
    const result = await run({
      eventName: 'push',
      sha,
      payload: { ref: 'refs/heads/main', head_commit: { id: sha, timestamp: committed }, repository: { name: 'app', html_url: 'https://github.com/acme/app' } },
      inputs: { ...appInputs(''), images: `${engine.registry}/${name}`, tags: 'type=raw,value=r1', reproducible: 'true' },
    });
    expect(result.main.exitCode, result.main.log).toBe(0);
    const index = await registryManifest(engine, name, 'r1');
    expect(index.json!.annotations!['org.opencontainers.image.created']).toBe('2026-01-02T03:04:05.000Z');
    const amd = (index.json as ImageIndex).manifests.find((entry) => entry.platform?.architecture === 'amd64');
    const image = await registryManifest(engine, name, amd!.digest);
    const config = await registryBlob(engine, name, (image.json as ImageManifest).config.digest);
    expect(config.json!.created).toBe('2026-01-02T03:04:05Z');
    expect(config.json!.config!.Labels!['org.opencontainers.image.created']).toBe('2026-01-02T03:04:05.000Z');
  });
});

describe('pull_request event', () => {
  const name = `e2e/pr-${unique()}`;
  let result: ActionRun;

  beforeAll(async () => {
    result = await run({ eventName: 'pull_request', ref: 'refs/pull/7/merge', payload: event('pull_request'), inputs: appInputs(`${engine.registry}/${name}:pr-7`) });
  });

  it('builds both platforms but pushes nothing, and says why', async () => {
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.pushed).toBe('false');
    const buildCommand = result.main.log.split('\n').find((line) => /^\[command\]\S*docker[ -]buildx build /.test(line));
    expect(buildCommand, result.main.log).toBeDefined();
    // (buildx itself may print advice mentioning --push: only the command line counts)
    expect(buildCommand).not.toMatch(/--push/);
    expect(result.summary).toContain('no: event pull_request does not push');
    expect((await registryManifest(engine, name, 'pr-7')).status).toBe(404);
    expectNoSecretLeak(result, [engine.password]);
  });
});

describe('dry-run', () => {
  it('prints the plan and writes outputs without starting any docker process', async () => {
    // A `docker` first on PATH that records every call: it must never be called.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
    const marker = path.join(bin, 'called');
    writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\necho "$@" >> ${marker}\nexit 1\n`);
    chmodSync(path.join(bin, 'docker'), 0o755);
    const tag = `${engine.registry}/e2e/dry-${unique()}:1`;
    const result = await run({ eventName: 'push', payload: event('push'), path: `${bin}:${process.env.PATH}`, inputs: appInputs(tag, { 'dry-run': 'true' }) });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(result.outputs.pushed).toBe('false');
    expect(result.outputs.tags).toBe(tag);
    const plan = JSON.parse(result.outputs.plan ?? '{}');
    expect(plan.push).toEqual({ push: true, reason: 'event push pushes (push: auto)' });
    expect(plan.buildx).toEqual(expect.arrayContaining(['docker', 'buildx', 'build', '--push', '--tag', tag, 'example/app']));
    expect(result.summary).toContain('dry run');
    expect((await registryManifest(engine, tag.split('/').slice(1).join('/').split(':')[0]!, '1')).status).toBe(404);
    // Main succeeded: post-if (failure() || cancelled()) skips the post step.
    expect(result.jobStatus).toBe('success');
    expect(result.post).toBeUndefined();
  });
});

describe('failures fail the step with one clear message', () => {
  const cases: { title: string; inputs: () => Record<string, string>; expected: () => RegExp }[] = [
    {
      title: 'a Dockerfile error',
      inputs: () => appInputs(`${engine.registry}/e2e/broken-${unique()}:1`, { context: 'test/fixtures/broken-app' }),
      expected: () => /build: docker buildx build failed[\s\S]*exit code: 3/,
    },
    {
      title: 'a wrong password',
      inputs: () => appInputs(`${engine.registry}/e2e/badpass-${unique()}:1`, { 'registry-auth': registryAuth('definitely-wrong-password') }),
      expected: () => new RegExp(`login: login to ${engine.registry} as ci \\(from registry-auth\\) was refused`),
    },
    {
      title: 'an unknown platform',
      inputs: () => appInputs(`${engine.registry}/e2e/plat-${unique()}:1`, { platforms: 'linux/amd64,linux/sparc' }),
      expected: () => /inputs: input "platforms": "linux\/sparc": unknown architecture "sparc".*Example of a valid value: linux\/amd64,linux\/arm64/,
    },
    {
      title: 'a missing context folder',
      inputs: () => appInputs(`${engine.registry}/e2e/ctx-${unique()}:1`, { context: 'no/such/folder' }),
      expected: () => /plan: input "context": the folder "no\/such\/folder" does not exist/,
    },
  ];

  for (const testCase of cases) {
    it(testCase.title, async () => {
      const inputs = testCase.inputs();
      const result = await run({ eventName: 'push', payload: event('push'), inputs });
      expect(result.main.exitCode).toBe(1);
      expect(failureMessage(result)).toMatch(testCase.expected());
      expect(failureMessage(result)).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
      expect(result.outputs.pushed).toBe('false');
      const [repository, tag] = (inputs.tags ?? '').slice(engine.registry.length + 1).split(':');
      expect((await registryManifest(engine, repository!, tag!)).status).toBe(404);
      expect(result.post?.exitCode).toBe(0);
      expect(readdirSync(result.runnerTemp).filter((entry) => entry.startsWith('build-push-'))).toEqual([]);
      expectNoSecretLeak(result, [engine.password, 'definitely-wrong-password']);
    });
  }
});

describe('post step', () => {
  it('has nothing to do when main stopped before setting anything up', async () => {
    const result = await run({ eventName: 'push', payload: event('push'), inputs: appInputs('Not A Valid Tag') });
    expect(result.main.exitCode).toBe(1);
    expect(failureMessage(result)).toMatch(/input "tags"/);
    expect(result.post?.exitCode).toBe(0);
    expect(result.post?.log).toContain('Nothing to clean up: the main step set nothing up.');
  });

  it('runs when the job is cancelled during the build: buildx is stopped, nothing is pushed, nothing is left behind', async () => {
    const name = `e2e/cancelled-${unique()}`;
    // A build that takes a while (no cache), cancelled the moment buildx starts.
    const result = await run({
      eventName: 'push',
      payload: event('push'),
      inputs: appInputs(`${engine.registry}/${name}:1`, { 'no-cache': 'true' }),
      cancelWhen: (line: string) => /^\[command\]\S*docker[ -]buildx build /.test(line),
    });
    expect(result.main.cancelled).toBe(true);
    expect(result.jobStatus).toBe('cancelled');
    expect(result.main.exitCode, result.main.log).toBe(130);
    expect(result.main.log).toContain('build-push was stopped (SIGINT); stopping docker and cleaning up');
    // Main cleans up on the way out; post (cancelled()) runs and finds nothing left.
    expect(result.main.log).toContain(`Logged out of ${engine.registry}`);
    expect(result.outputs.pushed ?? 'false').toBe('false');
    expect(result.post?.exitCode).toBe(0);
    expect(result.post?.log).toContain('Nothing to clean up: the main step cleaned up after itself.');
    expect(readdirSync(result.runnerTemp).filter((entry) => entry.startsWith('build-push-'))).toEqual([]);
    // buildx was stopped with the step, not left to push on its own.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await registryManifest(engine, name, '1')).status).toBe(404);
    expectNoSecretLeak(result, [engine.password]);
  });

  it('is skipped when timeout-minutes stops the step under continue-on-error (the job stays green), and main leaves nothing behind', async () => {
    const name = `e2e/timed-out-${unique()}`;
    const result = await run({
      eventName: 'push',
      payload: event('push'),
      inputs: appInputs(`${engine.registry}/${name}:1`, { 'no-cache': 'true' }),
      timeOutWhen: (line: string) => /^\[command\]\S*docker[ -]buildx build /.test(line),
      continueOnError: true,
    });
    expect(result.jobStatus).toBe('success');
    expect(result.post).toBeUndefined();
    expect(result.main.exitCode, result.main.log).toBe(130);
    expect(result.main.log).toContain(`Logged out of ${engine.registry}`);
    expect(readdirSync(result.runnerTemp).filter((entry) => entry.startsWith('build-push-'))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await registryManifest(engine, name, '1')).status).toBe(404);
    expectNoSecretLeak(result, [engine.password]);
  });
});
