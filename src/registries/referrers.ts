// Storing an artifact that refers to an image, and finding the artifacts that do, on any
// registry: through the referrers API where the registry has it (OCI 1.1), else through the
// referrers tag `sha256-<hex>` (distribution-spec 1.1's fallback, what cosign and oras do too).
import { withRetries, type RetryHooks, type RetryPolicy } from '../retry.js';
import { OCI_INDEX, OCI_MANIFEST, type Descriptor, type ImageIndex } from '../oci/model.js';
import { referrersOfType, referrersTag, withReferrer, type Artifact } from '../oci/referrers.js';
import { RegistryError, type RegistryClient } from './client.js';

export type ReferrersClient = Pick<RegistryClient, 'blobExists' | 'uploadBlob' | 'putManifest' | 'putReferringManifest' | 'manifest' | 'referrers'>;

/** How a registry lists an image's referrers. */
export type ReferrersListing = 'referrers API' | 'referrers tag';

export interface StoredReferrer {
  readonly digest: string;
  readonly listing: ReferrersListing;
}

/**
 * Pushes `artifact` (its blobs, then its manifest by digest) into `repository`. When the
 * registry does not index it by subject, the referrers tag of the subject is updated to list
 * it too, as readers without the API look there.
 */
export async function pushReferrer(client: ReferrersClient, repository: string, artifact: Artifact, retry: RetryPolicy, hooks: RetryHooks): Promise<StoredReferrer> {
  for (const blob of artifact.blobs) {
    await withRetries(
      `uploading ${blob.mediaType} ${blob.digest}`,
      retry,
      async () => {
        if (!(await client.blobExists(repository, blob.digest, 'push'))) await client.uploadBlob(repository, blob.digest, blob.bytes.length, () => blob.bytes);
      },
      hooks,
    );
  }
  const subject = artifact.manifest.subject?.digest ?? '';
  const put = await withRetries(
    `putting ${artifact.manifest.artifactType} ${artifact.descriptor.digest}`,
    retry,
    () => client.putReferringManifest(repository, OCI_MANIFEST, artifact.bytes, subject),
    hooks,
  );
  if (put.indexedBySubject) return { digest: put.digest, listing: 'referrers API' };
  const tag = referrersTag(subject);
  await withRetries(
    `updating the referrers tag ${tag}`,
    retry,
    async () => {
      const index = withReferrer(await readReferrersTag(client, repository, tag), artifact.descriptor);
      await client.putManifest(repository, tag, OCI_INDEX, new TextEncoder().encode(JSON.stringify(index)));
    },
    hooks,
  );
  return { digest: put.digest, listing: 'referrers tag' };
}

/** The artifacts referring to `subject` (of `artifactType`, when given), from the referrers API or else the referrers tag. */
export async function listReferrers(client: ReferrersClient, repository: string, subject: string, artifactType?: string): Promise<{ referrers: readonly Descriptor[]; listing: ReferrersListing }> {
  const fromApi = await client.referrers(repository, subject);
  if (fromApi !== undefined) return { referrers: referrersOfType(parseIndex(fromApi, `the referrers of ${subject}`), artifactType), listing: 'referrers API' };
  const index = await readReferrersTag(client, repository, referrersTag(subject));
  return { referrers: index ? referrersOfType(index, artifactType) : [], listing: 'referrers tag' };
}

/** The index under a referrers tag, or undefined when the tag does not exist yet. */
async function readReferrersTag(client: ReferrersClient, repository: string, tag: string): Promise<ImageIndex | undefined> {
  try {
    return parseIndex((await client.manifest(repository, tag)).body, `the referrers tag ${tag}`);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}

function parseIndex(body: string, what: string): ImageIndex {
  const parsed = JSON.parse(body) as Partial<ImageIndex>;
  if (!Array.isArray(parsed.manifests)) throw new Error(`${what} is not an image index`);
  return parsed as ImageIndex;
}
