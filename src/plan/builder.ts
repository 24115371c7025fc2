// Which builder a build needs (platforms, push-by-digest, the image store) and whether the
// current one has it: the decision; phases/builder.ts inspects the engine and acts on it.
import type { Platform } from './inputs.js';

export interface BuilderInfo {
  readonly name: string;
  readonly driver: string;
  /** Platforms the builder's nodes report, without buildx's `*` marks. */
  readonly platforms: readonly string[];
}

/**
 * Something this build asks of its builder that the `docker` driver can do only on the
 * containerd image store (buildx's docker driver reports these features only with it).
 */
export interface BuilderNeed {
  readonly feature: 'multi-platform' | 'oci-export' | 'attestations' | 'cache-export';
  /** The input that asks for it, as the user wrote it. */
  readonly why: string;
}

/**
 * What the build needs from its builder, read off the planned buildx argv (what will run)
 * plus push-by-digest, whose output is only chosen once the builder is known.
 */
export function builderNeeds(platforms: readonly string[], buildArgs: readonly string[], pushByDigest: boolean): BuilderNeed[] {
  const needs: BuilderNeed[] = [];
  const values = (flag: string): string[] => buildArgs.flatMap((arg, index) => (arg === flag ? [buildArgs[index + 1] ?? ''] : arg.startsWith(`${flag}=`) ? [arg.slice(flag.length + 1)] : []));
  if (platforms.length > 1) needs.push({ feature: 'multi-platform', why: `platforms ${platforms.join(', ')}` });
  if (pushByDigest) needs.push({ feature: 'oci-export', why: 'push-by-digest' });
  const oci = values('--output').find((output) => /(^|,)\s*type=oci\b/.test(output));
  if (oci) needs.push({ feature: 'oci-export', why: `outputs ${oci}` });
  const attestations = [
    ...values('--provenance')
      .filter((value) => value !== 'false')
      .map((value) => `provenance ${value}`),
    ...values('--sbom')
      .filter((value) => value !== 'false')
      .map((value) => `sbom ${value}`),
    ...values('--attest').map((value) => `attest ${value}`),
  ];
  if (attestations.length > 0) needs.push({ feature: 'attestations', why: attestations.join(', ') });
  const cacheTo = values('--cache-to');
  if (cacheTo.length > 0) needs.push({ feature: 'cache-export', why: `cache export ${cacheTo.join(', ')}` });
  return needs;
}

export type BuilderChoice =
  | { readonly kind: 'current'; readonly name: string; readonly reason: string }
  | { readonly kind: 'create'; readonly reason: string }
  /** Nothing can do it on this engine: fail before building, naming `input`. */
  | { readonly kind: 'refuse'; readonly input: string; readonly reason: string; readonly example: string };

function supports(builder: BuilderInfo, platform: Platform): boolean {
  return builder.platforms.some((candidate) => candidate === platform.name || (!platform.variant && candidate.startsWith(`${platform.name}/`)));
}

/** What a builder is asked to do, and where. */
export interface BuildRequest {
  readonly platforms: readonly Platform[];
  readonly needs: readonly BuilderNeed[];
  /** `load: true`: the image goes into the engine's image store. */
  readonly load: boolean;
  /** The `builder` input: use this builder as it is. */
  readonly requested?: string;
}

/**
 * Keeps the builder the user already has (or named) when it can do the job; otherwise asks
 * for a docker-container builder of our own, as setup-buildx-action makes by default. The
 * docker driver without the containerd store builds and pushes one platform, and nothing in
 * `needs`; a multi-platform image cannot go into that store whatever builds it.
 */
export function chooseBuilder(current: BuilderInfo, request: BuildRequest, containerdStore: boolean, hostArch: string): BuilderChoice {
  const { platforms, needs, requested } = request;
  const names = platforms.map((platform) => platform.name).join(', ');
  if (request.load && platforms.length > 1 && !containerdStore) {
    return {
      kind: 'refuse',
      input: 'load',
      reason: `loads a multi-platform image (${names}) into the engine, but this runner's engine has the classic image store, which holds one platform per image (docker info shows no containerd snapshotter). Load one platform, push instead, or enable "features": {"containerd-snapshotter": true} in the engine's daemon.json`,
      example: 'false (and push), or true with platforms: linux/amd64',
    };
  }
  const unmet = current.driver === 'docker' && !containerdStore ? needs : [];
  const lacking = unmet.map((need) => need.why).join('; ');
  if (requested) {
    if (unmet.length > 0) {
      return {
        kind: 'refuse',
        input: 'builder',
        reason: `"${requested}" uses the docker driver on the classic image store, which cannot do what this build asks (${lacking})`,
        example: "a docker-container builder (docker/setup-buildx-action's default), or leave builder empty and the step creates one",
      };
    }
    return { kind: 'current', name: current.name, reason: `builder "${current.name}" (${current.driver} driver), as the builder input asks` };
  }
  if (current.driver === 'docker') {
    if (unmet.length > 0) {
      return { kind: 'create', reason: `builder "${current.name}" uses the docker driver without the containerd image store, which cannot do what this build asks (${lacking})` };
    }
    if (platforms.length === 1) {
      const native = platforms[0]?.architecture === hostArch ? 'the native platform' : 'the single platform';
      return { kind: 'current', name: current.name, reason: `builder "${current.name}" (docker driver) builds ${native} ${names}` };
    }
    return { kind: 'current', name: current.name, reason: `builder "${current.name}" (docker driver, containerd image store) builds ${names}` };
  }
  const unsupported = platforms.filter((platform) => !supports(current, platform));
  if (unsupported.length === 0) {
    return { kind: 'current', name: current.name, reason: `builder "${current.name}" (${current.driver} driver) supports ${names}` };
  }
  return { kind: 'create', reason: `builder "${current.name}" (${current.driver} driver) lacks ${unsupported.map((platform) => platform.name).join(', ')}` };
}
