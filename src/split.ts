import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Docker } from './buildx/exec.js';
import { imageEntries, type ImageIndexEntry } from './buildx/verify.js';
import { lastLines } from './buildx/exec.js';
import { ActionError, InputError } from './errors.js';
import type { Platform } from './inputs.js';
import type { BasicCredential } from './registries/client.js';
import { RegistryClient } from './registries/client.js';
import { pushOciLayout } from './registries/oci-push.js';
import { withRetries, type RetryPolicy } from './retry.js';
import type { ImageReference } from './tags/reference.js';

/**
 * Split native builds: each runner builds its own platform and pushes it by digest
 * only; a merge run then creates the multi-platform index under every tag.
 */

/** `registry/repository` of each image, once: where digests are pushed and merged. */
export function repositories(references: readonly ImageReference[]): string[] {
  return [...new Set(references.map((reference) => `${reference.registry}/${reference.repository}`))];
}

/** The one platform a push-by-digest run builds: the requested one, or the runner's own among several. */
export function splitPlatform(platforms: readonly Platform[], hostArchitecture: string): Platform {
  if (platforms.length === 1 && platforms[0]) return platforms[0];
  const native = platforms.find((platform) => platform.architecture === hostArchitecture);
  if (!native) {
    throw new InputError('platforms', `push-by-digest builds one platform per runner, and none of ${platforms.map((platform) => platform.name).join(', ')} is this runner's (${hostArchitecture})`, `linux/${hostArchitecture}`);
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
  const items = text.split(/[\n,]/).map((item) => item.trim()).filter(Boolean);
  return items.map((item) => {
    const digest = item.startsWith('sha256:') ? item : `sha256:${item}`;
    if (!DIGEST.test(digest)) throw new InputError('merge-digests', `"${item.slice(0, 80)}" is not a sha256 digest`, 'sha256:3b5e... (one per line), or a folder of digest files');
    return digest;
  });
}

export async function readMergeDigests(text: string, workspace: string): Promise<string[]> {
  const value = text.trim();
  if (!value.startsWith('sha256:') && !/^[0-9a-f]{64}/.test(value) && !value.includes('\n')) {
    const dir = path.resolve(workspace, value);
    const names = await readdir(dir).catch(() => undefined);
    if (!names) throw new InputError('merge-digests', `"${value}" is neither digests nor a folder of digest files`, '${{ runner.temp }}/digests');
    const digests = parseDigestList(names.filter((name) => !name.startsWith('.')).join('\n'));
    if (digests.length === 0) throw new InputError('merge-digests', `the folder "${value}" holds no digest files`, '${{ runner.temp }}/digests');
    return digests;
  }
  return parseDigestList(value);
}

/**
 * Pushes an OCI layout to every repository of `references` through the registry API, by
 * digest only (push-by-digest) or also under each reference's tag (a gated layout); every
 * repository must end up with the same digest.
 */
export async function pushLayout(
  layoutDir: string,
  references: readonly ImageReference[],
  credentials: ReadonlyMap<string, BasicCredential>,
  options: { readonly retry: RetryPolicy; readonly log: (line: string) => void; readonly tagged: boolean },
): Promise<{ digest: string; platforms: string[] }> {
  let result: { digest: string; platforms: string[] } | undefined;
  for (const name of repositories(references)) {
    const [first] = references.filter((reference) => `${reference.registry}/${reference.repository}` === name);
    if (!first) continue;
    const tags = options.tagged ? references.filter((reference) => reference.registry === first.registry && reference.repository === first.repository).map((reference) => reference.tag ?? 'latest') : [];
    const client = new RegistryClient(first.registry, credentials.get(first.registry));
    const pushed = await pushOciLayout(layoutDir, { registry: first.registry, repository: first.repository }, client, { log: options.log, retry: options.retry, tags });
    if (result && pushed.digest !== result.digest) throw new ActionError(`${name} received ${pushed.digest}, another repository ${result.digest}`);
    result = { digest: pushed.digest, platforms: pushed.platforms };
  }
  if (!result) throw new ActionError(options.tagged ? 'the gated image has no tag to push to' : 'push-by-digest needs an image to push to (images or tags)');
  return result;
}

/** Leaves the digest where the merge job finds it: an empty file named by its hex, as Docker's docs do. */
export async function writeDigestFile(dir: string, digest: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, digest.replace(/^sha256:/, ''));
  await writeFile(file, '');
  return file;
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

/** Creates the multi-platform index under every tag, one repository at a time. */
export async function mergeDigests(
  docker: Docker,
  references: readonly ImageReference[],
  digests: readonly string[],
  annotations: readonly string[],
  retry: RetryPolicy,
  log: (line: string) => void,
): Promise<void> {
  for (const repository of repositories(references)) {
    const tags = references.filter((reference) => `${reference.registry}/${reference.repository}` === repository).map((reference) => reference.full);
    const args = mergeArgs(repository, tags, digests, annotations);
    await withRetries(`merging into ${repository}`, retry, async () => {
      const result = await docker.run(args, { live: true });
      if (result.exitCode !== 0) throw new ActionError(`docker buildx imagetools create for ${repository} failed: ${lastLines(result.stderr || result.stdout, 3)}`);
    }, { log });
  }
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
