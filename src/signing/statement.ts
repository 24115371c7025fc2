// What the step signs and how it is stored: in-toto statements about the pushed image, and
// the referrer artifact a Sigstore bundle travels in (cosign's bundle spec: specs/BUNDLE_SPEC.md
// in sigstore/cosign). Pure: src/phases/sign.ts gets the signatures and pushes.
import { DIGEST, type Descriptor } from '../oci/model.js';
import { artifactManifest, type Artifact } from '../oci/referrers.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The predicate of a cosign 3 image signature. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const SLSA_PROVENANCE_PREDICATE = 'https://slsa.dev/provenance/v1';
/** The media (and artifact) type of a Sigstore bundle, as @sigstore/sign writes it. */
export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface InTotoStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_V1;
  readonly subject: readonly { readonly name?: string; readonly digest: Readonly<Record<string, string>> }[];
  readonly predicateType: string;
  readonly predicate: object;
}

/**
 * A statement about the image at `digest`. `name` is the repository (registry/name, no tag)
 * where the reader expects one (build provenance, as actions/attest-build-provenance writes
 * it); cosign 3's image signature names no subject, only its digest.
 */
export function imageStatement(digest: string, predicateType: string, predicate: object, name?: string): InTotoStatement {
  const match = DIGEST.exec(digest);
  if (!match) throw new Error(`not a digest: ${digest}`);
  return { _type: IN_TOTO_STATEMENT_V1, subject: [{ ...(name ? { name } : {}), digest: { [match[1] ?? '']: match[2] ?? '' } }], predicateType, predicate };
}

/**
 * The referrer that stores a Sigstore bundle of a DSSE-signed statement next to `subject`,
 * annotated so a listing tells a signature from a provenance without fetching either.
 */
export function bundleArtifact(bundleJson: string, subject: Descriptor, predicateType: string, created: Date): Artifact {
  return artifactManifest({
    artifactType: SIGSTORE_BUNDLE_V03,
    subject,
    layers: [{ mediaType: SIGSTORE_BUNDLE_V03, bytes: new TextEncoder().encode(bundleJson) }],
    annotations: {
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': predicateType,
      'org.opencontainers.image.created': created.toISOString(),
    },
  });
}
