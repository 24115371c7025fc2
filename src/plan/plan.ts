import { architecturesNeedingEmulation } from './emulation.js';
import { repositoryVisibility, sigstoreEndpoints, type SigstoreEndpoints } from './signing.js';
import { builderNeeds, type BuildRequest } from './builder.js';
import { buildFiles, buildxBuildArgs, type BuildFiles } from './buildx-args.js';
import type { Context, Env } from './context.js';
import * as path from 'node:path';
import { ActionError, InputError } from '../errors.js';
import { planCache, type CachePlan } from './cache.js';
import { repositories, splitPlatform } from './push-by-digest.js';
import type { GatePlan } from './gate.js';
import { computeMetadata, type Metadata, type RepositoryInfo } from '../tags/metadata.js';
import { metadataEnvironment } from '../tags/environment.js';
import { parseImageReference, type ImageReference } from '../tags/reference.js';
import { codeTrust, untrustedCodeError } from './trust.js';
import type { Inputs } from './inputs.js';
import { decidePush, type PushDecision } from './push-decision.js';

/** Facts about the machine the plan is made for. */
export interface RegistryPlan {
  readonly registry: string;
  /** The provider that will log in, or undefined when this step has no credentials for it. */
  readonly provider?: string;
  /** What would be needed to log in, when no provider is configured. */
  readonly missing?: string;
  /** `push`: an image goes there. `tag`: an image would, but this run does not push. `listed`: named in registry-auth. */
  readonly usedFor: 'push' | 'tag' | 'listed';
}

/** Registry → provider, by the provider table of registries/ (planRegistries), handed in so the plan imports no layer above it. */
export type RegistryPlanner = (inputs: Inputs, tagRegistries: readonly string[], push: boolean, env: Env) => RegistryPlan[];

export interface Host {
  /** Docker architecture of this runner, e.g. amd64. */
  readonly architecture: string;
  /** A folder private to this run, for the metadata file, secrets and the docker config. */
  readonly workDir: string;
  /** The step's environment (credentials earlier steps exported, e.g. AWS_*). */
  readonly env: Env;
  /** Which provider logs in to each registry: registries/index.ts planRegistries. */
  readonly planRegistries: RegistryPlanner;
  /** `git rev-parse HEAD` of the workspace, when it is a git work tree. */
  readonly checkedOutSha?: string;
  /** The time the tag rules and the created label use. */
  readonly now?: Date;
  /** The commit's time ({{commit_date}}), when known beyond the event payload. */
  readonly commitDate?: Date;
  /** Repository facts for the OCI labels, when the payload lacks them (GitHub API). */
  readonly repo?: RepositoryInfo;
}

/** Everything the action will do, decided before anything is done. `dry-run` prints this. */
export interface Plan {
  readonly push: PushDecision;
  readonly tags: readonly string[];
  readonly platforms: readonly string[];
  /** Architectures that need QEMU on this host. */
  readonly emulate: readonly string[];
  readonly registries: readonly RegistryPlan[];
  readonly files: BuildFiles;
  /** `docker buildx build` argv (without `--builder`, which is only known once the builder phase ran). */
  readonly buildArgs: readonly string[];
  /** The same build loaded into the engine instead of pushed by buildx, for the engine to push (see buildArgsForBuilder). */
  readonly engineBuildArgs?: readonly string[];
  readonly workDir: string;
  /** Why the checked-out code is not trusted (pull_request_target/workflow_run), when it is not. */
  readonly untrustedCode?: string;
  /** Tests and scan before any push; then the loaded image is pushed by `docker push`. */
  readonly gate?: GatePlan;
  /** The gate's build into an OCI layout, for an engine whose classic image store cannot load a multi-platform image (see buildArgsForBuilder). */
  readonly gateLayout?: { readonly dir: string; readonly buildArgs: readonly string[]; readonly nativePlatform: string };
  /** The image references to push (from `tags`, or computed by metadata-action's rules). */
  readonly references: readonly ImageReference[];
  /** What docker/metadata-action would output, when `images` is set. */
  readonly metadata?: Metadata;
  readonly cache: CachePlan;
  /** push-by-digest: the one platform built, pushed by digest to each repository. */
  readonly split?: { readonly platform: string; readonly layoutDir: string; readonly repositories: readonly string[] };
  /** What the build asks of its builder (platforms, needs beyond the docker driver on the classic store, load, a named builder). */
  readonly builder: BuildRequest;
  /** A merge run: the digests (or folder) to combine; nothing is built. */
  readonly merge?: string;
  /** `sign` / `attest`: what is signed after the push, and the Sigstore instance that signs it (see plan/signing.ts). */
  readonly signing?: { readonly sign: boolean; readonly attest: boolean; readonly endpoints: SigstoreEndpoints };
}

/** Applies metadata-action's rules: the inputs as they would be had the user written the tags, labels and annotations out. */
export function withMetadata(inputs: Inputs, context: Context, host: Host): { inputs: Inputs; metadata?: Metadata } {
  if (!inputs.metadata) return { inputs };
  const { prHeadSha, shortShaLength, annotationLevels } = metadataEnvironment(host.env);
  const metadata = computeMetadata(inputs.metadata, {
    eventName: context.eventName,
    ref: context.ref,
    sha: context.sha,
    payload: context.payload as Record<string, unknown>,
    repository: context.repository,
    now: host.now ?? new Date(0),
    ...(host.repo ? { repo: host.repo } : {}),
    ...(host.commitDate ? { commitDate: host.commitDate } : {}),
    ...(shortShaLength === undefined ? {} : { shortShaLength }),
    prHeadSha,
    annotationLevels,
  });
  // Without images the tags are bare names, as metadata-action outputs them: nothing to push to.
  const tags = metadata.imageNames.length === 0 ? [] : metadata.tags.map((tag) => parseImageReference(tag, 'images', 'ghcr.io/acme/app'));
  return { inputs: { ...inputs, tags, labels: metadata.labels, annotations: metadata.annotations }, metadata };
}

/** The gate, when `test` or `scan` is set: the native platform first, then test-platforms. */
/** The platform the gate tests first (and {image} names on the classic store): the runner's own, else the first built. */
export function nativePlatform(platforms: Inputs['platforms'], hostArchitecture: string): Inputs['platforms'][number] | undefined {
  return platforms.find((platform) => platform.architecture === hostArchitecture) ?? platforms[0];
}

export function planGate(inputs: Inputs, hostArchitecture: string, workDir: string): GatePlan | undefined {
  if (!inputs.test && !inputs.scan) return undefined;
  const native = nativePlatform(inputs.platforms, hostArchitecture);
  const testPlatforms = [...new Set([native?.name ?? `linux/${hostArchitecture}`, ...inputs.testPlatforms.map((platform) => platform.name)])];
  const missing = inputs.testPlatforms.filter((platform) => !inputs.platforms.some((built) => built.name === platform.name));
  if (missing.length > 0) {
    throw new InputError(
      'test-platforms',
      `${missing.map((platform) => platform.name).join(', ')} is not among the platforms built (${inputs.platforms.map((platform) => platform.name).join(', ')})`,
      'linux/arm64',
    );
  }
  return {
    ...(inputs.test ? { test: inputs.test } : {}),
    testPlatforms: inputs.test ? testPlatforms : [],
    ...(inputs.scan ? { scan: inputs.scan } : {}),
    localName: `build-push-gate:${path.basename(workDir).replace(/[^a-z0-9_.-]/g, '-')}`,
  };
}

function tagRegistries(inputs: Inputs): string[] {
  return [...new Set(inputs.tags.map((tag) => tag.registry))];
}

export function makePlan(given: Inputs, context: Context, host: Host): Plan {
  const computed = withMetadata(given, context, host);
  const { metadata } = computed;
  if (given.pushByDigest && given.mergeDigests)
    throw new InputError('merge-digests', 'cannot be combined with push-by-digest: one job builds, another merges', 'push-by-digest: true in the build jobs; merge-digests in the merge job');
  const platform = given.pushByDigest ? splitPlatform(given.platforms, host.architecture) : undefined;
  // A push-by-digest build has one platform and no tags: the merge run tags the result.
  const inputs: Inputs = platform ? { ...computed.inputs, platforms: [platform] } : computed.inputs;
  const push = decidePush(inputs.push, context.eventName, inputs.tags.length > 0);
  if (push.push && inputs.tags.length === 0) {
    if (metadata && metadata.imageNames.length === 0) {
      throw new InputError('images', `is empty, but push is true: the tag rules give tag names (${metadata.tags.join(', ') || 'none'}) and no image to push them to`, 'ghcr.io/acme/app');
    }
    if (metadata) {
      const why = metadata.warnings.length ? ` (${metadata.warnings.join('; ')})` : '';
      throw new InputError('tags', `the tag rules produce no tag for this ${context.eventName} event, but push is true${why}`, 'type=ref,event=branch');
    }
    throw new InputError('tags', 'is empty, but push is true: there is nothing to push to', 'ghcr.io/acme/app:latest');
  }
  if (!push.push) {
    const pushing = inputs.outputs.find((output) => /(^|,)\s*type=registry\b|(^|,)\s*push=true\b/.test(output));
    if (pushing) throw new InputError('outputs', `"${pushing.slice(0, 100)}" would push, but this run does not push (${push.reason})`, 'type=docker');
  }
  const unreadable = inputs.registryAuthWithoutPassword.filter((registry) => push.push && tagRegistries(inputs).includes(registry));
  if (unreadable.length > 0) {
    throw new InputError(
      'registry-auth',
      `the entry for ${unreadable.join(', ')} has an empty password, and this run pushes there (is the secret available to this workflow? secrets are empty on pull requests from forks)`,
      '- registry: ghcr.io ... password: ${{ secrets.REGISTRY_TOKEN }}',
    );
  }
  const files = buildFiles(host.workDir, inputs);
  const tagRegistryList = tagRegistries(inputs);
  const trust = codeTrust(context, host.checkedOutSha);
  const untrustedCode = trust.trusted === true ? undefined : trust.reason;
  // A checkout we cannot identify is treated like pull request code: safe by default.
  const refuseCredentials = trust.trusted !== true && !inputs.allowUntrustedCode;
  // Pushing or explicit registry-auth with pull request code is refused outright; the
  // automatic logins (e.g. the default github-token for ghcr.io) are simply not done.
  if (refuseCredentials && (push.push || inputs.registryAuth.length > 0)) throw new ActionError(untrustedCodeError(trust.reason));
  const registries = host
    .planRegistries(inputs, tagRegistryList, push.push, host.env)
    .map((entry) => (refuseCredentials && entry.provider ? { registry: entry.registry, missing: 'nothing: no login while pull request code is checked out', usedFor: entry.usedFor } : entry));
  const gate = planGate(inputs, host.architecture, host.workDir);
  const cache = planCache(inputs, push.push, host.env, host.workDir, platform?.name);
  if (gate && (platform || inputs.mergeDigests))
    throw new InputError(inputs.test ? 'test' : 'scan', 'gates a full build; with push-by-digest or merge-digests, gate each platform in a normal build instead', 'npm test');
  const withCache: Inputs = { ...inputs, cacheFrom: cache.from, cacheTo: cache.to };
  // A gated image is loaded, tested, then pushed as is: buildx must not push it itself.
  const buildArgs = platform
    ? buildxBuildArgs({ ...withCache, tags: [] }, { push: false, load: false }, files)
    : buildxBuildArgs(withCache, { push: push.push && !gate, load: inputs.load || Boolean(gate), extraTags: gate && inputs.tags.length === 0 ? [gate.localName] : [] }, files);
  const platformNames = inputs.platforms.map((entry) => entry.name);
  const builder: BuildRequest = {
    platforms: inputs.platforms,
    needs: builderNeeds(platformNames, buildArgs, Boolean(platform) && push.push),
    // The user's load; a gate's load is the gate's own route (see main).
    load: !platform && inputs.load,
    ...(inputs.builder ? { requested: inputs.builder } : {}),
  };
  return {
    push,
    tags: inputs.tags.map((tag) => tag.full),
    platforms: platformNames,
    emulate: architecturesNeedingEmulation(inputs.platforms, host.architecture),
    registries,
    files,
    buildArgs,
    builder,
    ...(push.push && !gate && !platform && !inputs.mergeDigests && inputs.outputs.length === 0 ? { engineBuildArgs: buildxBuildArgs(withCache, { push: false, load: true }, files) } : {}),
    workDir: host.workDir,
    ...(untrustedCode ? { untrustedCode } : {}),
    ...(gate ? { gate } : {}),
    ...(gate && inputs.platforms.length > 1 ? { gateLayout: gateLayoutPlan(withCache, files, host.workDir, nativePlatform(inputs.platforms, host.architecture)?.name ?? '') } : {}),
    references: inputs.tags,
    cache,
    ...(metadata ? { metadata } : {}),
    ...(platform ? { split: { platform: platform.name, layoutDir: path.join(host.workDir, 'oci-layout'), repositories: repositories(inputs.tags) } } : {}),
    ...(inputs.mergeDigests ? { merge: inputs.mergeDigests, emulate: [] } : {}),
    ...(inputs.sign || inputs.attest
      ? { signing: { sign: inputs.sign, attest: inputs.attest, endpoints: sigstoreEndpoints(repositoryVisibility(context.payload), context.serverUrl, host.env) } }
      : {}),
  };
}

/** One build of every platform into an OCI layout folder, neither loaded nor pushed: what the gate reads on a classic store. */
function gateLayoutPlan(inputs: Inputs, files: BuildFiles, workDir: string, native: string): { dir: string; buildArgs: string[]; nativePlatform: string } {
  const dir = path.join(workDir, 'gate-layout');
  return { dir, nativePlatform: native, buildArgs: buildxBuildArgs({ ...inputs, outputs: [...inputs.outputs, `type=oci,dest=${dir},tar=false`] }, { push: false, load: false }, files) };
}

/** How the build runs once the builder is known. */
export interface BuildRoute {
  readonly args: readonly string[];
  /** The engine pushes the loaded image afterwards (see pushesTwiceWithDockerDriver). */
  readonly pushFromEngine: boolean;
  /** The gate reads this OCI layout, and it is what gets pushed (classic image store, several platforms). */
  readonly gateLayout?: string;
}

/**
 * The argv for the builder this run got, and what happens after it:
 * - with the docker driver on the containerd image store, when buildx would push twice
 *   there (see pushesTwiceWithDockerDriver), the image is loaded and the engine pushes it
 *   once: the same index in the registry, for less time and fewer registry requests;
 * - a gated multi-platform build on an engine without the containerd store (which holds one
 *   platform per image) goes into an OCI layout, gated one platform at a time and pushed as is.
 */
export function buildArgsForBuilder(
  plan: Pick<Plan, 'buildArgs' | 'engineBuildArgs' | 'gateLayout'>,
  builder: { readonly driver: string; readonly containerdStore: boolean },
  buildxPushesTwice: boolean,
): BuildRoute {
  if (plan.gateLayout && !builder.containerdStore) return { args: plan.gateLayout.buildArgs, pushFromEngine: false, gateLayout: plan.gateLayout.dir };
  if (plan.engineBuildArgs && builder.driver === 'docker' && builder.containerdStore && buildxPushesTwice) return { args: plan.engineBuildArgs, pushFromEngine: true };
  return { args: plan.buildArgs, pushFromEngine: false };
}
