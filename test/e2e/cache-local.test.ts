// cache: local end to end: the cache folder is saved and restored through the real
// @actions/cache library, against a local cache service speaking its protocol: the v2
// service github.com has (test/e2e/cache-service-v2.mjs) and the v1 one GHES has
// (test/e2e/cache-service.mjs). The second build, after the local build cache is wiped and
// one file changed, takes the unchanged steps from the restored folder.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheService } from './cache-service.mjs';
import { startCacheServiceV2 } from './cache-service-v2.mjs';
import { docker, loadEngineEnv, runStepFromCache, runnerHome, type Engine } from './engine.mjs';
import { REPO_ROOT, runAction, type ActionRun } from './runner.mjs';

/** What the test reads of either service: the step's variables, the saved data, whether data was uploaded. */
interface CacheService {
  env: Record<string, string>;
  saved(): Buffer[];
  uploaded(): boolean;
  close(): Promise<void>;
}

const SERVICES: { name: string; start: () => Promise<CacheService> }[] = [
  {
    name: 'the v2 cache service (github.com)',
    start: async () => {
      const service = await startCacheServiceV2();
      return {
        env: service.env,
        saved: () => service.entries.filter((entry) => entry.finalized).map((entry) => service.dataOf(entry) ?? Buffer.alloc(0)),
        uploaded: () => service.requests.some((request) => request.route.startsWith('blob-put')),
        close: () => service.close(),
      };
    },
  },
  {
    name: 'the v1 cache service (GHES)',
    start: async () => {
      const service = await startCacheService();
      return {
        env: service.env,
        saved: () => service.entries.filter((entry) => entry.committed).map((entry) => entry.data),
        uploaded: () => service.requests.some((request) => request.method === 'PATCH'),
        close: () => service.close(),
      };
    },
  },
];

let engine: Engine;
let home: string;
let workspace: string;
let service: CacheService;
let repository: string;

beforeAll(() => {
  engine = loadEngineEnv();
});

async function build(sha: string): Promise<ActionRun> {
  return await runAction({
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
  });
}

describe.each(SERVICES)('cache: local through @actions/cache, $name', ({ start }) => {
  beforeAll(async () => {
    home = runnerHome();
    repository = `e2e/cache-local-${randomUUID().slice(0, 8)}`;
    workspace = mkdtempSync(path.join(os.tmpdir(), 'cache-local-'));
    cpSync(path.join(REPO_ROOT, 'example', 'app'), path.join(workspace, 'app'), { recursive: true });
    service = await start();
  });
  afterAll(async () => service?.close());

  it('saves the cache folder, and a later build on another commit restores it and reuses its steps', async () => {
    const first = await build('1'.repeat(40));
    expect(first.main.exitCode, first.main.log).toBe(0);
    expect(first.main.log).toContain('cache: no saved cache yet');
    expect(first.main.log).toMatch(/cache: saved build-push-e2e-cache-local-/);
    const saved = service.saved();
    expect(saved).toHaveLength(1);
    expect(saved[0]?.length).toBeGreaterThan(1000);
    expect(service.uploaded()).toBe(true);

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
