import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { dockerSaveManifest, platformManifest, writeDockerArchive, writeOciArchive } from '../../src/oci/archive.js';

/** Writes a blob into the layout; returns its descriptor. */
function blob(dir: string, mediaType: string, content: string | Buffer, extra: Record<string, unknown> = {}): { mediaType: string; digest: string; size: number } {
  const bytes = Buffer.from(content);
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(path.join(dir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length, ...extra };
}

/** A two-platform layout as buildx's oci exporter writes it: index.json → image index → manifests. */
function layout(): { dir: string; configs: Record<string, string> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-test-'));
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const configs: Record<string, string> = {};
  const manifests = ['amd64', 'arm64'].map((architecture) => {
    const config = blob(dir, 'application/vnd.oci.image.config.v1+json', JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    configs[architecture] = config.digest;
    const layer = blob(dir, 'application/vnd.oci.image.layer.v1.tar+gzip', `layer of ${architecture}`);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] });
    return blob(dir, 'application/vnd.oci.image.manifest.v1+json', manifest, { platform: { os: 'linux', architecture } });
  });
  const index = blob(dir, 'application/vnd.oci.image.index.v1+json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [index] }));
  return { dir, configs };
}

/** Names and contents of a tar file's entries. */
async function entries(file: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      found.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
    reader.end(readFileSync(file));
  });
  return found;
}

describe('dockerSaveManifest', () => {
  it('lists the config and layers by their paths in the archive, under the given name', () => {
    const manifest = { config: { mediaType: 'c', digest: 'sha256:aa', size: 1 }, layers: [{ mediaType: 'l', digest: 'sha256:bb', size: 2 }] };
    expect(JSON.parse(dockerSaveManifest(manifest, 'gate:amd64'))).toEqual([{ Config: 'blobs/sha256/aa', RepoTags: ['gate:amd64'], Layers: ['blobs/sha256/bb'] }]);
  });
});

describe('archives of an OCI layout', () => {
  it('finds each platform in the image index, and says which is missing', async () => {
    const { dir, configs } = layout();
    expect((await platformManifest(dir, 'linux/arm64')).manifest.config.digest).toBe(configs.arm64);
    await expect(platformManifest(dir, 'linux/s390x')).rejects.toThrow(/has no image for linux\/s390x/);
  });

  it("writes one platform in docker save form; the image ID it returns is that platform's config digest", async () => {
    const { dir, configs } = layout();
    const file = path.join(dir, '..', `${path.basename(dir)}-arm64.tar`);
    const imageId = await writeDockerArchive(dir, 'linux/arm64', 'gate:arm64', file);
    expect(imageId).toBe(configs.arm64);
    const files = await entries(file);
    const [saved] = JSON.parse(files.get('manifest.json')?.toString() ?? '[]') as { Config: string; Layers: string[] }[];
    expect(saved?.Config).toBe(`blobs/sha256/${configs.arm64?.slice(7)}`);
    expect(files.get(saved?.Layers[0] ?? '')?.toString()).toBe('layer of arm64');
    expect([...files.keys()].sort()).toEqual(['manifest.json', saved?.Config, ...(saved?.Layers ?? [])].sort());
  });

  it('writes the whole layout as an OCI archive: every file, unchanged', async () => {
    const { dir } = layout();
    const file = path.join(dir, '..', `${path.basename(dir)}.oci.tar`);
    await writeOciArchive(dir, file);
    const files = await entries(file);
    expect(files.get('index.json')?.toString()).toBe(readFileSync(path.join(dir, 'index.json'), 'utf8'));
    expect(files.get('oci-layout')?.toString()).toBe('{"imageLayoutVersion":"1.0.0"}');
    expect([...files.keys()].filter((name) => name.startsWith('blobs/sha256/'))).toHaveLength(7);
  });
});
