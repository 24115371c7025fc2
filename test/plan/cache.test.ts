import { describe, expect, it } from 'vitest';
import { cacheScope, cacheServiceOf, failedCacheExports, ghaCacheReach, hasCacheService, planCache, withoutGhaCache, type CacheService, type Version } from '../../src/plan/cache.js';
import { parseBuildkitVersion } from '../../src/phases/builder.js';
import { inputsFrom } from '../support/inputs.js';

/** What a github.com runner gives a JavaScript action's step: the v2 cache service. */
const GHA_ENV = { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'https://results.example/', ACTIONS_CACHE_SERVICE_V2: 'true' };
/** What a GHES runner gives it: the v1 REST API. */
const GHES_ENV = { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_URL: 'https://ghes.example/_services/artifactcache/' };

describe('planCache', () => {
  const tagged = (extra: Record<string, string> = {}) => inputsFrom({ tags: 'ghcr.io/acme/app:1', ...extra });

  it('auto is the GitHub cache when the job has the cache service, none otherwise', () => {
    expect(planCache(tagged(), true, GHA_ENV, '/w')).toMatchObject({ mode: 'gha', from: ['type=gha,scope=acme-app'], to: ['type=gha,scope=acme-app,mode=max,ignore-error=true'] });
    expect(planCache(tagged(), true, GHES_ENV, '/w')).toMatchObject({ mode: 'gha', from: ['type=gha,scope=acme-app'] });
    expect(planCache(tagged(), true, {}, '/w')).toMatchObject({ mode: 'none', from: [], to: [] });
    expect(hasCacheService({ ACTIONS_RUNTIME_TOKEN: 't' })).toBe(false);
  });

  it('the plan says which service, and that auto on v2 depends on the builder', () => {
    expect(planCache(tagged(), true, GHA_ENV, '/w').reason).toBe('GitHub Actions cache (v2 service if the builder speaks it (buildx >= 0.21.0, BuildKit >= 0.20.0)), scope acme-app');
    expect(planCache(tagged({ cache: 'gha' }), true, GHA_ENV, '/w').reason).toBe('GitHub Actions cache (v2 service), scope acme-app');
    expect(planCache(tagged(), false, GHES_ENV, '/w').reason).toBe('GitHub Actions cache (v1 service), scope acme-app (read only: this run does not push; set cache-write to write)');
    expect(planCache(tagged({ cache: 'gha' }), true, {}, '/w').reason).toBe('GitHub Actions cache (no service available to this job), scope acme-app');
  });

  it('every cache export the step plans is ignore-error=true: a cache is never worth a failed build', () => {
    for (const cache of ['gha', 'registry', 'local']) {
      const plan = planCache(tagged({ cache }), true, { ...GHA_ENV, HOME: '/home/runner' }, '/w');
      expect(plan.to, cache).toHaveLength(1);
      expect(plan.to[0], cache).toMatch(/,ignore-error=true$/);
      // Imports need none: BuildKit goes on without a cache it cannot read.
      expect(plan.from.join(), cache).not.toContain('ignore-error');
    }
  });

  it('never puts the cache token in the flags (buildx reads it from the environment)', () => {
    expect(JSON.stringify(planCache(tagged({ cache: 'gha' }), true, { ...GHA_ENV, ACTIONS_RUNTIME_TOKEN: 'SECRET' }, '/w'))).not.toContain('SECRET');
  });

  it('registry: <first image>:buildcache with mode=max and OCI manifests; per platform for split builds', () => {
    expect(planCache(tagged({ cache: 'registry' }), true, {}, '/w')).toMatchObject({
      from: ['type=registry,ref=ghcr.io/acme/app:buildcache'],
      to: ['type=registry,ref=ghcr.io/acme/app:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true'],
    });
    expect(planCache(tagged({ cache: 'registry' }), true, {}, '/w', 'linux/arm64').from).toEqual(['type=registry,ref=ghcr.io/acme/app:buildcache-linux-arm64']);
  });

  it('a run that does not push only reads, unless cache-write', () => {
    expect(planCache(tagged({ cache: 'registry' }), false, {}, '/w')).toMatchObject({ to: [] });
    expect(planCache(tagged({ cache: 'registry', 'cache-write': 'true' }), false, {}, '/w').to).toHaveLength(1);
  });

  it('local: reads one folder, writes a new one to swap in (bounded growth)', () => {
    const plan = planCache(tagged({ cache: 'local' }), true, { HOME: '/home/runner' }, '/w');
    expect(plan.from).toEqual(['type=local,src=/home/runner/.cache/build-push/acme-app']);
    expect(plan.to).toEqual(['type=local,dest=/home/runner/.cache/build-push/acme-app-new,mode=max,ignore-error=true']);
    // @actions/cache gets the ~ form: its cache version hashes the paths, which must not change between runs.
    expect(plan.local).toMatchObject({ cachePath: '~/.cache/build-push/acme-app', key: 'build-push-acme-app', restoreKeys: ['build-push-acme-app-'] });
  });

  it('raw cache-from/cache-to win', () => {
    const plan = planCache(tagged({ cache: 'gha', 'cache-from': 'type=local,src=/c' }), true, GHA_ENV, '/w');
    expect(plan).toMatchObject({ from: ['type=local,src=/c'], to: [] });
  });

  it('scopes by image, target and platform', () => {
    expect(cacheScope('ghcr.io/acme/app', 'runtime', 'linux/arm64')).toBe('acme-app-runtime-linux-arm64');
  });

  it('the cache input is validated', () => {
    expect(() => inputsFrom({ cache: 'redis' })).toThrow(/input "cache": "redis" is not one of auto, gha, registry, local, none/);
  });
});

describe('the cache service a job has', () => {
  it.each<[string, Record<string, string>, CacheService | undefined]>([
    ['github.com (v2)', GHA_ENV, 'v2'],
    ['github.com, flag spelled as Go reads it', { ...GHA_ENV, ACTIONS_CACHE_SERVICE_V2: 'True' }, 'v2'],
    ['github.com runner that also sets the v1 URL', { ...GHA_ENV, ACTIONS_CACHE_URL: 'https://old.example/' }, 'v2'],
    ['GHES (v1)', GHES_ENV, 'v1'],
    ['v2 flag off: the v1 URL', { ...GHES_ENV, ACTIONS_RESULTS_URL: 'https://results.example/', ACTIONS_CACHE_SERVICE_V2: 'false' }, 'v1'],
    ['results URL without the v2 flag: neither', { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'https://results.example/' }, undefined],
    ['no token', { ACTIONS_RESULTS_URL: 'https://results.example/', ACTIONS_CACHE_SERVICE_V2: 'true' }, undefined],
    ['a run step (no runtime variables)', {}, undefined],
  ])('%s', (_, env, expected) => {
    expect(cacheServiceOf(env)).toBe(expected);
    expect(hasCacheService(env)).toBe(expected !== undefined);
  });
});

describe("ghaCacheReach: whether buildx and the builder speak the job's cache service", () => {
  const v = (text: string): Version => text.split('.').map(Number) as unknown as Version;
  it.each<[CacheService | undefined, string | undefined, string | undefined, boolean, string]>([
    ['v2', '0.21.0', '0.20.0', true, 'the v2 cache service; buildx 0.21.0, BuildKit 0.20.0'],
    ['v2', '0.29.1', '0.33.1', true, 'the v2 cache service; buildx 0.29.1, BuildKit 0.33.1'],
    ['v2', '0.20.2', '0.33.1', false, 'buildx 0.20.2 does not speak the v2 cache service this job has (buildx 0.21.0 or later does)'],
    ['v2', '0.13.1', '0.13.2', false, 'buildx 0.13.1 does not speak the v2 cache service this job has (buildx 0.21.0 or later does)'],
    ['v2', '0.29.1', '0.19.4', false, "the builder's BuildKit 0.19.4 does not speak the v2 cache service this job has (BuildKit 0.20.0 or later does)"],
    ['v2', '1.0.0', '1.0.0', true, 'the v2 cache service; buildx 1.0.0, BuildKit 1.0.0'],
    ['v2', undefined, '0.20.0', true, 'the v2 cache service; buildx (version unknown), BuildKit 0.20.0: buildx taken to speak v2'],
    ['v2', '0.21.0', undefined, true, 'the v2 cache service; buildx 0.21.0, BuildKit (version unknown): BuildKit taken to speak v2'],
    ['v1', '0.13.1', '0.13.2', true, 'the v1 cache service (GHES)'],
    [undefined, '0.29.1', '0.33.1', false, 'the GitHub cache service is not available to this job'],
  ])('%s with buildx %s and BuildKit %s → %s', (service, buildx, buildkit, reachable, reason) => {
    expect(ghaCacheReach(service, buildx ? v(buildx) : undefined, buildkit ? v(buildkit) : undefined)).toEqual({ reachable, reason });
  });
});

describe('parseBuildkitVersion: what docker buildx inspect prints', () => {
  it.each([
    [
      'Name:          builder\nDriver:        docker-container\nNodes:\nName:                  builder0\nStatus:                running\nBuildKit version:      v0.20.2\nPlatforms:             linux/amd64',
      [0, 20, 2],
    ],
    ['Name: default\nDriver: docker\nBuildKit version: v0.26.3-moby\n', [0, 26, 3]],
    ['Buildkit:  v0.12.5\n', [0, 12, 5]],
    ['BuildKit version: v0.0.0+unknown\n', undefined],
    ['Status: inactive\n', undefined],
  ])('%j → %j', (text, expected) => {
    expect(parseBuildkitVersion(text)).toEqual(expected);
  });
});

describe('withoutGhaCache', () => {
  it('drops the planned gha flags and nothing else', () => {
    const plan = planCache(inputsFrom({ tags: 'ghcr.io/acme/app:1' }), true, GHA_ENV, '/w');
    const args = [
      'buildx',
      'build',
      '--cache-from',
      'type=gha,scope=acme-app',
      '--cache-to',
      'type=gha,scope=acme-app,mode=max,ignore-error=true',
      '--cache-from',
      'type=gha,scope=other',
      '--push',
      '.',
    ];
    expect(withoutGhaCache(args, plan)).toEqual(['buildx', 'build', '--cache-from', 'type=gha,scope=other', '--push', '.']);
    expect(withoutGhaCache(['buildx', 'build', '--cache-from=type=gha,scope=acme-app', '.'], plan)).toEqual(['buildx', 'build', '.']);
  });
});

describe('failedCacheExports: what BuildKit reports when an ignored cache export fails', () => {
  it.each([
    [
      'gha answering 500',
      '#14 exporting to GitHub Actions Cache\n#14 preparing build cache for export\n#14 writing layer sha256:abc\n#14 ERROR: error writing layer blob: unknown error 500 Internal Server Error: {"code":"internal"}\n#15 resolving provenance for metadata file\n#15 DONE 0.0s',
      ['exporting to GitHub Actions Cache: error writing layer blob: unknown error 500 Internal Server Error: {"code":"internal"}'],
    ],
    [
      'registry refusing the cache tag',
      '#20 exporting cache to registry\n#20 preparing build cache for export\n#20 ERROR: failed to push ghcr.io/acme/app:buildcache: 403 Forbidden',
      ['exporting cache to registry: failed to push ghcr.io/acme/app:buildcache: 403 Forbidden'],
    ],
    ['a cache export that worked', '#14 exporting to GitHub Actions Cache\n#14 preparing build cache for export 0.4s done\n#14 DONE 1.2s', []],
    ['a failed RUN step is not a cache export', '#7 [2/3] RUN false\n#7 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1', []],
  ])('%s', (_, output, expected) => {
    expect(failedCacheExports(output)).toEqual(expected);
  });
});
