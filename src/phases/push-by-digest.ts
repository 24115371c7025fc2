import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Docker } from '../docker/exec.js';
import { lastLines } from '../docker/exec.js';
import { ActionError, InputError } from '../errors.js';
import { mergeArgs, parseDigestList, repositories } from '../plan/push-by-digest.js';
import type { BasicCredential } from '../registries/client.js';
import { RegistryClient } from '../registries/client.js';
import { pushOciLayout } from '../registries/push-layout.js';
import { withRetries, type RetryPolicy } from '../retry.js';
import type { ImageReference } from '../tags/reference.js';

// Push-by-digest's I/O: reading the digests to merge, pushing a layout, writing the digest
// file, merging (what to do: plan/push-by-digest.ts).

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
    const tags = options.tagged
      ? references.filter((reference) => reference.registry === first.registry && reference.repository === first.repository).map((reference) => reference.tag ?? 'latest')
      : [];
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
    await withRetries(
      `merging into ${repository}`,
      retry,
      async () => {
        await docker.ok(args, (result) => `docker buildx imagetools create for ${repository} failed: ${lastLines(result.stderr || result.stdout, 3)}`, { live: true });
      },
      { log },
    );
  }
}
