// A one-layer image pushed straight through the registry API (no build): what referrer and
// signing tests hang artifacts on.
import { OCI_MANIFEST, sha256Digest, type Descriptor } from '../../src/oci/model.js';
import { EMPTY_CONFIG, EMPTY_CONFIG_BYTES } from '../../src/oci/referrers.js';
import type { RegistryClient } from '../../src/registries/client.js';

/** Pushes an image whose one layer holds `text` under `tag`; its descriptor. */
export async function pushTinyImage(client: RegistryClient, repository: string, text: string, tag: string): Promise<Descriptor> {
  const layer = new TextEncoder().encode(text);
  for (const blob of [EMPTY_CONFIG_BYTES, layer]) await client.uploadBlob(repository, sha256Digest(blob), blob.length, () => blob);
  const bytes = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: EMPTY_CONFIG,
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256Digest(layer), size: layer.length }],
    }),
  );
  return { mediaType: OCI_MANIFEST, digest: await client.putManifest(repository, tag, OCI_MANIFEST, bytes), size: bytes.length };
}
