// cache: local end to end: the cache folder is saved and restored through the real
// @actions/cache library, against a local cache service speaking its protocol
// (test/e2e/cache-service.mjs). The second build, after the local build cache is wiped and
// one file changed, takes the unchanged steps from the restored folder.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper
import { startCacheService } from './cache-service.mjs';
// @ts-expect-error plain ESM helpers shared with the demo and benchmark scripts
import { docker, loadEngineEnv, runStepFromCache, runnerHome } from './engine.mjs';
// @ts-expect-error plain ESM helpers shared with the demo and benchmark scripts
import { REPO_ROOT, runAction } from './runner.mjs';

interface Run {
  main: { exitCode: number; log: string };
}

interface CacheService {
  env: Record<string, string>;
  entries: { key: string; committed: boolean; data: Buffer }[];
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

let engine: { registry: string; username: string; password: string; baseImage: string };
let home: string;
let workspace: string;
let service: CacheService;
const repository = `e2e/cache-local-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  engine = loadEngineEnv();
  home = runnerHome();
  workspace = mkdtempSync(path.join(os.tmpdir(), 'cache-local-'));
  cpSync(path.join(REPO_ROOT, 'example', 'app'), path.join(workspace, 'app'), { recursive: true });
  service = (await startCacheService()) as CacheService;
});

afterAll(async () => service?.close());

async function build(sha: string): Promise<Run> {
  return (await runAction({
    home,
    workspace,
    eventName: 'push',
    sha,
    env: service.env,
    inputs: {
      tags: `${engine.registry}/${repository}:${sha.slice(0, 7)}`,
      context: 'app',
      cache: 'local',
      'build-args': `BASE_IMAGE=${engine.baseImage}`,
      'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    },
  })) as Run;
}

describe('cache: local through @actions/cache', () => {
  it('saves the cache folder, and a later build on another commit restores it and reuses its steps', async () => {
    const first = await build('1'.repeat(40));
    expect(first.main.exitCode, first.main.log).toBe(0);
    expect(first.main.log).toContain('cache: no saved cache yet');
    expect(first.main.log).toMatch(/cache: saved build-push-e2e-cache-local-/);
    const saved = service.entries.filter((entry) => entry.committed);
    expect(saved).toHaveLength(1);
    expect(saved[0]?.data.length).toBeGreaterThan(1000);
    expect(service.requests.some((request) => request.method === 'PATCH')).toBe(true);

    // Nothing local is left: the build cache is pruned and the cache folder deleted, so only
    // the restore through @actions/cache can bring the steps back.
    expect(docker(['buildx', 'prune', '--all', '--force']).status).toBe(0);
    rmSync(path.join(home, '.cache', 'build-push'), { recursive: true, force: true });
    writeFileSync(path.join(workspace, 'app', 'hello.sh'), '#!/bin/sh\necho "hello from the restored cache"\n', { mode: 0o755 });

    const second = await build('2'.repeat(40));
    expect(second.main.exitCode, second.main.log).toBe(0);
    // Restored through the restore-key prefix (the primary key names another commit).
    expect(second.main.log).toMatch(/cache: restored build-push-e2e-cache-local-[0-9a-f]+-1{40}/);
    expect(second.main.log).toMatch(runStepFromCache('amd64'));
    expect(second.main.log).toMatch(runStepFromCache('arm64'));
  });
});
