// The one OCI model every module shares: media types, descriptors, index and manifest
// documents, platforms as `os/arch[/variant]`, and the sha256 digest of content.
import { createHash } from 'node:crypto';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly urls?: readonly string[];
  readonly artifactType?: string;
}

export interface ImageIndex {
  readonly schemaVersion: number;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly schemaVersion: number;
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
}

export type ManifestDocument = ImageIndex | ImageManifest;

export function isIndexType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

export function isManifestType(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/** `os/arch[/variant]`. */
export function platformName(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

export interface ManifestSummary {
  readonly digest: string;
  readonly mediaType: string;
  /** `os/arch[/variant]` of every image in the index (attestation manifests excluded). */
  readonly platforms: readonly string[];
  readonly attestations: number;
}

/** An index entry as registries list them. */
export interface ImageIndexEntry {
  readonly digest?: string;
  readonly platform?: Partial<Platform>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** BuildKit's provenance/SBOM manifests: listed as unknown/unknown, not images to run. */
export function isAttestationEntry(entry: ImageIndexEntry): boolean {
  return entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || entry.platform?.os === 'unknown';
}

/** The runnable images of an index, each with its `os/arch[/variant]` (the one rule every caller shares). */
export function imageEntries(manifests: readonly ImageIndexEntry[]): { digest: string; platform: string }[] {
  return manifests
    .filter((entry) => !isAttestationEntry(entry) && entry.platform?.os && entry.platform.architecture && typeof entry.digest === 'string')
    .map((entry) => ({
      digest: entry.digest ?? '',
      platform: platformName({ os: entry.platform?.os ?? '', architecture: entry.platform?.architecture ?? '', ...(entry.platform?.variant ? { variant: entry.platform.variant } : {}) }),
    }));
}

/** Reads a manifest or index exactly as the registry served it; its digest is the sha256 of those bytes. */
export function summarizeManifest(raw: string, singlePlatform?: string): ManifestSummary {
  const digest = sha256Digest(raw);
  const document = JSON.parse(raw) as { mediaType?: string; manifests?: ImageIndexEntry[] };
  const mediaType = document.mediaType ?? '';
  if (!Array.isArray(document.manifests)) {
    return { digest, mediaType, platforms: singlePlatform ? [singlePlatform] : [], attestations: 0 };
  }
  const platforms = imageEntries(document.manifests).map((entry) => entry.platform);
  return { digest, mediaType, platforms, attestations: document.manifests.filter(isAttestationEntry).length };
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A content digest: `<algorithm>:<hex>`, the algorithms OCI layouts use. */
export const DIGEST = /^(sha256|sha512):([0-9a-f]+)$/;
export const HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/** The algorithm of a digest (sha256 when it names none). */
export function digestAlgorithm(digest: string): string {
  return DIGEST.exec(digest)?.[1] ?? 'sha256';
}

/** The digest of `bytes` with the algorithm `digest` uses, to compare with it. */
export function digestOf(bytes: Uint8Array, digest: string): string {
  const algorithm = digestAlgorithm(digest);
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
