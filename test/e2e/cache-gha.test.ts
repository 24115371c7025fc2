// cache: gha and cache: auto against GitHub's v2 cache service as github.com runs it (the
// runner gives ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN and ACTIONS_CACHE_SERVICE_V2): a
// local stand-in on 127.0.0.1 speaking its Twirp API and blob store (cache-service-v2.mjs),
// used by BuildKit's own gha client inside the real builder.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageIndex, ImageManifest } from '../../src/oci/model.js';
import { startCacheServiceV2, type CacheServiceV2 } from './cache-service-v2.mjs';
import { docker, imageStore, loadEngineEnv, registryManifest, runStepFromCache, runnerHome, type Engine } from './engine.mjs';
import { REPO_ROOT, runAction, type ActionRun } from './runner.mjs';

let engine: Engine;
let home: string;
let service: CacheServiceV2;
let workspace: string;

/** Whether this engine's buildx speaks the v2 cache service (0.21 and later). */
const [major = 0, minor = 0] = (process.env.E2E_BUILDX_VERSION ?? '').split('.').map(Number);
const speaksV2 = major > 0 || minor >= 21;

beforeAll(async () => {
  engine = loadEngineEnv();
  home = runnerHome();
  service = await startCacheServiceV2();
  // A workspace of its own: the second build changes a file of the app.
  workspace = mkdtempSync(path.join(os.tmpdir(), 'cache-gha-'));
  cpSync(path.join(REPO_ROOT, 'example', 'app'), path.join(workspace, 'app'), { recursive: true });
});
afterAll(async () => service?.close());

async function build(repository: string, tag: string, cache: string): Promise<ActionRun> {
  return await runAction({
    home,
    workspace,
    eventName: 'push',
    ref: 'refs/heads/main',
    cacheService: { v2: service.url, token: service.token },
    inputs: {
      tags: `${engine.registry}/${repository}:${tag}`,
      context: 'app',
      cache,
      'build-args': `BASE_IMAGE=${engine.baseImage}`,
      'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    },
  });
}

/** The RUN layer (the second) of one platform's image under a tag. */
async function runLayer(repository: string, tag: string, architecture: string): Promise<string | undefined> {
  const index = await registryManifest(engine, repository, tag);
  const entry = (index.json as ImageIndex).manifests.find((candidate) => candidate.platform?.architecture === architecture);
  const manifest = await registryManifest(engine, repository, entry?.digest ?? '');
  return (manifest.json as ImageManifest | undefined)?.layers?.[1]?.digest;
}

describe.skipIf(!speaksV2)(`cache: gha on the v2 service (buildx ${process.env.E2E_BUILDX_VERSION}, ${imageStore()} store)`, () => {
  it("writes the cache through BuildKit's gha client, and a rebuild with no local cache takes the RUN steps from it on both platforms", async () => {
    const repository = `e2e/gha-${randomUUID().slice(0, 8)}`;
    const first = await build(repository, '1', 'gha');
    expect(first.main.exitCode, first.main.log).toBe(0);
    expect(first.main.log).toMatch(/Cache: gha reaches the v2 cache service; buildx \d+\.\d+\.\d+, BuildKit/);
    const written = service.entries.filter((entry) => entry.finalized);
    expect(
      written.some((entry) => entry.key.startsWith('buildkit-blob-1-sha256:')),
      JSON.stringify(written.map((entry) => entry.key)),
    ).toBe(true);
    expect(written.some((entry) => entry.key.startsWith('index-'))).toBe(true);

    // No local build cache left (the classic store's builder is the step's own, gone already).
    expect(docker(['buildx', 'prune', '--all', '--force']).status).toBe(0);
    writeFileSync(path.join(workspace, 'app', 'hello.sh'), '#!/bin/sh\necho "hello from the gha cache test"\n', { mode: 0o755 });
    const second = await build(repository, '2', 'gha');
    expect(second.main.exitCode, second.main.log).toBe(0);
    for (const architecture of ['amd64', 'arm64']) {
      expect(second.main.log).toMatch(runStepFromCache(architecture));
      expect(await runLayer(repository, '2', architecture), `linux/${architecture} RUN layer`).toBe(await runLayer(repository, '1', architecture));
    }
  });

  it('cache: auto picks gha when the job has the service and the builder speaks v2', async () => {
    const result = await build(`e2e/gha-${randomUUID().slice(0, 8)}`, '1', 'auto');
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.main.log).toMatch(/Cache: GitHub Actions cache \(v2 service [^\n]*\), scope /);
    expect(result.main.log).toMatch(/--cache-to type=gha,[^ ]*mode=max/);
  });

  it('a cache service that refuses writes costs the cache, never the build', async () => {
    service.fail('CreateCacheEntry', { status: 500, code: 'internal', msg: 'the cache service is down', times: Infinity });
    const repository = `e2e/gha-${randomUUID().slice(0, 8)}`;
    writeFileSync(path.join(workspace, 'app', 'hello.sh'), `#!/bin/sh\necho "${randomUUID()}"\n`, { mode: 0o755 });
    const result = await build(repository, '1', 'gha');
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.pushed).toBe('true');
    expect(result.main.stdout).toMatch(/::warning::.*cache/i);
    expect((await registryManifest(engine, repository, '1')).status).toBe(200);
  });
});

describe.skipIf(speaksV2)(`cache on the v2 service with buildx ${process.env.E2E_BUILDX_VERSION} (before 0.21: no v2 client)`, () => {
  it('cache: auto says why it builds without a cache, and the build succeeds', async () => {
    const result = await build(`e2e/gha-${randomUUID().slice(0, 8)}`, '1', 'auto');
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.main.log).toMatch(/no cache: buildx 0\.13\.\d+ does not speak the v2 cache service this job has \(buildx 0\.21\.0 or later does\)/);
    // The plan printed earlier lists what auto would ask; the build itself runs without it.
    const buildCommand = result.main.log.split('\n').find((line) => /^\[command\]\S*docker[ -]buildx build /.test(line));
    expect(buildCommand, result.main.log).toBeDefined();
    expect(buildCommand).not.toContain('type=gha');
  });

  it('cache: gha asked for by name fails before building, naming the input and what works', async () => {
    const result = await build(`e2e/gha-${randomUUID().slice(0, 8)}`, '1', 'gha');
    expect(result.main.exitCode).toBe(1);
    expect(result.main.stdout).toMatch(/::error::.*input "cache": gha cannot be used here: buildx 0\.13\.\d+ does not speak the v2 cache service/);
  });
});
