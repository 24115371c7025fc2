import { describe, expect, it } from 'vitest';
import { cacheScope, hasCacheService, planCache } from '../src/cache.js';
import { inputsFrom } from './support/inputs.js';

const GHA_ENV = { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'https://results.example/' };

describe('planCache', () => {
  const tagged = (extra: Record<string, string> = {}) => inputsFrom({ tags: 'ghcr.io/acme/app:1', ...extra });

  it('auto is the GitHub cache when the job has the cache service, none otherwise', () => {
    expect(planCache(tagged(), true, GHA_ENV, '/w')).toMatchObject({ mode: 'gha', from: ['type=gha,scope=acme-app'], to: ['type=gha,scope=acme-app,mode=max'] });
    expect(planCache(tagged(), true, {}, '/w')).toMatchObject({ mode: 'none', from: [], to: [] });
    expect(hasCacheService({ ACTIONS_RUNTIME_TOKEN: 't' })).toBe(false);
  });

  it('never puts the cache token in the flags (buildx reads it from the environment)', () => {
    expect(JSON.stringify(planCache(tagged({ cache: 'gha' }), true, { ...GHA_ENV, ACTIONS_RUNTIME_TOKEN: 'SECRET' }, '/w'))).not.toContain('SECRET');
  });

  it('registry: <first image>:buildcache with mode=max and OCI manifests; per platform for split builds', () => {
    expect(planCache(tagged({ cache: 'registry' }), true, {}, '/w')).toMatchObject({
      from: ['type=registry,ref=ghcr.io/acme/app:buildcache'],
      to: ['type=registry,ref=ghcr.io/acme/app:buildcache,mode=max,image-manifest=true,oci-mediatypes=true'],
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
    expect(plan.to).toEqual(['type=local,dest=/home/runner/.cache/build-push/acme-app-new,mode=max']);
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

