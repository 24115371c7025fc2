import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OCI_INDEX, OCI_MANIFEST, type Descriptor } from '../../src/oci/model.js';
import { artifactManifest, EMPTY_CONFIG, OCI_EMPTY, referrerDescriptor, referrersOfType, referrersTag, withReferrer } from '../../src/oci/referrers.js';

const sha = (bytes: string | Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const subject: Descriptor = { mediaType: OCI_INDEX, digest: sha('index'), size: 1234, annotations: { 'not.copied': 'x' } };

describe('the empty config', () => {
  it('is the two bytes {} under the digest the image-spec gives for it', () => {
    expect(EMPTY_CONFIG).toEqual({ mediaType: OCI_EMPTY, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 });
  });
});

describe('artifactManifest', () => {
  const bundle = new TextEncoder().encode('{"mediaType":"bundle"}');
  const artifact = artifactManifest({ artifactType: BUNDLE, subject, layers: [{ mediaType: BUNDLE, bytes: bundle }], annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' } });

  it('is an OCI image manifest with the artifact type, the empty config, the layer and the subject (its descriptor only)', () => {
    expect(artifact.manifest).toEqual({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE,
      config: EMPTY_CONFIG,
      layers: [{ mediaType: BUNDLE, digest: sha(bundle), size: bundle.length }],
      subject: { mediaType: OCI_INDEX, digest: subject.digest, size: 1234 },
      annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' },
    });
    expect(JSON.parse(new TextDecoder().decode(artifact.bytes))).toEqual(artifact.manifest);
  });

  it('lists itself by the digest of its own bytes, with its artifact type and annotations', () => {
    expect(artifact.descriptor).toEqual({
      mediaType: OCI_MANIFEST,
      digest: sha(artifact.bytes),
      size: artifact.bytes.length,
      artifactType: BUNDLE,
      annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' },
    });
  });

  it('names every blob to upload, the empty config first', () => {
    expect(artifact.blobs.map((blob) => [blob.mediaType, blob.digest, blob.bytes.length])).toEqual([
      [OCI_EMPTY, EMPTY_CONFIG.digest, 2],
      [BUNDLE, sha(bundle), bundle.length],
    ]);
  });

  it('leaves annotations out when there are none', () => {
    const bare = artifactManifest({ artifactType: BUNDLE, subject, layers: [{ mediaType: BUNDLE, bytes: bundle }], annotations: {} });
    expect('annotations' in bare.manifest).toBe(false);
    expect('annotations' in bare.descriptor).toBe(false);
  });
});

describe('referrerDescriptor', () => {
  it.each([
    ['an artifact type of its own', { artifactType: 'application/example' }, 'application/example'],
    ['none: the config media type stands in (image-spec)', {}, 'application/vnd.example.config+json'],
  ])('%s', (_, extra, expected) => {
    const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.example.config+json', digest: sha('c'), size: 1 }, layers: [], ...extra };
    expect(referrerDescriptor(manifest, sha('m'), 10).artifactType).toBe(expected);
  });
});

describe('referrersTag (distribution-spec 1.1 referrers tag schema)', () => {
  it.each([
    [`sha256:${'a'.repeat(64)}`, `sha256-${'a'.repeat(64)}`],
    [`sha512:${'b'.repeat(128)}`, `sha512-${'b'.repeat(64)}`],
  ])('%s → %s', (digest, tag) => {
    expect(referrersTag(digest)).toBe(tag);
  });

  it('refuses what is not a digest', () => {
    expect(() => referrersTag('latest')).toThrow('not a digest: latest');
  });
});

describe('withReferrer and referrersOfType', () => {
  const one: Descriptor = { mediaType: OCI_MANIFEST, digest: sha('one'), size: 1, artifactType: BUNDLE };
  const two: Descriptor = { mediaType: OCI_MANIFEST, digest: sha('two'), size: 2, artifactType: 'application/vnd.in-toto+json' };

  it.each([
    ['no index yet: a new one', undefined, one, [one]],
    ['appends to an existing index', { schemaVersion: 2, manifests: [two] }, one, [two, one]],
    ['lists a digest once', { schemaVersion: 2, manifests: [one, two] }, { ...one, annotations: { a: 'b' } }, [two, { ...one, annotations: { a: 'b' } }]],
  ])('%s', (_, existing, added, expected) => {
    expect(withReferrer(existing, added)).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: expected });
  });

  it.each([
    [undefined, [one, two]],
    [BUNDLE, [one]],
    ['application/other', []],
  ])('filtered by %s', (artifactType, expected) => {
    expect(referrersOfType({ schemaVersion: 2, manifests: [one, two] }, artifactType)).toEqual(expected);
  });
});
