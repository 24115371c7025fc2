// Reading an OCI image layout (what `buildx build --output type=oci,dest=<dir>,tar=false`
// writes): its index, the manifests reachable from it (each checked against its digest), and
// the order in which a push must send them.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DIGEST, digestOf, HEX_LENGTH, isIndexType, isManifestType, OCI_INDEX, type Descriptor, type ImageIndex, type ImageManifest, type ManifestDocument } from './model.js';

/** `<dir>/blobs/<algorithm>/<hex>`, for well-formed digests only (no path tricks from a layout's JSON). */
export function blobPath(layoutDir: string, digest: string): string {
  const match = DIGEST.exec(digest);
  if (!match?.[1] || !match[2] || match[2].length !== HEX_LENGTH[match[1]]) throw new Error(`not a sha256/sha512 digest: ${JSON.stringify(digest)}`);
  return path.join(layoutDir, 'blobs', match[1], match[2]);
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
    throw new Error(`${dir} is not an OCI image layout: cannot read its oci-layout file (${error instanceof Error ? error.message : String(error)})`, { cause: error });
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

export interface LoadedManifest {
  readonly bytes: Buffer;
  readonly document: ManifestDocument;
}

/** Reads a blob the layout must have, checking its size and digest. */
export async function readVerifiedBlob(layoutDir: string, descriptor: Descriptor): Promise<Buffer> {
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
