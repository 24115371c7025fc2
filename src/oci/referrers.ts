// Artifacts that refer to an image (OCI 1.1: a manifest with a `subject`), and the referrers
// tag scheme registries without the referrers API are read and written through
// (distribution-spec 1.1, "Referrers Tag Schema"). Pure: src/registries/referrers.ts does the I/O.
import { DIGEST, OCI_INDEX, OCI_MANIFEST, sha256Digest, type Descriptor, type ImageIndex, type ImageManifest } from './model.js';

/** The empty JSON config an artifact manifest carries when it has no config of its own. */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const EMPTY_CONFIG_BYTES = new TextEncoder().encode('{}');
export const EMPTY_CONFIG: Descriptor = { mediaType: OCI_EMPTY, digest: sha256Digest(EMPTY_CONFIG_BYTES), size: EMPTY_CONFIG_BYTES.length };

/** One blob of an artifact: its bytes and media type. */
export interface ArtifactBlob {
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/** What an artifact referring to `subject` is made of. */
export interface ArtifactSpec {
  readonly artifactType: string;
  readonly subject: Descriptor;
  readonly layers: readonly ArtifactBlob[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An artifact manifest ready to push: its bytes, and the descriptor it gets in a referrers list. */
export interface Artifact {
  readonly manifest: ImageManifest & { readonly artifactType: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly bytes: Uint8Array;
  readonly descriptor: Descriptor;
  /** Every blob the manifest names, the empty config first. */
  readonly blobs: readonly (ArtifactBlob & { readonly digest: string })[];
}

/** The image manifest of an artifact (artifactType, the empty config, its layers, its subject). */
export function artifactManifest(spec: ArtifactSpec): Artifact {
  const layers = spec.layers.map((layer) => ({ ...layer, digest: sha256Digest(layer.bytes) }));
  const subject: Descriptor = { mediaType: spec.subject.mediaType, digest: spec.subject.digest, size: spec.subject.size };
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: spec.artifactType,
    config: EMPTY_CONFIG,
    layers: layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.bytes.length })),
    subject,
    ...(spec.annotations && Object.keys(spec.annotations).length > 0 ? { annotations: spec.annotations } : {}),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  return {
    manifest,
    bytes,
    descriptor: referrerDescriptor(manifest, sha256Digest(bytes), bytes.length),
    blobs: [{ mediaType: OCI_EMPTY, bytes: EMPTY_CONFIG_BYTES, digest: EMPTY_CONFIG.digest }, ...layers],
  };
}

/**
 * How a referring manifest is listed (by the referrers API, and in a referrers tag): its
 * descriptor with the artifact type (the config's media type when it has none) and its annotations.
 */
export function referrerDescriptor(manifest: ImageManifest & { artifactType?: string; annotations?: Readonly<Record<string, string>> }, digest: string, size: number): Descriptor {
  return {
    mediaType: manifest.mediaType ?? OCI_MANIFEST,
    digest,
    size,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  };
}

/**
 * The tag that stands in for the referrers API: `<algorithm>-<encoded>`, the encoded part cut
 * to 64 characters and anything a tag cannot hold turned into `-` (sha256: `sha256-<hex>`).
 */
export function referrersTag(digest: string): string {
  const match = DIGEST.exec(digest);
  if (!match) throw new Error(`not a digest: ${digest}`);
  const [, algorithm = '', encoded = ''] = match;
  return `${algorithm}-${encoded.slice(0, 64)}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** The referrers index with `descriptor` in it (once: an entry with the same digest is replaced). */
export function withReferrer(existing: ImageIndex | undefined, descriptor: Descriptor): ImageIndex {
  const others = (existing?.manifests ?? []).filter((entry) => entry.digest !== descriptor.digest);
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...others, descriptor] };
}

/** The referrers of a list, narrowed to one artifact type (what `?artifactType=` asks a registry for). */
export function referrersOfType(index: ImageIndex, artifactType: string | undefined): readonly Descriptor[] {
  return artifactType === undefined ? index.manifests : index.manifests.filter((entry) => entry.artifactType === artifactType);
}
