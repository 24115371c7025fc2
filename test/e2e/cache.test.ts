// Registry cache end to end: a second build, after the local build cache is wiped and one
// source file changed, takes the steps before the change from the registry cache.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageIndex, ImageManifest } from '../../src/oci/model.js';
import { docker, loadEngineEnv, registryManifest, runStepFromCache, runnerHome, testDockerConfig, type Engine } from './engine.mjs';
import { REPO_ROOT, runAction, type ActionRun } from './runner.mjs';

let engine: Engine;
let home: string;
let workspace: string;
const repository = `e2e/cache-${randomUUID().slice(0, 8)}`;

beforeAll(() => {
  engine = loadEngineEnv();
  home = runnerHome();
  workspace = mkdtempSync(path.join(os.tmpdir(), 'cache-workspace-'));
  cpSync(path.join(REPO_ROOT, 'example', 'app'), path.join(workspace, 'app'), { recursive: true });
});

async function build(tag: string): Promise<ActionRun> {
  return await runAction({
    home,
    workspace,
    eventName: 'push',
    inputs: {
      tags: `${engine.registry}/${repository}:${tag}`,
      context: 'app',
      cache: 'registry',
      'build-args': `BASE_IMAGE=${engine.baseImage}`,
      'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    },
  });
}

/** The layer digests of one platform's image under a tag of the test repository. */
async function platformLayers(tag: string, architecture: string): Promise<string[]> {
  const index = await registryManifest(engine, repository, tag);
  const entry = (index.json as ImageIndex | undefined)?.manifests?.find((candidate) => candidate.platform?.architecture === architecture);
  expect(entry, `linux/${architecture} in ${repository}:${tag}`).toBeDefined();
  const manifest = await registryManifest(engine, repository, entry?.digest ?? '');
  const layers = (manifest.json as ImageManifest | undefined)?.layers?.map((layer) => layer.digest) ?? [];
  expect(layers, `layers of linux/${architecture} in ${repository}:${tag}`).toHaveLength(3);
  return layers;
}

describe('cache: registry', () => {
  it('writes <image>:buildcache, and a rebuild after wiping the local cache reuses it', async () => {
    const first = await build('1');
    expect(first.main.exitCode, first.main.log).toBe(0);
    expect(first.main.log).toContain(`Cache: registry cache ${engine.registry}/${repository}:buildcache`);
    expect((await registryManifest(engine, repository, 'buildcache')).status).toBe(200);

    // No local build cache left: whatever is CACHED now came from the registry.
    expect(docker(['buildx', 'prune', '--all', '--force']).status).toBe(0);
    writeFileSync(path.join(workspace, 'app', 'hello.sh'), '#!/bin/sh\necho "hello again from $(uname -m)"\n', { mode: 0o755 });

    const second = await build('2');
    expect(second.main.exitCode, second.main.log).toBe(0);
    expect(second.main.log).toMatch(/importing cache manifest from 127\.0\.0\.1:5000\/e2e\/cache-[0-9a-f]+:buildcache/);
    // The RUN step (before the changed COPY) comes from the registry cache on both platforms;
    // the COPY is rebuilt. BuildKit shows a cache hit as CACHED, or as the cached layer being
    // fetched and extracted when the builder no longer has it unpacked (a docker-container
    // builder made for this run never has), never as a run.
    for (const platform of ['amd64', 'arm64']) {
      expect(second.main.log).toMatch(runStepFromCache(platform));
    }
    // The proof: the RUN step's layer is byte for byte the first build's (a RUN that ran again
    // would write files with new times, so a new layer); the COPY layer is new.
    for (const platform of ['amd64', 'arm64']) {
      const [before = [], after = []] = await Promise.all(['1', '2'].map((tag) => platformLayers(tag, platform)));
      expect(after[1], `linux/${platform} RUN layer`).toBe(before[1]);
      expect(after[2], `linux/${platform} COPY layer`).not.toBe(before[2]);
    }

    // And the image is right: the new script, on both platforms.
    const config = testDockerConfig(engine);
    const ref = `${engine.registry}/${repository}:2`;
    const arm = docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/arm64', ref], config);
    expect(arm.stdout).toContain('hello again from aarch64');
    docker(['image', 'rm', ref], config);
  });
});
