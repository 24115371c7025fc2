// The sign and attest phases: a keyless Sigstore signature of the verified
// image digest, made with the job's OIDC token, stored next to the image in every registry it
// was pushed to as cosign 3 stores one (a bundle referrer). Loaded only when `sign` is set:
// @sigstore/sign and its HTTP client are not part of the step's start.
import { ActionError, errorMessage } from '../errors.js';
import type { Descriptor } from '../oci/model.js';
import type { Artifact } from '../oci/referrers.js';
import type { SigstoreEndpoints } from '../plan/signing.js';
import { pushReferrer, type ReferrersClient, type StoredReferrer } from '../registries/referrers.js';
import { RegistryClient, type BasicCredential } from '../registries/client.js';
import type { ImageReference } from '../tags/reference.js';
import type { RetryHooks, RetryPolicy } from '../retry.js';
import { bundleArtifact, COSIGN_SIGN_PREDICATE, imageStatement, IN_TOTO_PAYLOAD_TYPE, SLSA_PROVENANCE_PREDICATE, type InTotoStatement } from '../signing/statement.js';

/** The part of signing that failed, as the step's error names it. */
export type SigningPart = 'OIDC token' | 'provenance' | 'certificate (Fulcio)' | 'transparency log (Rekor)' | 'timestamp (TSA)' | 'signature' | 'registry write' | 'attestations API';

/** A signing failure that says which part failed; the image stays pushed. */
export class SigningFailure extends ActionError {
  override name = 'SigningFailure';
  constructor(
    readonly part: SigningPart,
    detail: string,
  ) {
    super(`signing failed at the ${part}: ${detail}`);
  }
}

/** Which part an @sigstore/sign error code belongs to (its InternalError codes). */
export function partOfSigstoreError(code: string | undefined): SigningPart | undefined {
  switch (code) {
    case 'IDENTITY_TOKEN_READ_ERROR':
    case 'IDENTITY_TOKEN_PARSE_ERROR':
      return 'OIDC token';
    case 'CA_CREATE_SIGNING_CERTIFICATE_ERROR':
      return 'certificate (Fulcio)';
    case 'TLOG_CREATE_ENTRY_ERROR':
    case 'TLOG_FETCH_ENTRY_ERROR':
      return 'transparency log (Rekor)';
    case 'TSA_CREATE_TIMESTAMP_ERROR':
      return 'timestamp (TSA)';
    default:
      return undefined;
  }
}

/** Each repository the image was pushed to (once, whatever its tags), with a client that writes there as the step logged in. */
export function signTargets(references: readonly ImageReference[], credentials: ReadonlyMap<string, BasicCredential>): SignTarget[] {
  const seen = new Set<string>();
  return references.flatMap((reference) => {
    const name = `${reference.registry}/${reference.repository}`;
    if (seen.has(name)) return [];
    seen.add(name);
    return [{ name, repository: reference.repository, client: new RegistryClient(reference.registry, credentials.get(reference.registry)) }];
  });
}

/** Where the signature goes: each registry repository the image was pushed to, with a client for it. */
export interface SignTarget {
  readonly name: string;
  readonly repository: string;
  readonly client: ReferrersClient;
}

export interface SignDependencies {
  /** The job's OIDC token for `audience` (core.getIDToken). */
  readonly idToken: (audience: string) => Promise<string>;
  readonly retry: RetryPolicy;
  readonly hooks: RetryHooks;
  readonly now: () => Date;
}

/** The job's OIDC token for Sigstore, or a failure that names the permission it takes. */
async function sigstoreToken(dependencies: SignDependencies): Promise<string> {
  try {
    return await dependencies.idToken('sigstore');
  } catch (error) {
    throw new SigningFailure('OIDC token', `${errorMessage(error)} (the job needs "permissions: id-token: write")`);
  }
}

/** Pushes the bundle referrer into every target, one after another. */
async function storeReferrer(artifact: Artifact, targets: readonly SignTarget[], dependencies: SignDependencies): Promise<(StoredReferrer & { name: string })[]> {
  const stored: (StoredReferrer & { name: string })[] = [];
  for (const target of targets) {
    try {
      stored.push({ name: target.name, ...(await pushReferrer(target.client, target.repository, artifact, dependencies.retry, dependencies.hooks)) });
    } catch (error) {
      throw new SigningFailure('registry write', `${target.name}: ${errorMessage(error)}`);
    }
  }
  return stored;
}

/** Signs `statement` into a serialized Sigstore bundle (DSSE envelope, Fulcio certificate, log entry or timestamp). */
export async function signStatement(statement: InTotoStatement, endpoints: SigstoreEndpoints, token: string): Promise<string> {
  const { DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = await import('@sigstore/sign');
  const { bundleToJSON } = await import('@sigstore/bundle');
  const builder = new DSSEBundleBuilder({
    signer: new FulcioSigner({ fulcioBaseURL: endpoints.fulcioURL, identityProvider: { getToken: () => Promise.resolve(token) } }),
    witnesses: [
      ...(endpoints.rekorURL ? [new RekorWitness({ rekorBaseURL: endpoints.rekorURL, entryType: 'dsse' })] : []),
      ...(endpoints.tsaURL ? [new TSAWitness({ tsaBaseURL: endpoints.tsaURL })] : []),
    ],
  });
  try {
    const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: IN_TOTO_PAYLOAD_TYPE });
    return JSON.stringify(bundleToJSON(bundle));
  } catch (error) {
    const part = partOfSigstoreError((error as { code?: string }).code);
    // Anything else (a key that cannot be made, a malformed answer): the signature itself.
    throw new SigningFailure(part ?? 'signature', errorMessage(error));
  }
}

/**
 * Signs the image `subject` (the verified index) as cosign 3 does and stores the bundle as a
 * referrer in every target. Returns the referrer's digest (the same in every registry).
 */
export async function signImage(
  subject: Descriptor,
  targets: readonly SignTarget[],
  endpoints: SigstoreEndpoints,
  dependencies: SignDependencies,
): Promise<{ digest: string; stored: readonly (StoredReferrer & { name: string })[] }> {
  const token = await sigstoreToken(dependencies);
  const bundle = await signStatement(imageStatement(subject.digest, COSIGN_SIGN_PREDICATE, {}), endpoints, token);
  const artifact = bundleArtifact(bundle, subject, COSIGN_SIGN_PREDICATE, dependencies.now());
  const stored = await storeReferrer(artifact, targets, dependencies);
  return { digest: artifact.descriptor.digest, stored };
}

/** What attesting needs besides signing's: the provenance predicate and GitHub's attestations API. */
export interface AttestDependencies extends SignDependencies {
  /** SLSA build provenance of this run (@actions/attest's buildSLSAProvenancePredicate). */
  readonly provenance: () => Promise<{ type: string; params: object }>;
  /** POST /repos/{owner}/{repo}/attestations with the bundle; the attestation's id. */
  readonly storeAttestation: (bundle: object) => Promise<number>;
  /** Where users see it: GITHUB_SERVER_URL/owner/repo. */
  readonly repositoryUrl: string;
}

/**
 * SLSA build provenance for the image `subject` (named `name`, registry/repository), signed
 * like the signature, stored in GitHub's attestations API and as a referrer in every target.
 */
export async function attestImage(
  subject: Descriptor,
  name: string,
  targets: readonly SignTarget[],
  endpoints: SigstoreEndpoints,
  dependencies: AttestDependencies,
): Promise<{ digest: string; id: number; url: string; stored: readonly (StoredReferrer & { name: string })[] }> {
  const token = await sigstoreToken(dependencies);
  let predicate: { type: string; params: object };
  try {
    predicate = await dependencies.provenance();
  } catch (error) {
    throw new SigningFailure('provenance', errorMessage(error));
  }
  if (predicate.type !== SLSA_PROVENANCE_PREDICATE) throw new SigningFailure('provenance', `unexpected predicate type ${predicate.type}`);
  const bundle = await signStatement(imageStatement(subject.digest, predicate.type, predicate.params, name), endpoints, token);
  let id: number;
  try {
    id = await dependencies.storeAttestation(JSON.parse(bundle) as object);
  } catch (error) {
    // GitHub answers a token without attestations: write with 403 (404 where the repository is not visible to it).
    const status = (error as { status?: unknown }).status;
    const message = errorMessage(error);
    throw new SigningFailure('attestations API', status === 403 || status === 404 ? `${message} (the job needs "permissions: attestations: write")` : message);
  }
  const artifact = bundleArtifact(bundle, subject, predicate.type, dependencies.now());
  const stored = await storeReferrer(artifact, targets, dependencies);
  return { digest: artifact.descriptor.digest, id, url: `${dependencies.repositoryUrl}/attestations/${id}`, stored };
}
