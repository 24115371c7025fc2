import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { digestAlgorithm, imageEntries, isIndexType, platformName, type Descriptor, type Platform, type ImageIndex, type ImageManifest } from '../oci/model.js';
import { blobPath, loadManifests, pushOrder, readOciLayout, readVerifiedBlob, type LoadedManifest } from '../oci/layout.js';
import { formatBytes } from '../format.js';
import { withRetries, type RetryPolicy } from '../retry.js';
import type { BlobBody, RegistryClient } from './client.js';

/**
 * Pushes an OCI image layout (what `docker buildx build --output type=oci,dest=<dir>,tar=false`
 * writes) to a registry by digest, through the registry API: every blob (HEAD first, upload
 * only when missing), then the manifests children first, then the top-level manifest or index.
 *
 * This is how split native builds publish one platform without a tag: buildx's docker driver
 * cannot push by digest ("not implemented for docker driver") and `docker push repo@sha256:…`
 * is refused, so the merge step (`docker buildx imagetools create`) gets the digest from here.
 */

/**
 * Streams a layout blob for an upload, checking on the way that it has exactly
 * `size` bytes with `digest`; a mismatch fails the stream (and so the upload).
 */
export function verifiedBlobStream(file: string, digest: string, size: number, onMismatch: (error: Error) => void = () => undefined): BlobBody {
  const algorithm = digestAlgorithm(digest);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const hash = createHash(algorithm);
    let length = 0;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > size) {
        const error = new Error(`${file} is longer than its descriptor's ${size} bytes`);
        onMismatch(error);
        throw error;
      }
      hash.update(chunk);
      yield chunk;
    }
    const actual = `${algorithm}:${hash.digest('hex')}`;
    if (length !== size || actual !== digest) {
      const error = new Error(`${file} has ${length} bytes with digest ${actual}, its descriptor says ${size} bytes with ${digest}`);
      onMismatch(error);
      throw error;
    }
  }
  return chunks();
}

/** The parts of RegistryClient a push uses (a test may pass a fake). */
export type PushClient = Pick<RegistryClient, 'blobExists' | 'uploadBlob' | 'putManifest'>;

export interface PushTarget {
  readonly registry: string;
  readonly repository: string;
}

export interface PushOptions {
  /** Blobs checked/uploaded at once (default 4). */
  readonly concurrency?: number;
  readonly log: (line: string) => void;
  /** Also PUT the top-level manifest under these tags (after it is in by digest). */
  readonly tags?: readonly string[];
  /** Retries for each registry operation (default none). */
  readonly retry?: RetryPolicy;
  /** Which index.json entry to push when there are several. */
  readonly refName?: string;
}

export interface PushResult {
  /** The top-level manifest or index digest: what the merge step references. */
  readonly digest: string;
  readonly mediaType: string;
  /** `os/arch[/variant]` of the image(s), attestation manifests left out. */
  readonly platforms: string[];
  readonly blobsUploaded: number;
  readonly blobsSkipped: number;
  readonly bytesUploaded: number;
  readonly manifestsPut: number;
}

const NO_RETRIES: RetryPolicy = { retries: 0, delayMs: 0, maxDelayMs: 0 };

/** Runs `work` over `items` with at most `limit` at once; the first item alone, so it sets up auth for the rest. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const [first, ...rest] = items;
  if (first === undefined) return;
  await work(first);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rest.length) {
      const item = rest[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, rest.length)) }, worker));
}

/** Pushes the image of an OCI layout by digest (and optionally under tags); see the file comment. */
export async function pushOciLayout(layoutDir: string, target: PushTarget, client: PushClient, options: PushOptions): Promise<PushResult> {
  const { repository } = target;
  const retry = options.retry ?? NO_RETRIES;
  const hooks = { log: options.log };
  const layout = await readOciLayout(layoutDir, options.refName);
  const root = layout.image;
  const manifests = await loadManifests(layoutDir, root);
  const documents = new Map([...manifests].map(([digest, { document }]) => [digest, document]));
  const order = pushOrder(root, documents);
  const blobs = order.filter((item) => item.kind === 'blob').map((item) => item.descriptor);
  const where = `${target.registry}/${repository}`;
  options.log(`Pushing ${root.digest} (${root.mediaType}) to ${where}: ${blobs.length} blob(s), ${manifests.size} manifest(s)`);

  let blobsUploaded = 0;
  let blobsSkipped = 0;
  let bytesUploaded = 0;
  await forEachLimited(blobs, options.concurrency ?? 4, async (blob) => {
    const exists = await withRetries(`checking for ${blob.digest}`, retry, () => client.blobExists(repository, blob.digest, 'push'), hooks);
    if (exists) {
      blobsSkipped++;
      options.log(`  ${blob.digest} (${formatBytes(blob.size)}): already in ${where}`);
      return;
    }
    const file = blobPath(layoutDir, blob.digest);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new Error(`the OCI layout ${layoutDir} lacks ${blob.mediaType} ${blob.digest}, and ${where} does not have it either`);
    if (info.size !== blob.size) throw new Error(`${file} has ${info.size} bytes, its descriptor says ${blob.size}`);
    const started = Date.now();
    await withRetries(
      `uploading ${blob.digest}`,
      retry,
      async () => {
        let mismatch: Error | undefined;
        try {
          await client.uploadBlob(repository, blob.digest, blob.size, () => verifiedBlobStream(file, blob.digest, blob.size, (error) => (mismatch = error)));
        } catch (error) {
          // The file changed under us: say that, not the registry's (or fetch's) reaction to it.
          throw mismatch ?? error;
        }
      },
      hooks,
    );
    blobsUploaded++;
    bytesUploaded += blob.size;
    options.log(`  ${blob.digest} (${formatBytes(blob.size)}): uploaded in ${Date.now() - started} ms`);
  });

  let manifestsPut = 0;
  const put = async (descriptor: Descriptor, reference: string): Promise<string> => {
    const loaded = manifests.get(descriptor.digest);
    if (!loaded) throw new Error(`manifest ${descriptor.digest} was not loaded`);
    const digest = await withRetries(`putting ${descriptor.mediaType} ${reference}`, retry, () => client.putManifest(repository, reference, descriptor.mediaType, loaded.bytes), hooks);
    manifestsPut++;
    return digest;
  };
  for (const item of order) if (item.kind === 'manifest') await put(item.descriptor, item.descriptor.digest);
  for (const tag of options.tags ?? []) {
    await put(root, tag);
    options.log(`  tagged ${where}:${tag}`);
  }

  const platforms = await platformsOf(layoutDir, root, manifests);
  options.log(
    `Pushed ${where}@${root.digest} (${platforms.join(', ') || 'no platform'}): ${blobsUploaded} blob(s) uploaded (${formatBytes(bytesUploaded)}), ${blobsSkipped} already there, ${manifestsPut} manifest PUT(s)`,
  );
  return { digest: root.digest, mediaType: root.mediaType, platforms, blobsUploaded, blobsSkipped, bytesUploaded, manifestsPut };
}

/** Platforms of an index's images (no attestations), or of a single manifest (from its descriptor or config). */
async function platformsOf(layoutDir: string, root: Descriptor, manifests: ReadonlyMap<string, LoadedManifest>): Promise<string[]> {
  const document = manifests.get(root.digest)?.document;
  if (!document) return [];
  if (isIndexType(root.mediaType)) {
    return imageEntries((document as ImageIndex).manifests).map((entry) => entry.platform);
  }
  if (root.platform?.os && root.platform.architecture) return [platformName(root.platform)];
  const config = JSON.parse((await readVerifiedBlob(layoutDir, (document as ImageManifest).config)).toString('utf8')) as Partial<Platform>;
  return config.os && config.architecture ? [platformName({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })] : [];
}
