import { describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registries/client.js';
import { listReferrers, pushReferrer } from '../../src/registries/referrers.js';
import { OCI_INDEX, OCI_MANIFEST, sha256Digest, type Descriptor } from '../../src/oci/model.js';
import { artifactManifest, referrersTag } from '../../src/oci/referrers.js';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const PROVENANCE = 'application/vnd.in-toto+json';
const retry = { retries: 2, delayMs: 1, maxDelayMs: 1 };
const hooks = { log: () => undefined, sleep: async () => undefined };

/**
 * A registry in memory that speaks the distribution API's push and pull calls, with the
 * referrers API (OCI-Subject on PUT, GET /referrers/) or without it (as distribution 2.8).
 */
function memoryRegistry(referrersApi: boolean) {
  const blobs = new Map<string, Uint8Array>();
  const manifests = new Map<string, { mediaType: string; bytes: Uint8Array }>();
  const tags = new Map<string, string>();
  const requests: string[] = [];
  const bytesOf = async (body: unknown): Promise<Uint8Array> => {
    if (body === undefined || body === null) return new Uint8Array();
    if (body instanceof Uint8Array) return body;
    if (typeof body === 'string') return new TextEncoder().encode(body);
    const chunks: Uint8Array[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    requests.push(`${method} ${url.pathname}`);
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (path === '/v2/') return new Response('{}', { status: 200 });
    if ((match = /^\/v2\/(.+)\/blobs\/uploads\/$/.exec(path)) && method === 'POST') return new Response(null, { status: 202, headers: { location: `/v2/${match[1]}/blobs/uploads/1?state=x` } });
    if (/\/blobs\/uploads\/1$/.test(path) && method === 'PUT') {
      const digest = url.searchParams.get('digest') ?? '';
      blobs.set(digest, await bytesOf(init?.body));
      return new Response(null, { status: 201, headers: { 'docker-content-digest': digest } });
    }
    if ((match = /\/blobs\/(sha256:[0-9a-f]+)$/.exec(path))) return new Response(null, { status: blobs.has(match[1] ?? '') ? 200 : 404 });
    if ((match = /\/manifests\/([^/]+)$/.exec(path))) {
      const reference = match[1] ?? '';
      if (method === 'PUT') {
        const bytes = await bytesOf(init?.body);
        const digest = sha256Digest(bytes);
        manifests.set(digest, { mediaType: (init?.headers as Record<string, string>)['Content-Type'] ?? '', bytes });
        if (!reference.includes(':')) tags.set(reference, digest);
        const subject = (JSON.parse(new TextDecoder().decode(bytes)) as { subject?: Descriptor }).subject;
        return new Response(null, { status: 201, headers: { 'docker-content-digest': digest, ...(referrersApi && subject ? { 'oci-subject': subject.digest } : {}) } });
      }
      const stored = manifests.get(reference.includes(':') ? reference : (tags.get(reference) ?? ''));
      if (!stored) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', { status: 404 });
      return new Response(stored.bytes, { status: 200, headers: { 'content-type': stored.mediaType, 'docker-content-digest': sha256Digest(stored.bytes) } });
    }
    if ((match = /\/referrers\/(sha256:[0-9a-f]+)$/.exec(path)) && referrersApi) {
      const listed = [...manifests.entries()].flatMap(([digest, { bytes }]) => {
        const manifest = JSON.parse(new TextDecoder().decode(bytes)) as { subject?: Descriptor; artifactType?: string; mediaType?: string };
        return manifest.subject?.digest === match?.[1] ? [{ mediaType: manifest.mediaType ?? OCI_MANIFEST, digest, size: bytes.length, artifactType: manifest.artifactType }] : [];
      });
      return new Response(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: listed }), { status: 200, headers: { 'content-type': OCI_INDEX } });
    }
    return new Response('{"errors":[{"code":"NOT_FOUND"}]}', { status: 404 });
  }) as typeof fetch;
  return { client: new RegistryClient('registry.example', undefined, fetchImpl), blobs, manifests, tags, requests };
}

const subject: Descriptor = { mediaType: OCI_INDEX, digest: sha256Digest('the image index'), size: 321 };
const artifact = (type: string, content: string) => artifactManifest({ artifactType: type, subject, layers: [{ mediaType: type, bytes: new TextEncoder().encode(content) }] });

describe.each([
  ['with the referrers API', true, 'referrers API'],
  ['without it (distribution 2.8): the referrers tag', false, 'referrers tag'],
] as const)('a registry %s', (_, referrersApi, listing) => {
  it('stores the artifact (blobs, manifest by digest) and lists it as a referrer of the subject', async () => {
    const registry = memoryRegistry(referrersApi);
    const signature = artifact(BUNDLE, 'signature bundle');
    expect(await pushReferrer(registry.client, 'acme/app', signature, retry, hooks)).toEqual({ digest: signature.descriptor.digest, listing });
    for (const blob of signature.blobs) expect(registry.blobs.get(blob.digest)).toEqual(blob.bytes);
    expect(registry.manifests.get(signature.descriptor.digest)?.bytes).toEqual(signature.bytes);
    expect(await listReferrers(registry.client, 'acme/app', subject.digest)).toEqual({ referrers: [expect.objectContaining({ digest: signature.descriptor.digest, artifactType: BUNDLE })], listing });
    // The tag is written only where the registry does not index by subject.
    expect(registry.tags.has(referrersTag(subject.digest))).toBe(!referrersApi);
  });

  it('keeps every referrer: a second artifact joins the first; filtered by artifact type', async () => {
    const registry = memoryRegistry(referrersApi);
    const signature = artifact(BUNDLE, 'signature bundle');
    const provenance = artifact(PROVENANCE, 'provenance statement');
    await pushReferrer(registry.client, 'acme/app', signature, retry, hooks);
    await pushReferrer(registry.client, 'acme/app', provenance, retry, hooks);
    await pushReferrer(registry.client, 'acme/app', signature, retry, hooks);
    const all = await listReferrers(registry.client, 'acme/app', subject.digest);
    expect(all.referrers.map((entry) => entry.digest).sort()).toEqual([signature.descriptor.digest, provenance.descriptor.digest].sort());
    expect((await listReferrers(registry.client, 'acme/app', subject.digest, PROVENANCE)).referrers.map((entry) => entry.digest)).toEqual([provenance.descriptor.digest]);
  });

  it('lists nothing for an image nothing refers to', async () => {
    expect(await listReferrers(memoryRegistry(referrersApi).client, 'acme/app', sha256Digest('other'))).toEqual({ referrers: [], listing });
  });
});

describe('pushReferrer uploads only what is missing', () => {
  it('skips a blob the repository has (the empty config, pushed by an earlier artifact)', async () => {
    const registry = memoryRegistry(false);
    await pushReferrer(registry.client, 'acme/app', artifact(BUNDLE, 'one'), retry, hooks);
    const before = registry.requests.filter((request) => request.startsWith('POST')).length;
    await pushReferrer(registry.client, 'acme/app', artifact(BUNDLE, 'two'), retry, hooks);
    // One upload for the new layer; the empty config is already there.
    expect(registry.requests.filter((request) => request.startsWith('POST')).length - before).toBe(1);
  });
});
