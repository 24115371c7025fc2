export const id = 563;
export const ids = [563];
export const modules = {

/***/ 42563:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  SigningFailure: () => (/* binding */ SigningFailure),
  attestImage: () => (/* binding */ attestImage),
  partOfSigstoreError: () => (/* binding */ partOfSigstoreError),
  signImage: () => (/* binding */ signImage),
  signStatement: () => (/* binding */ signStatement),
  signTargets: () => (/* binding */ signTargets)
});

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/retry.ts
var src_retry = __webpack_require__(49809);
// EXTERNAL MODULE: ./src/oci/model.ts
var model = __webpack_require__(76244);
;// CONCATENATED MODULE: ./src/oci/referrers.ts
// Artifacts that refer to an image (OCI 1.1: a manifest with a `subject`), and the referrers
// tag scheme registries without the referrers API are read and written through
// (distribution-spec 1.1, "Referrers Tag Schema"). Pure: src/registries/referrers.ts does the I/O.

/** The empty JSON config an artifact manifest carries when it has no config of its own. */
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
const EMPTY_CONFIG_BYTES = new TextEncoder().encode('{}');
const EMPTY_CONFIG = { mediaType: OCI_EMPTY, digest: (0,model/* sha256Digest */.sI)(EMPTY_CONFIG_BYTES), size: EMPTY_CONFIG_BYTES.length };
/** The image manifest of an artifact (artifactType, the empty config, its layers, its subject). */
function artifactManifest(spec) {
    const layers = spec.layers.map((layer) => ({ ...layer, digest: (0,model/* sha256Digest */.sI)(layer.bytes) }));
    const subject = { mediaType: spec.subject.mediaType, digest: spec.subject.digest, size: spec.subject.size };
    const manifest = {
        schemaVersion: 2,
        mediaType: model/* OCI_MANIFEST */.EG,
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
        descriptor: referrerDescriptor(manifest, (0,model/* sha256Digest */.sI)(bytes), bytes.length),
        blobs: [{ mediaType: OCI_EMPTY, bytes: EMPTY_CONFIG_BYTES, digest: EMPTY_CONFIG.digest }, ...layers],
    };
}
/**
 * How a referring manifest is listed (by the referrers API, and in a referrers tag): its
 * descriptor with the artifact type (the config's media type when it has none) and its annotations.
 */
function referrerDescriptor(manifest, digest, size) {
    return {
        mediaType: manifest.mediaType ?? model/* OCI_MANIFEST */.EG,
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
function referrers_referrersTag(digest) {
    const match = model/* DIGEST */.Dh.exec(digest);
    if (!match)
        throw new Error(`not a digest: ${digest}`);
    const [, algorithm = '', encoded = ''] = match;
    return `${algorithm}-${encoded.slice(0, 64)}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}
/** The referrers index with `descriptor` in it (once: an entry with the same digest is replaced). */
function withReferrer(existing, descriptor) {
    const others = (existing?.manifests ?? []).filter((entry) => entry.digest !== descriptor.digest);
    return { schemaVersion: 2, mediaType: model/* OCI_INDEX */.$p, manifests: [...others, descriptor] };
}
/** The referrers of a list, narrowed to one artifact type (what `?artifactType=` asks a registry for). */
function referrers_referrersOfType(index, artifactType) {
    return artifactType === undefined ? index.manifests : index.manifests.filter((entry) => entry.artifactType === artifactType);
}

// EXTERNAL MODULE: ./src/registries/client.ts
var registries_client = __webpack_require__(17460);
;// CONCATENATED MODULE: ./src/registries/referrers.ts
// Storing an artifact that refers to an image, and finding the artifacts that do, on any
// registry: through the referrers API where the registry has it (OCI 1.1), else through the
// referrers tag `sha256-<hex>` (distribution-spec 1.1's fallback, what cosign and oras do too).




/**
 * Pushes `artifact` (its blobs, then its manifest by digest) into `repository`. When the
 * registry does not index it by subject, the referrers tag of the subject is updated to list
 * it too, as readers without the API look there.
 */
async function pushReferrer(client, repository, artifact, retry, hooks) {
    for (const blob of artifact.blobs) {
        await (0,src_retry/* withRetries */.LH)(`uploading ${blob.mediaType} ${blob.digest}`, retry, async () => {
            if (!(await client.blobExists(repository, blob.digest, 'push')))
                await client.uploadBlob(repository, blob.digest, blob.bytes.length, () => blob.bytes);
        }, hooks);
    }
    const subject = artifact.manifest.subject?.digest ?? '';
    const put = await (0,src_retry/* withRetries */.LH)(`putting ${artifact.manifest.artifactType} ${artifact.descriptor.digest}`, retry, () => client.putReferringManifest(repository, model/* OCI_MANIFEST */.EG, artifact.bytes, subject), hooks);
    if (put.indexedBySubject)
        return { digest: put.digest, listing: 'referrers API' };
    const tag = referrers_referrersTag(subject);
    await (0,src_retry/* withRetries */.LH)(`updating the referrers tag ${tag}`, retry, async () => {
        const index = withReferrer(await readReferrersTag(client, repository, tag), artifact.descriptor);
        await client.putManifest(repository, tag, model/* OCI_INDEX */.$p, new TextEncoder().encode(JSON.stringify(index)));
    }, hooks);
    return { digest: put.digest, listing: 'referrers tag' };
}
/** The artifacts referring to `subject` (of `artifactType`, when given), from the referrers API or else the referrers tag. */
async function listReferrers(client, repository, subject, artifactType) {
    const fromApi = await client.referrers(repository, subject);
    if (fromApi !== undefined)
        return { referrers: referrersOfType(parseIndex(fromApi, `the referrers of ${subject}`), artifactType), listing: 'referrers API' };
    const index = await readReferrersTag(client, repository, referrersTag(subject));
    return { referrers: index ? referrersOfType(index, artifactType) : [], listing: 'referrers tag' };
}
/** The index under a referrers tag, or undefined when the tag does not exist yet. */
async function readReferrersTag(client, repository, tag) {
    try {
        return parseIndex((await client.manifest(repository, tag)).body, `the referrers tag ${tag}`);
    }
    catch (error) {
        if (error instanceof registries_client/* RegistryError */.gl && error.status === 404)
            return undefined;
        throw error;
    }
}
function parseIndex(body, what) {
    const parsed = JSON.parse(body);
    if (!Array.isArray(parsed.manifests))
        throw new Error(`${what} is not an image index`);
    return parsed;
}

;// CONCATENATED MODULE: ./src/signing/statement.ts
// What the step signs and how it is stored: in-toto statements about the pushed image, and
// the referrer artifact a Sigstore bundle travels in (cosign's bundle spec: specs/BUNDLE_SPEC.md
// in sigstore/cosign). Pure: src/phases/sign.ts gets the signatures and pushes.


const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** The DSSE payload type of an in-toto statement. */
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The predicate of a cosign 3 image signature. */
const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const SLSA_PROVENANCE_PREDICATE = 'https://slsa.dev/provenance/v1';
/** The media (and artifact) type of a Sigstore bundle, as @sigstore/sign writes it. */
const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/**
 * A statement about the image at `digest`. `name` is the repository (registry/name, no tag)
 * where the reader expects one (build provenance, as actions/attest-build-provenance writes
 * it); cosign 3's image signature names no subject, only its digest.
 */
function imageStatement(digest, predicateType, predicate, name) {
    const match = model/* DIGEST */.Dh.exec(digest);
    if (!match)
        throw new Error(`not a digest: ${digest}`);
    return { _type: IN_TOTO_STATEMENT_V1, subject: [{ ...(name ? { name } : {}), digest: { [match[1] ?? '']: match[2] ?? '' } }], predicateType, predicate };
}
/**
 * The referrer that stores a Sigstore bundle of a DSSE-signed statement next to `subject`,
 * annotated so a listing tells a signature from a provenance without fetching either.
 */
function bundleArtifact(bundleJson, subject, predicateType, created) {
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

;// CONCATENATED MODULE: ./src/phases/sign.ts
// The sign and attest phases: a keyless Sigstore signature of the verified
// image digest, made with the job's OIDC token, stored next to the image in every registry it
// was pushed to as cosign 3 stores one (a bundle referrer). Loaded only when `sign` is set:
// @sigstore/sign and its HTTP client are not part of the step's start.




/** A signing failure that says which part failed; the image stays pushed. */
class SigningFailure extends errors/* ActionError */.lZ {
    part;
    name = 'SigningFailure';
    constructor(part, detail) {
        super(`signing failed at the ${part}: ${detail}`);
        this.part = part;
    }
}
/** Which part an @sigstore/sign error code belongs to (its InternalError codes). */
function partOfSigstoreError(code) {
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
function signTargets(references, credentials) {
    const seen = new Set();
    return references.flatMap((reference) => {
        const name = `${reference.registry}/${reference.repository}`;
        if (seen.has(name))
            return [];
        seen.add(name);
        return [{ name, repository: reference.repository, client: new registries_client/* RegistryClient */.bP(reference.registry, credentials.get(reference.registry)) }];
    });
}
/** The job's OIDC token for Sigstore, or a failure that names the permission it takes. */
async function sigstoreToken(dependencies) {
    try {
        return await dependencies.idToken('sigstore');
    }
    catch (error) {
        throw new SigningFailure('OIDC token', `${(0,errors/* errorMessage */.gJ)(error)} (the job needs "permissions: id-token: write")`);
    }
}
/** Pushes the bundle referrer into every target, one after another. */
async function storeReferrer(artifact, targets, dependencies) {
    const stored = [];
    for (const target of targets) {
        try {
            stored.push({ name: target.name, ...(await pushReferrer(target.client, target.repository, artifact, dependencies.retry, dependencies.hooks)) });
        }
        catch (error) {
            throw new SigningFailure('registry write', `${target.name}: ${(0,errors/* errorMessage */.gJ)(error)}`);
        }
    }
    return stored;
}
/** Signs `statement` into a serialized Sigstore bundle (DSSE envelope, Fulcio certificate, log entry or timestamp). */
async function signStatement(statement, endpoints, token) {
    const { DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = await Promise.all(/* import() */[__webpack_require__.e(669), __webpack_require__.e(771), __webpack_require__.e(40), __webpack_require__.e(179), __webpack_require__.e(30)]).then(__webpack_require__.bind(__webpack_require__, 15179));
    const { bundleToJSON } = await __webpack_require__.e(/* import() */ 40).then(__webpack_require__.bind(__webpack_require__, 61040));
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
    }
    catch (error) {
        const part = partOfSigstoreError(error.code);
        // Anything else (a key that cannot be made, a malformed answer): the signature itself.
        throw new SigningFailure(part ?? 'signature', (0,errors/* errorMessage */.gJ)(error));
    }
}
/**
 * Signs the image `subject` (the verified index) as cosign 3 does and stores the bundle as a
 * referrer in every target. Returns the referrer's digest (the same in every registry).
 */
async function signImage(subject, targets, endpoints, dependencies) {
    const token = await sigstoreToken(dependencies);
    const bundle = await signStatement(imageStatement(subject.digest, COSIGN_SIGN_PREDICATE, {}), endpoints, token);
    const artifact = bundleArtifact(bundle, subject, COSIGN_SIGN_PREDICATE, dependencies.now());
    const stored = await storeReferrer(artifact, targets, dependencies);
    return { digest: artifact.descriptor.digest, stored };
}
/**
 * SLSA build provenance for the image `subject` (named `name`, registry/repository), signed
 * like the signature, stored in GitHub's attestations API and as a referrer in every target.
 */
async function attestImage(subject, name, targets, endpoints, dependencies) {
    const token = await sigstoreToken(dependencies);
    let predicate;
    try {
        predicate = await dependencies.provenance();
    }
    catch (error) {
        throw new SigningFailure('provenance', (0,errors/* errorMessage */.gJ)(error));
    }
    if (predicate.type !== SLSA_PROVENANCE_PREDICATE)
        throw new SigningFailure('provenance', `unexpected predicate type ${predicate.type}`);
    const bundle = await signStatement(imageStatement(subject.digest, predicate.type, predicate.params, name), endpoints, token);
    let id;
    try {
        id = await dependencies.storeAttestation(JSON.parse(bundle));
    }
    catch (error) {
        // GitHub answers a token without attestations: write with 403 (404 where the repository is not visible to it).
        const status = error.status;
        const message = (0,errors/* errorMessage */.gJ)(error);
        throw new SigningFailure('attestations API', status === 403 || status === 404 ? `${message} (the job needs "permissions: attestations: write")` : message);
    }
    const artifact = bundleArtifact(bundle, subject, predicate.type, dependencies.now());
    const stored = await storeReferrer(artifact, targets, dependencies);
    return { digest: artifact.descriptor.digest, id, url: `${dependencies.repositoryUrl}/attestations/${id}`, stored };
}


/***/ })

};
