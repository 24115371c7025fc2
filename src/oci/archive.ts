/**
 * Archives made from an OCI image layout (what buildx's oci exporter writes with tar=false),
 * for the gate on an engine with the classic image store, which cannot load a
 * multi-platform OCI layout ("docker load" wants the `docker save` form there):
 * - one platform's image in `docker save` form, under a local name; the classic store
 *   gives it the config digest as image ID, so what runs is provably the layout's image;
 * - the whole layout as an OCI archive, for a scanner's {oci}.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';
import { imageEntries } from './model.js';
import { blobPath, loadManifests, readOciLayout } from './layout.js';
import { isIndexType, type Descriptor, type ImageIndex, type ImageManifest } from './model.js';

/** `docker save`'s manifest.json for one image: its config and layers by path in the archive. */
export function dockerSaveManifest(manifest: Pick<ImageManifest, 'config' | 'layers'>, repoTag: string): string {
  const file = (descriptor: Descriptor): string => `blobs/${descriptor.digest.replace(':', '/')}`;
  return JSON.stringify([{ Config: file(manifest.config), RepoTags: [repoTag], Layers: manifest.layers.map(file) }]);
}

/** The image manifest of `platform` (`os/arch[/variant]`) in the layout's image. */
export async function platformManifest(layoutDir: string, platform: string): Promise<{ digest: string; manifest: ImageManifest }> {
  const { image } = await readOciLayout(layoutDir);
  const manifests = await loadManifests(layoutDir, image);
  const root = manifests.get(image.digest)?.document;
  const digest = root && isIndexType(image.mediaType) ? imageEntries((root as ImageIndex).manifests).find((entry) => entry.platform === platform)?.digest : image.digest;
  const manifest = digest === undefined ? undefined : manifests.get(digest)?.document;
  if (!digest || !manifest) throw new Error(`the OCI layout ${layoutDir} has no image for ${platform}`);
  return { digest, manifest: manifest as ImageManifest };
}

/** Adds one file to the archive, streamed. */
function addFile(pack: Pack, name: string, file: string, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ name, size }, (error) => (error ? reject(error) : resolve()));
    pipeline(createReadStream(file), entry).catch(reject);
  });
}

async function writeTar(file: string, fill: (pack: Pack) => Promise<void>): Promise<void> {
  // Loaded on first use: only the gate on the classic image store writes archives.
  const { pack: createPack } = await import('tar-stream');
  const pack = createPack();
  const written = pipeline(pack, createWriteStream(file, { mode: 0o600 }));
  try {
    await fill(pack);
    pack.finalize();
  } catch (error) {
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  }
  await written;
}

/**
 * Writes `platform`'s image of the layout as a `docker save` archive named `repoTag`;
 * returns the image ID the classic store will give it (its config digest).
 */
export async function writeDockerArchive(layoutDir: string, platform: string, repoTag: string, file: string): Promise<string> {
  const { manifest } = await platformManifest(layoutDir, platform);
  await writeTar(file, async (pack) => {
    pack.entry({ name: 'manifest.json' }, dockerSaveManifest(manifest, repoTag));
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      await addFile(pack, `blobs/${descriptor.digest.replace(':', '/')}`, blobPath(layoutDir, descriptor.digest), descriptor.size);
    }
  });
  return manifest.config.digest;
}

/** Writes the whole layout folder as an OCI archive (a tar of it, as `docker save` makes on the containerd store). */
export async function writeOciArchive(layoutDir: string, file: string): Promise<void> {
  const files = (await readdir(layoutDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  await writeTar(file, async (pack) => {
    for (const entry of files) {
      const full = path.join(entry.parentPath, entry.name);
      await addFile(pack, path.relative(layoutDir, full), full, (await stat(full)).size);
    }
  });
}
