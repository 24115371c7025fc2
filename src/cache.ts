import { rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Env } from './context.js';
import { errorMessage } from './errors.js';
import type { Inputs } from './inputs.js';

export type CacheMode = 'auto' | 'gha' | 'registry' | 'local' | 'none';

/** The cache a build uses: buildx flags, plus a folder to restore/save for `local`. */
export interface CachePlan {
  readonly mode: Exclude<CacheMode, 'auto'>;
  readonly reason: string;
  readonly from: readonly string[];
  readonly to: readonly string[];
  readonly local?: {
    readonly dir: string;
    readonly next: string;
    /** The same folder as @actions/cache is given it: `~/...`, so the cache version (a hash of the paths) is the same in every run. */
    readonly cachePath: string;
    readonly key: string;
    readonly restoreKeys: readonly string[];
  };
}

/** Whether the runner gives this job GitHub's cache service (what type=gha needs). */
export function hasCacheService(env: Env): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && (env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL));
}

/** A cache scope per image and target (and platform), so builds of different things do not evict each other. */
export function cacheScope(image: string, target: string | undefined, platform: string | undefined): string {
  return [image.replace(/^[^/]+\//, ''), target, platform].filter(Boolean).join('-').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 200);
}

/**
 * Turns the `cache` input into buildx flags. Raw cache-from/cache-to win. A run that does
 * not push only reads the cache (unless cache-write), so pull requests cannot poison it.
 */
export function planCache(
  inputs: Pick<Inputs, 'cache' | 'cacheWrite' | 'cacheFrom' | 'cacheTo' | 'tags' | 'target' | 'platforms'>,
  push: boolean,
  env: Env,
  workDir: string,
  splitPlatform?: string,
): CachePlan {
  if (inputs.cacheFrom.length || inputs.cacheTo.length) {
    return { mode: 'none', reason: 'cache-from/cache-to given: used as written', from: inputs.cacheFrom, to: inputs.cacheTo };
  }
  const write = push || inputs.cacheWrite;
  const mode = inputs.cache === 'auto' ? (hasCacheService(env) ? 'gha' : 'none') : inputs.cache;
  const first = inputs.tags[0];
  const image = first ? `${first.registry}/${first.repository}` : 'image';
  const scope = cacheScope(image, inputs.target, splitPlatform);
  const readOnly = write ? '' : ' (read only: this run does not push; set cache-write to write)';
  switch (mode) {
    case 'none':
      return { mode, reason: inputs.cache === 'auto' ? 'no cache: the GitHub cache service is not available to this job' : 'cache: none', from: [], to: [] };
    case 'gha':
      return {
        mode,
        reason: `GitHub Actions cache, scope ${scope}${readOnly}`,
        from: [`type=gha,scope=${scope}`],
        to: write ? [`type=gha,scope=${scope},mode=max`] : [],
      };
    case 'registry': {
      if (!first) return { mode: 'none', reason: 'cache: registry needs a tag to derive the cache image from; no cache', from: [], to: [] };
      const ref = `${first.registry}/${first.repository}:buildcache${splitPlatform ? `-${splitPlatform.replace(/\//g, '-')}` : ''}`;
      return {
        mode,
        reason: `registry cache ${ref}${readOnly}`,
        from: [`type=registry,ref=${ref}`],
        to: write ? [`type=registry,ref=${ref},mode=max,image-manifest=true,oci-mediatypes=true`] : [],
      };
    }
    case 'local': {
      // A fixed folder under HOME: @actions/cache keys its entries on the paths it is given, so
      // they must not change between runs. Written to a new folder and swapped in after the
      // build, so the cache does not grow without bound.
      const cachePath = `~/.cache/build-push/${scope}`;
      const dir = path.join(env.HOME || workDir, '.cache', 'build-push', scope);
      const next = `${dir}-new`;
      const key = `build-push-${scope}`;
      return {
        mode,
        reason: `local cache folder saved with @actions/cache, key ${key}${readOnly}`,
        from: [`type=local,src=${dir}`],
        to: write ? [`type=local,dest=${next},mode=max`] : [],
        local: { dir, next, cachePath, key, restoreKeys: [`${key}-`] },
      };
    }
  }
}

/** Restores the local cache folder with @actions/cache (loaded only for cache: local). */
export async function restoreLocalCache(local: NonNullable<CachePlan['local']>, env: Env, log: (line: string) => void): Promise<void> {
  if (!hasCacheService(env)) {
    log('cache: local: the GitHub cache service is not available; starting from an empty cache folder');
    return;
  }
  try {
    const cache = await import('@actions/cache');
    const hit = await cache.restoreCache([local.cachePath], `${local.key}-${env.GITHUB_SHA ?? ''}`, [...local.restoreKeys]);
    log(hit ? `cache: restored ${hit}` : 'cache: no saved cache yet');
  } catch (error) {
    log(`cache: restore failed (${errorMessage(error)}); building without it`);
  }
}

/** Swaps the freshly written cache in and saves it. Failures only warn: a cache is never worth a failed build. */
export async function saveLocalCache(local: NonNullable<CachePlan['local']>, env: Env, log: (line: string) => void): Promise<void> {
  if (!(await stat(local.next).catch(() => undefined))) return;
  await rm(local.dir, { recursive: true, force: true });
  await rename(local.next, local.dir);
  if (!hasCacheService(env)) return;
  try {
    const cache = await import('@actions/cache');
    await cache.saveCache([local.cachePath], `${local.key}-${env.GITHUB_SHA ?? Date.now()}`);
    log(`cache: saved ${local.key}`);
  } catch (error) {
    log(`cache: save failed (${errorMessage(error)})`);
  }
}
