import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startCacheServiceV2 } from '../e2e/cache-service-v2.mjs';
import { REPO_ROOT, cacheServiceEnv, evaluateStatusCondition, runAction, type JobStatus } from '../e2e/runner.mjs';

describe('the runner emulator evaluates post-if like the runner', () => {
  it.each<[string, JobStatus, boolean]>([
    ['always()', 'cancelled', true],
    ['success()', 'success', true],
    ['success()', 'failure', false],
    ['failure() || cancelled()', 'success', false],
    ['failure() || cancelled()', 'failure', true],
    ['failure() || cancelled()', 'cancelled', true],
    ['${{ failure() }}', 'failure', true],
    ['!success()', 'cancelled', true],
    ['success() && !cancelled()', 'success', true],
    ['(failure() || cancelled()) && !success()', 'failure', true],
  ])('%s with the job %s → %s', (expression, status, expected) => {
    expect(evaluateStatusCondition(expression, status)).toBe(expected);
  });

  it('refuses what it does not understand instead of guessing', () => {
    expect(() => evaluateStatusCondition("github.event_name == 'push'", 'success')).toThrow(/unsupported token/);
    expect(() => evaluateStatusCondition('(failure()', 'success')).toThrow(/missing \)/);
    expect(() => evaluateStatusCondition('failure() cancelled()', 'success')).toThrow(/unexpected/);
  });
});

describe('the runner emulator gives a step the cache service as the runner does', () => {
  it.each([
    [
      { v2: 'http://127.0.0.1:1/', token: 't' },
      { ACTIONS_RESULTS_URL: 'http://127.0.0.1:1/', ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_SERVICE_V2: 'true' },
    ],
    [
      { v1: 'http://127.0.0.1:1/', token: 't' },
      { ACTIONS_CACHE_URL: 'http://127.0.0.1:1/', ACTIONS_RUNTIME_TOKEN: 't' },
    ],
    [undefined, {}],
  ])('cacheServiceEnv(%j)', (service, expected) => {
    expect(cacheServiceEnv(service)).toEqual(expected);
  });

  it('refuses a service without its URL or token', () => {
    expect(() => cacheServiceEnv({ v2: 'http://127.0.0.1:1/' })).toThrow(/token/);
    expect(() => cacheServiceEnv({ token: 't' })).toThrow(/v2 \(github.com\) or v1/);
  });

  it("a step's @actions/cache saves to and restores from the v2 stand-in", async () => {
    const service = await startCacheServiceV2();
    const actionDir = mkdtempSync(path.join(os.tmpdir(), 'cache-step-'));
    try {
      // A step that caches a folder, deletes it and restores it, through the repository's @actions/cache.
      const cacheModule = pathToFileURL(path.join(REPO_ROOT, 'node_modules/@actions/cache/lib/cache.js')).href;
      writeFileSync(path.join(actionDir, 'action.yml'), 'name: cache step\nruns:\n  using: node24\n  main: main.mjs\n');
      writeFileSync(
        path.join(actionDir, 'main.mjs'),
        `import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as cache from ${JSON.stringify(cacheModule)};
const dir = process.env.RUNNER_TEMP + '/data';
mkdirSync(dir);
writeFileSync(dir + '/file', 'cached');
const id = await cache.saveCache([dir], 'step-key-1');
rmSync(dir, { recursive: true });
const hit = await cache.restoreCache([dir], 'step-key-2', ['step-key-']);
appendFileSync(process.env.GITHUB_OUTPUT, 'saved=' + id + '\\nrestored=' + hit + '\\ncontent=' + readFileSync(dir + '/file', 'utf8') + '\\n');
`,
      );
      const run = await runAction({ actionDir, node: process.execPath, workspace: actionDir, cacheService: { v2: service.url, token: service.token } });
      expect(run.main.exitCode, run.main.log + run.main.stderr).toBe(0);
      expect(run.outputs).toMatchObject({ restored: 'step-key-1', content: 'cached' });
      expect(Number(run.outputs.saved)).toBeGreaterThan(0);
      expect(run.main.log).not.toMatch(/::(warning|error)/);
      expect(service.entries).toMatchObject([{ key: 'step-key-1', finalized: true, scope: 'refs/heads/main' }]);
    } finally {
      await service.close();
      rmSync(actionDir, { recursive: true, force: true });
    }
  });
});
