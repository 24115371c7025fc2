// Push-by-digest (split native builds): each runner builds its own platform and pushes it by
// digest only; a merge run then creates the multi-platform index under every tag. What to
// build, push and merge; phases/push-by-digest.ts does it.
import { InputError } from '../errors.js';
import { imageEntries, type ImageIndexEntry } from '../oci/model.js';
import type { ImageReference } from '../tags/reference.js';
import type { Platform } from './inputs.js';

/** `registry/repository` of each image, once: where digests are pushed and merged. */
export function repositories(references: readonly ImageReference[]): string[] {
  return [...new Set(references.map((reference) => `${reference.registry}/${reference.repository}`))];
}

/** The one platform a push-by-digest run builds: the requested one, or the runner's own among several. */
export function splitPlatform(platforms: readonly Platform[], hostArchitecture: string): Platform {
  if (platforms.length === 1 && platforms[0]) return platforms[0];
  const native = platforms.find((platform) => platform.architecture === hostArchitecture);
  if (!native) {
    throw new InputError(
      'platforms',
      `push-by-digest builds one platform per runner, and none of ${platforms.map((platform) => platform.name).join(', ')} is this runner's (${hostArchitecture})`,
      `linux/${hostArchitecture}`,
    );
  }
  return native;
}

/**
 * buildx output flags of a push-by-digest build. buildx's own push-by-digest where the
 * driver has it; the docker driver refuses it, so there the build goes to an OCI layout
 * that the action pushes through the registry API.
 */
export function splitOutputArgs(driver: string, repositoryNames: readonly string[], layoutDir: string): string[] {
  if (driver === 'docker') return ['--output', `type=oci,dest=${layoutDir},tar=false`];
  return ['--output', `type=image,"name=${repositoryNames.join(',')}",push-by-digest=true,name-canonical=true,push=true`];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Digests to merge: a list (`sha256:...` per line or comma), or the hex names of files in a folder. */
export function parseDigestList(text: string): string[] {
  const items = text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
  return items.map((item) => {
    const digest = item.startsWith('sha256:') ? item : `sha256:${item}`;
    if (!DIGEST.test(digest)) throw new InputError('merge-digests', `"${item.slice(0, 80)}" is not a sha256 digest`, 'sha256:3b5e... (one per line), or a folder of digest files');
    return digest;
  });
}

/** The `imagetools create` argv for one repository: every tag of it, the index annotations, every source digest. */
export function mergeArgs(repository: string, tags: readonly string[], digests: readonly string[], annotations: readonly string[]): string[] {
  const indexAnnotations = annotations.filter((annotation) => annotation.startsWith('index:'));
  return [
    'buildx',
    'imagetools',
    'create',
    ...tags.flatMap((tag) => ['--tag', tag]),
    ...indexAnnotations.flatMap((annotation) => ['--annotation', annotation]),
    ...digests.map((digest) => `${repository}@${digest}`),
  ];
}

/** The image manifests a source digest stands for: an index's platform manifests, or the manifest itself. */
export function sourceManifests(digest: string, raw: string): string[] {
  const document = JSON.parse(raw) as { manifests?: ImageIndexEntry[] };
  if (!Array.isArray(document.manifests)) return [digest];
  return imageEntries(document.manifests).map((entry) => entry.digest);
}

/** Source images the merged index does not list (empty: every pushed platform made it in). */
export function missingFromMerge(mergedRaw: string, sources: ReadonlyMap<string, string>): string[] {
  const merged = JSON.parse(mergedRaw) as { manifests?: { digest?: string }[] };
  const listed = new Set((merged.manifests ?? []).map((entry) => entry.digest));
  return [...sources].flatMap(([digest, raw]) => sourceManifests(digest, raw).filter((manifest) => !listed.has(manifest)));
}
