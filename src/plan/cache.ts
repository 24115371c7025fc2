import * as path from 'node:path';
import type { Env } from './context.js';
import type { CacheMode, Inputs } from './inputs.js';

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

/** The Actions cache service a job has: v2 on github.com, the v1 REST API on GHES. */
export type CacheService = 'v1' | 'v2';

/** What buildx takes for true (Go's strconv.ParseBool). */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/**
 * Which cache service the runner gives this job: v2 when it sets ACTIONS_CACHE_SERVICE_V2 with
 * ACTIONS_RESULTS_URL (github.com), v1 when it sets ACTIONS_CACHE_URL (GHES); both need the
 * runtime token. A results URL without the v2 flag is neither: buildx and @actions/cache would
 * speak v1 to it.
 */
export function cacheServiceOf(env: Env): CacheService | undefined {
  if (!env.ACTIONS_RUNTIME_TOKEN) return undefined;
  if (env.ACTIONS_RESULTS_URL && GO_TRUE.has(env.ACTIONS_CACHE_SERVICE_V2 ?? '')) return 'v2';
  if (env.ACTIONS_CACHE_URL) return 'v1';
  return undefined;
}

/** Whether the runner gives this job GitHub's cache service (what type=gha and cache: local need). */
export function hasCacheService(env: Env): boolean {
  return cacheServiceOf(env) !== undefined;
}

export type Version = readonly [number, number, number];

/** The first buildx and BuildKit releases that speak the v2 cache service (docker/buildx 7ba4da0, moby/buildkit dea6c49). */
export const V2_BUILDX: Version = [0, 21, 0];
export const V2_BUILDKIT: Version = [0, 20, 0];

const atLeast = (version: Version, minimum: Version): boolean => {
  for (let index = 0; index < 3; index++) {
    if ((version[index] ?? 0) !== (minimum[index] ?? 0)) return (version[index] ?? 0) > (minimum[index] ?? 0);
  }
  return true;
};
const shown = (version: Version): string => version.join('.');

/**
 * Whether type=gha can reach the job's cache service from this buildx and builder: the v2
 * service needs buildx >= 0.21 (it passes url_v2) and BuildKit >= 0.20 (it speaks v2); the v1
 * service (GHES) is spoken by every release this action runs. An unknown version is taken to
 * be recent: a cache export that fails only warns (ignore-error), it never fails the build.
 */
export function ghaCacheReach(service: CacheService | undefined, buildx: Version | undefined, buildkit: Version | undefined): { readonly reachable: boolean; readonly reason: string } {
  if (!service) return { reachable: false, reason: 'the GitHub cache service is not available to this job' };
  if (service === 'v1') return { reachable: true, reason: 'the v1 cache service (GHES)' };
  if (buildx && !atLeast(buildx, V2_BUILDX)) {
    return { reachable: false, reason: `buildx ${shown(buildx)} does not speak the v2 cache service this job has (buildx ${shown(V2_BUILDX)} or later does)` };
  }
  if (buildkit && !atLeast(buildkit, V2_BUILDKIT)) {
    return { reachable: false, reason: `the builder's BuildKit ${shown(buildkit)} does not speak the v2 cache service this job has (BuildKit ${shown(V2_BUILDKIT)} or later does)` };
  }
  const unknown = [...(buildx ? [] : ['buildx']), ...(buildkit ? [] : ['BuildKit'])];
  const versions = `buildx ${buildx ? shown(buildx) : '(version unknown)'}, BuildKit ${buildkit ? shown(buildkit) : '(version unknown)'}`;
  return { reachable: true, reason: `the v2 cache service; ${versions}${unknown.length ? `: ${unknown.join(' and ')} taken to speak v2` : ''}` };
}

/** The build arguments without the planned gha cache flags (auto, when the builder cannot reach the service). */
export function withoutGhaCache(args: readonly string[], plan: CachePlan): string[] {
  const planned = new Set([...plan.from.map((value) => `--cache-from=${value}`), ...plan.to.map((value) => `--cache-to=${value}`)]);
  const out: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if ((arg === '--cache-from' || arg === '--cache-to') && planned.has(`${arg}=${args[index + 1] ?? ''}`)) {
      index++;
      continue;
    }
    if (planned.has(arg)) continue;
    out.push(arg);
  }
  return out;
}

/**
 * The cache exports that failed in a build that succeeded: with ignore-error=true BuildKit
 * marks the export's step with an error and goes on. One line per failure, from buildx's
 * plain progress (`#N exporting to GitHub Actions Cache` … `#N ERROR: …`).
 */
export function failedCacheExports(buildxOutput: string): string[] {
  const names = new Map<string, string>();
  const failures: string[] = [];
  for (const line of buildxOutput.split(/\r?\n/)) {
    const step = /^#(\d+) (exporting (?:cache to .+|to GitHub Actions Cache|content cache))\s*$/.exec(line);
    if (step?.[1] && step[2]) names.set(step[1], step[2]);
    const error = /^#(\d+) ERROR: (.*)$/.exec(line);
    const name = error?.[1] ? names.get(error[1]) : undefined;
    if (name && error?.[2]) failures.push(`${name}: ${error[2]}`);
  }
  return failures;
}

/** A cache scope per image and target (and platform), so builds of different things do not evict each other. */
export function cacheScope(image: string, target: string | undefined, platform: string | undefined): string {
  return [image.replace(/^[^/]+\//, ''), target, platform]
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 200);
}

/**
 * On every cache export the step plans: BuildKit (0.12 and later) then reports a failed export
 * (service down, 429 past its retries, quota) on the export's step and finishes the build;
 * without it the build fails. A cache is never worth a failed build.
 */
const IGNORE_ERROR = 'ignore-error=true';

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
  const service = cacheServiceOf(env);
  const mode = inputs.cache === 'auto' ? (service ? 'gha' : 'none') : inputs.cache;
  const first = inputs.tags[0];
  const image = first ? `${first.registry}/${first.repository}` : 'image';
  const scope = cacheScope(image, inputs.target, splitPlatform);
  const readOnly = write ? '' : ' (read only: this run does not push; set cache-write to write)';
  switch (mode) {
    case 'none':
      return { mode, reason: inputs.cache === 'auto' ? 'no cache: the GitHub cache service is not available to this job' : 'cache: none', from: [], to: [] };
    case 'gha': {
      // The plan does not know the builder: auto on the v2 service keeps gha only where it speaks v2.
      const which =
        service === 'v2'
          ? `v2 service${inputs.cache === 'auto' ? ` if the builder speaks it (buildx >= ${shown(V2_BUILDX)}, BuildKit >= ${shown(V2_BUILDKIT)})` : ''}`
          : service === 'v1'
            ? 'v1 service'
            : 'no service available to this job';
      return {
        mode,
        reason: `GitHub Actions cache (${which}), scope ${scope}${readOnly}`,
        from: [`type=gha,scope=${scope}`],
        to: write ? [`type=gha,scope=${scope},mode=max,${IGNORE_ERROR}`] : [],
      };
    }
    case 'registry': {
      if (!first) return { mode: 'none', reason: 'cache: registry needs a tag to derive the cache image from; no cache', from: [], to: [] };
      const ref = `${first.registry}/${first.repository}:buildcache${splitPlatform ? `-${splitPlatform.replace(/\//g, '-')}` : ''}`;
      return {
        mode,
        reason: `registry cache ${ref}${readOnly}`,
        from: [`type=registry,ref=${ref}`],
        to: write ? [`type=registry,ref=${ref},mode=max,image-manifest=true,oci-mediatypes=true,${IGNORE_ERROR}`] : [],
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
        to: write ? [`type=local,dest=${next},mode=max,${IGNORE_ERROR}`] : [],
        local: { dir, next, cachePath, key, restoreKeys: [`${key}-`] },
      };
    }
  }
}
