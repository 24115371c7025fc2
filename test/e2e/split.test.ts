// Split native builds end to end: two runs of the action each build one platform
// (amd64 natively, arm64 under QEMU here) and push it by digest only; a third run merges
// the digests into one multi-platform tag. The docker driver path (OCI layout pushed
// through the registry API) is the one that runs on these machines.
import { mkdtempSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, indexPlatforms, loadEngineEnv, registryManifest, runnerHome, testDockerConfig, type Engine } from './engine.mjs';
import { runAction, type ActionRun } from './runner.mjs';

let engine: Engine;
let home: string;
const repository = `e2e/split-${randomUUID().slice(0, 8)}`;
const digestDir = mkdtempSync(path.join(os.tmpdir(), 'digests-'));

beforeAll(() => {
  engine = loadEngineEnv();
  home = runnerHome();
});

async function run(extra: Record<string, string>): Promise<ActionRun> {
  return await runAction({
    home,
    eventName: 'push',
    ref: 'refs/heads/main',
    inputs: {
      images: `${engine.registry}/${repository}`,
      tags: 'type=raw,value=merged',
      context: 'example/app',
      'build-args': `BASE_IMAGE=${engine.baseImage}`,
      'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
      'digest-dir': digestDir,
      ...extra,
    },
  });
}

describe('split build: push by digest, then merge', () => {
  const digests: string[] = [];

  it.each(['linux/amd64', 'linux/arm64'])('%s is pushed by digest only, and its digest file written', async (platform) => {
    const result = await run({ 'push-by-digest': 'true', platforms: platform });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.pushed).toBe('true');
    const digest = result.outputs.digest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    digests.push(digest);
    const byDigest = await registryManifest(engine, repository, digest);
    expect(byDigest.status).toBe(200);
    expect(readdirSync(digestDir)).toContain(digest.slice('sha256:'.length));
    // No tag was created by a push-by-digest run.
    expect((await registryManifest(engine, repository, 'merged')).status).toBe(404);
  });

  it('the merge run creates the tag listing both platforms, and both images run', async () => {
    const result = await run({ 'merge-digests': digestDir });
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs.pushed).toBe('true');
    const merged = await registryManifest(engine, repository, 'merged');
    expect(merged.status).toBe(200);
    expect(indexPlatforms(merged.json!)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(merged.digest).toBe(result.outputs.digest);
    const config = testDockerConfig(engine);
    const ref = `${engine.registry}/${repository}:merged`;
    expect(docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/arm64', ref, 'cat', '/arch'], config).stdout.trim()).toBe('aarch64');
    expect(docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/amd64', ref, 'cat', '/arch'], config).stdout.trim()).toBe('x86_64');
    docker(['image', 'rm', ref], config);
    expect(digests).toHaveLength(2);
  });
});
