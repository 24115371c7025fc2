// The local cache folder's I/O: restored before the build and saved after it with @actions/cache
// (which cache to use: plan/cache.ts).
import { rename, rm, stat } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { hasCacheService, type CachePlan } from '../plan/cache.js';
import type { Env } from '../plan/context.js';

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
    // @actions/cache reports most failures itself and answers -1 instead of throwing.
    const id = await cache.saveCache([local.cachePath], `${local.key}-${env.GITHUB_SHA ?? Date.now()}`);
    log(id === -1 ? `cache: not saved (${local.key}); the next run starts from the last saved cache` : `cache: saved ${local.key}`);
  } catch (error) {
    log(`cache: save failed (${errorMessage(error)})`);
  }
}
