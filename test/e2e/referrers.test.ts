// End to end: an artifact referring to an image, stored in the real registry here
// (distribution 2.8, which has no referrers API) through the referrers tag scheme, and found
// again. Assertions read the registry over HTTP, not through the code under test.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registries/client.js';
import { listReferrers, pushReferrer } from '../../src/registries/referrers.js';
import { OCI_INDEX, OCI_MANIFEST, type Descriptor, type ImageIndex } from '../../src/oci/model.js';
import { artifactManifest, referrersTag } from '../../src/oci/referrers.js';
import { loadEngineEnv, registryManifest, type Engine } from './engine.mjs';
import { pushTinyImage } from './tiny-image.js';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const PROVENANCE = 'application/vnd.in-toto+json';
const retry = { retries: 2, delayMs: 100, maxDelayMs: 1000 };
const hooks = { log: () => undefined };
const repository = `e2e/referrers-${randomUUID().slice(0, 8)}`;

let engine: Engine;
let client: RegistryClient;
let subject: Descriptor;

beforeAll(async () => {
  engine = loadEngineEnv();
  client = new RegistryClient(engine.registry, { username: engine.username, password: engine.password });
  // The image the artifacts refer to.
  subject = await pushTinyImage(client, repository, `layer ${repository}`, 'v1');
});

describe('referrers on distribution 2.8 (no referrers API)', () => {
  it('the registry has no referrers API: it answers 404, so the tag scheme is the way', async () => {
    const response = await fetch(`http://${engine.registry}/v2/${repository}/referrers/${subject.digest}`, {
      headers: { Authorization: `Basic ${Buffer.from(`${engine.username}:${engine.password}`).toString('base64')}` },
    });
    expect(response.status).toBe(404);
  });

  it('a signature and a provenance artifact land under the referrers tag, listed with their types; the image is untouched', async () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const signature = artifactManifest({
      artifactType: BUNDLE,
      subject,
      layers: [{ mediaType: BUNDLE, bytes: bytes('{"signature":1}') }],
      annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' },
    });
    const provenance = artifactManifest({
      artifactType: BUNDLE,
      subject,
      layers: [{ mediaType: BUNDLE, bytes: bytes('{"provenance":1}') }],
      annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' },
    });
    expect(await pushReferrer(client, repository, signature, retry, hooks)).toEqual({ digest: signature.descriptor.digest, listing: 'referrers tag' });
    expect(await pushReferrer(client, repository, provenance, retry, hooks)).toEqual({ digest: provenance.descriptor.digest, listing: 'referrers tag' });

    // Read by plain HTTP: the tag holds an OCI index of both, as the spec lays it out.
    const tag = await registryManifest(engine, repository, referrersTag(subject.digest));
    expect(tag.status).toBe(200);
    const index = tag.json as ImageIndex;
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests).toEqual([
      { mediaType: OCI_MANIFEST, digest: signature.descriptor.digest, size: signature.bytes.length, artifactType: BUNDLE, annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' } },
      {
        mediaType: OCI_MANIFEST,
        digest: provenance.descriptor.digest,
        size: provenance.bytes.length,
        artifactType: BUNDLE,
        annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' },
      },
    ]);
    // Each artifact is stored by digest, its subject the image.
    const stored = await registryManifest(engine, repository, signature.descriptor.digest);
    expect(stored.status).toBe(200);
    expect(stored.json).toMatchObject({ artifactType: BUNDLE, subject: { digest: subject.digest } });
    expect((await registryManifest(engine, repository, 'v1')).digest).toBe(subject.digest);

    expect(await listReferrers(client, repository, subject.digest)).toEqual({ referrers: index.manifests, listing: 'referrers tag' });
    expect((await listReferrers(client, repository, subject.digest, PROVENANCE)).referrers).toEqual([]);
  });
});
