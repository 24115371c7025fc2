import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { imageEntries } from './model.js';
import { isIndexType, isManifestType, OCI_INDEX, platformName, type Descriptor, type Platform, type ImageIndex, type ImageManifest, type ManifestDocument } from './model.js';
import { withRetries, type RetryPolicy } from '../retry.js';
import type { BlobBody, RegistryClient } from '../registries/client.js';

/**
 * Pushes an OCI image layout (what `docker buildx build --output type=oci,dest=<dir>,tar=false`
 * writes) to a registry by digest, through the registry API: every blob (HEAD first, upload
 * only when missing), then the manifests children first, then the top-level manifest or index.
 *
 * This is how split native builds publish one platform without a tag: buildx's docker driver
 * cannot push by digest ("not implemented for docker driver") and `docker push repo@sha256:…`
 * is refused, so the merge step (`docker buildx imagetools create`) gets the digest from here.
 */

const DIGEST = /^(sha256|sha512):([0-9a-f]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

/** `<dir>/blobs/<algorithm>/<hex>`, for well-formed digests only (no path tricks from a layout's JSON). */
export function blobPath(layoutDir: string, digest: string): string {
  const match = DIGEST.exec(digest);
  if (!match?.[1] || !match[2] || match[2].length !== HEX_LENGTH[match[1]]) throw new Error(`not a sha256/sha512 digest: ${JSON.stringify(digest)}`);
  return path.join(layoutDir, 'blobs', match[1], match[2]);
}

function digestOf(bytes: Uint8Array, digest: string): string {
  const algorithm = DIGEST.exec(digest)?.[1] ?? 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a descriptor's shape (`where` names it in errors) and returns it typed. */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isRecord(value)) throw new Error(`${where}: not a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw new Error(`${where}: no mediaType`);
  if (typeof digest !== 'string') throw new Error(`${where}: no digest`);
  blobPath('.', digest);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new Error(`${where}: no valid size`);
  return value as unknown as Descriptor;
}

/** Checks a manifest or index document's shape; `mediaType` is the one its descriptor gave. */
export function parseManifestDocument(value: unknown, mediaType: string, where: string): ManifestDocument {
  if (!isRecord(value)) throw new Error(`${where}: not a JSON object`);
  if (typeof value.mediaType === 'string' && value.mediaType !== mediaType) throw new Error(`${where}: says mediaType ${value.mediaType}, its descriptor ${mediaType}`);
  if (isIndexType(mediaType)) {
    if (!Array.isArray(value.manifests)) throw new Error(`${where}: an index without "manifests"`);
    value.manifests.forEach((entry, position) => parseDescriptor(entry, `${where} manifests[${position}]`));
  } else if (isManifestType(mediaType)) {
    parseDescriptor(value.config, `${where} config`);
    if (!Array.isArray(value.layers)) throw new Error(`${where}: a manifest without "layers"`);
    value.layers.forEach((entry, position) => parseDescriptor(entry, `${where} layers[${position}]`));
  } else {
    throw new Error(`${where}: ${mediaType} is neither an image manifest nor an index`);
  }
  return value as unknown as ManifestDocument;
}

export interface OciLayout {
  readonly dir: string;
  /** The layout's index.json. */
  readonly index: ImageIndex;
  /** The image: index.json's entry (an index when buildx added attestations, else one image manifest). */
  readonly image: Descriptor;
}

const REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * Reads an OCI layout folder: its `oci-layout` marker and `index.json`, whose one entry
 * (or the one named `refName`) is the image.
 */
export async function readOciLayout(dir: string, refName?: string): Promise<OciLayout> {
  let marker: unknown;
  try {
    marker = JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8'));
  } catch (error) {
    throw new Error(`${dir} is not an OCI image layout: cannot read its oci-layout file (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isRecord(marker) || typeof marker.imageLayoutVersion !== 'string') throw new Error(`${dir}/oci-layout has no imageLayoutVersion`);
  const raw: unknown = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
  const index = parseManifestDocument(raw, OCI_INDEX, `${dir}/index.json`) as ImageIndex;
  const candidates = refName === undefined ? index.manifests : index.manifests.filter((entry) => entry.annotations?.[REF_NAME] === refName);
  if (candidates.length !== 1 || !candidates[0]) {
    const names = index.manifests.map((entry) => entry.annotations?.[REF_NAME] ?? entry.digest).join(', ') || 'none';
    throw new Error(
      refName === undefined
        ? `${dir}/index.json lists ${index.manifests.length} images (${names}); expected exactly one`
        : `${dir}/index.json has ${candidates.length} images named ${refName} (it lists ${names})`,
    );
  }
  const image = candidates[0];
  if (!isIndexType(image.mediaType) && !isManifestType(image.mediaType)) throw new Error(`${dir}/index.json: the image is a ${image.mediaType}, not a manifest or index`);
  return { dir, index, image };
}

export interface PushItem {
  readonly kind: 'blob' | 'manifest';
  readonly descriptor: Descriptor;
}

/**
 * Every blob and manifest reachable from `root`, each once (by digest), children
 * before their parents: a manifest comes after its config and layers, an index after
 * its manifests, `root` last. `manifests` holds the parsed documents by digest.
 * A manifest's `subject` is a reference to something already pushed, not a child.
 */
export function walkDescriptors(root: Descriptor, manifests: ReadonlyMap<string, ManifestDocument>): PushItem[] {
  const items: PushItem[] = [];
  const seen = new Set<string>();
  const visiting = new Set<string>();
  const visit = (descriptor: Descriptor, kind: PushItem['kind']): void => {
    if (seen.has(descriptor.digest)) return;
    if (kind === 'manifest') {
      if (visiting.has(descriptor.digest)) throw new Error(`${descriptor.digest} refers to itself`);
      const document = manifests.get(descriptor.digest);
      if (!document) throw new Error(`manifest ${descriptor.digest} (${descriptor.mediaType}) was not loaded`);
      visiting.add(descriptor.digest);
      if (isIndexType(descriptor.mediaType)) {
        for (const child of (document as ImageIndex).manifests) visit(child, 'manifest');
      } else {
        const manifest = document as ImageManifest;
        visit(manifest.config, 'blob');
        for (const layer of manifest.layers) visit(layer, 'blob');
      }
      visiting.delete(descriptor.digest);
    }
    seen.add(descriptor.digest);
    items.push({ kind, descriptor });
  };
  visit(root, 'manifest');
  return items;
}

/** What to push, in order: all blobs (any order works, they are independent), then the manifests children first. */
export function pushOrder(root: Descriptor, manifests: ReadonlyMap<string, ManifestDocument>): PushItem[] {
  const items = walkDescriptors(root, manifests);
  return [...items.filter((item) => item.kind === 'blob'), ...items.filter((item) => item.kind === 'manifest')];
}

interface LoadedManifest {
  readonly bytes: Buffer;
  readonly document: ManifestDocument;
}

/** Reads a blob the layout must have, checking its size and digest. */
async function readVerifiedBlob(layoutDir: string, descriptor: Descriptor): Promise<Buffer> {
  const file = blobPath(layoutDir, descriptor.digest);
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new Error(`the OCI layout ${layoutDir} lacks ${descriptor.mediaType} ${descriptor.digest} (${error instanceof Error ? error.message : String(error)})`);
  });
  if (bytes.length !== descriptor.size) throw new Error(`${file} has ${bytes.length} bytes, its descriptor says ${descriptor.size}`);
  const actual = digestOf(bytes, descriptor.digest);
  if (actual !== descriptor.digest) throw new Error(`${file} has digest ${actual}, not ${descriptor.digest}`);
  return bytes;
}

/** Reads (and verifies) every manifest and index reachable from `root`. */
export async function loadManifests(layoutDir: string, root: Descriptor): Promise<Map<string, LoadedManifest>> {
  const loaded = new Map<string, LoadedManifest>();
  const load = async (descriptor: Descriptor): Promise<void> => {
    if (loaded.has(descriptor.digest)) return;
    const bytes = await readVerifiedBlob(layoutDir, descriptor);
    const document = parseManifestDocument(JSON.parse(bytes.toString('utf8')), descriptor.mediaType, `${descriptor.mediaType} ${descriptor.digest}`);
    loaded.set(descriptor.digest, { bytes, document });
    if (isIndexType(descriptor.mediaType)) for (const child of (document as ImageIndex).manifests) await load(child);
  };
  await load(root);
  return loaded;
}

/**
 * Streams a layout blob for an upload, checking on the way that it has exactly
 * `size` bytes with `digest`; a mismatch fails the stream (and so the upload).
 */
export function verifiedBlobStream(file: string, digest: string, size: number, onMismatch: (error: Error) => void = () => undefined): BlobBody {
  const algorithm = DIGEST.exec(digest)?.[1] ?? 'sha256';
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

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
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
      options.log(`  ${blob.digest} (${formatSize(blob.size)}): already in ${where}`);
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
    options.log(`  ${blob.digest} (${formatSize(blob.size)}): uploaded in ${Date.now() - started} ms`);
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
    `Pushed ${where}@${root.digest} (${platforms.join(', ') || 'no platform'}): ${blobsUploaded} blob(s) uploaded (${formatSize(bytesUploaded)}), ${blobsSkipped} already there, ${manifestsPut} manifest PUT(s)`,
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
