import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OCI_INDEX, OCI_MANIFEST } from '../../src/oci/model.js';
import { EMPTY_CONFIG } from '../../src/oci/referrers.js';
import { bundleArtifact, COSIGN_SIGN_PREDICATE, imageStatement, SIGSTORE_BUNDLE_V03, SLSA_PROVENANCE_PREDICATE } from '../../src/signing/statement.js';

const hex = createHash('sha256').update('index').digest('hex');

describe('imageStatement', () => {
  it.each([
    ['a cosign 3 image signature: the digest alone, an empty predicate', COSIGN_SIGN_PREDICATE, {}, undefined, [{ digest: { sha256: hex } }]],
    ['build provenance: the repository named', SLSA_PROVENANCE_PREDICATE, { buildDefinition: {} }, 'ghcr.io/acme/app', [{ name: 'ghcr.io/acme/app', digest: { sha256: hex } }]],
  ])('%s', (_, predicateType, predicate, name, subject) => {
    expect(imageStatement(`sha256:${hex}`, predicateType, predicate, name)).toEqual({ _type: 'https://in-toto.io/Statement/v1', subject, predicateType, predicate });
  });

  it('refuses a tag where a digest belongs', () => {
    expect(() => imageStatement('latest', SLSA_PROVENANCE_PREDICATE, {}, 'ghcr.io/acme/app')).toThrow('not a digest: latest');
  });
});

describe("bundleArtifact (cosign's bundle spec)", () => {
  const subject = { mediaType: OCI_INDEX, digest: `sha256:${hex}`, size: 900 };
  const bundle = '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}';
  const artifact = bundleArtifact(bundle, subject, SLSA_PROVENANCE_PREDICATE, new Date('2026-12-03T08:00:00Z'));

  it('stores the bundle as the one layer of a manifest of the bundle artifact type, referring to the image', () => {
    expect(artifact.manifest).toEqual({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: SIGSTORE_BUNDLE_V03,
      config: EMPTY_CONFIG,
      layers: [{ mediaType: SIGSTORE_BUNDLE_V03, digest: `sha256:${createHash('sha256').update(bundle).digest('hex')}`, size: bundle.length }],
      subject,
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1',
        'org.opencontainers.image.created': '2026-12-03T08:00:00.000Z',
      },
    });
  });

  it('carries its annotations into the referrers listing', () => {
    expect(artifact.descriptor.annotations?.['dev.sigstore.bundle.predicateType']).toBe(SLSA_PROVENANCE_PREDICATE);
    expect(artifact.descriptor.artifactType).toBe(SIGSTORE_BUNDLE_V03);
  });
});
