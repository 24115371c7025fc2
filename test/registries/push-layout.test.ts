import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegistryClient, RegistryError } from '../../src/registries/client.js';
import { pushOciLayout, type PushClient } from '../../src/registries/push-layout.js';
import { blobPath, pushOrder, readOciLayout, walkDescriptors } from '../../src/oci/layout.js';
import { type Descriptor, type ManifestDocument, OCI_INDEX, OCI_MANIFEST } from '../../src/oci/model.js';
import { classifyFailure } from '../../src/retry.js';

const sha = (bytes: string | Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const blob = (name: string, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'): Descriptor => ({ mediaType, digest: sha(name), size: name.length });
const CONFIG = 'application/vnd.oci.image.config.v1+json';

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('pushOrder / walkDescriptors over a hand-made structure', () => {
  // index → amd64 manifest + arm64 manifest + attestation manifest; the platforms share a base layer.
  const base = blob('base layer');
  const amdConfig = blob('amd64 config', CONFIG);
  const armConfig = blob('arm64 config', CONFIG);
  const amdTop = blob('amd64 top layer');
  const armTop = blob('arm64 top layer');
  const attConfig = blob('attestation config', CONFIG);
  const provenance = blob('provenance', 'application/vnd.in-toto+json');
  const amd: Descriptor = { mediaType: OCI_MANIFEST, digest: sha('amd64 manifest'), size: 1, platform: { os: 'linux', architecture: 'amd64' } };
  const arm: Descriptor = { mediaType: OCI_MANIFEST, digest: sha('arm64 manifest'), size: 1, platform: { os: 'linux', architecture: 'arm64' } };
  const attestation: Descriptor = {
    mediaType: OCI_MANIFEST,
    digest: sha('attestation manifest'),
    size: 1,
    annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest },
  };
  const index: Descriptor = { mediaType: OCI_INDEX, digest: sha('index'), size: 1 };
  const documents = new Map<string, ManifestDocument>([
    [index.digest, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd, arm, attestation] }],
    [amd.digest, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: amdConfig, layers: [base, amdTop] }],
    [arm.digest, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: armConfig, layers: [base, armTop] }],
    // The attestation's subject is the amd64 image: a reference, not something to push again.
    [attestation.digest, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: attConfig, layers: [provenance], subject: amd }],
  ]);
  const name = new Map(Object.entries({ base, amdConfig, armConfig, amdTop, armTop, attConfig, provenance, amd, arm, attestation, index }).map(([key, value]) => [value.digest, key]));
  const names = (items: { descriptor: Descriptor }[]): (string | undefined)[] => items.map((item) => name.get(item.descriptor.digest));

  it('walks depth first, children before parents, each digest once', () => {
    expect(names(walkDescriptors(index, documents))).toEqual(['amdConfig', 'base', 'amdTop', 'amd', 'armConfig', 'armTop', 'arm', 'attConfig', 'provenance', 'attestation', 'index']);
  });

  it('orders all blobs first, then the manifests children first and the index last', () => {
    const order = pushOrder(index, documents);
    expect(order.map((item) => item.kind)).toEqual([...Array(7).fill('blob'), ...Array(4).fill('manifest')]);
    expect(names(order)).toEqual(['amdConfig', 'base', 'amdTop', 'armConfig', 'armTop', 'attConfig', 'provenance', 'amd', 'arm', 'attestation', 'index']);
    const digests = order.map((item) => item.descriptor.digest);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('handles a single manifest (no index)', () => {
    expect(names(pushOrder(arm, documents))).toEqual(['armConfig', 'base', 'armTop', 'arm']);
  });

  it('dedups a config used as a layer too, and a manifest listed twice', () => {
    const twice: Descriptor = { mediaType: OCI_INDEX, digest: sha('twice'), size: 1 };
    const docs = new Map(documents).set(twice.digest, { schemaVersion: 2, manifests: [arm, arm] });
    expect(names(pushOrder(twice, docs)).filter((entry) => entry === 'arm')).toHaveLength(1);
    const odd: Descriptor = { mediaType: OCI_MANIFEST, digest: sha('odd'), size: 1 };
    const oddDocs = new Map<string, ManifestDocument>([[odd.digest, { schemaVersion: 2, config: base, layers: [base, base] }]]);
    expect(pushOrder(odd, oddDocs).map((item) => item.descriptor.digest)).toEqual([base.digest, odd.digest]);
  });

  it('fails when a manifest it reaches was not loaded', () => {
    const docs = new Map(documents);
    docs.delete(arm.digest);
    expect(() => pushOrder(index, docs)).toThrow(`manifest ${arm.digest} (${OCI_MANIFEST}) was not loaded`);
  });
});

/** Writes an OCI layout like buildx's: blobs named by digest, index.json pointing at the image. */
class LayoutWriter {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'oci-layout-test-'));
  constructor() {
    mkdirSync(path.join(this.dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(path.join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }
  blob(content: string | Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
    const bytes = Buffer.from(content);
    const descriptor = { mediaType, digest: sha(bytes), size: bytes.length, ...extra };
    writeFileSync(blobPath(this.dir, descriptor.digest), bytes);
    return descriptor;
  }
  json(document: unknown, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
    return this.blob(JSON.stringify(document, null, 2), mediaType, extra);
  }
  /** An image for one platform: config + two layers + manifest. */
  image(arch: string): { manifest: Descriptor; blobs: Descriptor[] } {
    const config = this.json({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, CONFIG);
    const layers = [this.blob(`base layer bytes`, 'application/vnd.oci.image.layer.v1.tar+gzip'), this.blob(`${arch} layer bytes`, 'application/vnd.oci.image.layer.v1.tar+gzip')];
    const manifest = this.json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers }, OCI_MANIFEST, { platform: { architecture: arch, os: 'linux' } });
    return { manifest, blobs: [config, ...layers] };
  }
  /** index → platform manifest + attestation manifest, as buildx writes with provenance. */
  withProvenance(arch: string): { index: Descriptor; manifests: Descriptor[]; blobs: Descriptor[] } {
    const { manifest, blobs } = this.image(arch);
    const attConfig = this.json({ architecture: 'unknown', os: 'unknown' }, CONFIG);
    const statement = this.json({ _type: 'https://in-toto.io/Statement/v0.1' }, 'application/vnd.in-toto+json');
    const attestation = this.json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: attConfig, layers: [statement] }, OCI_MANIFEST, {
      annotations: { 'vnd.docker.reference.digest': manifest.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    });
    const index = this.json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [manifest, attestation] }, OCI_INDEX);
    return { index, manifests: [manifest, attestation], blobs: [...blobs, attConfig, statement] };
  }
  top(...descriptors: Descriptor[]): void {
    const manifests = descriptors.map((descriptor) => ({ ...descriptor, annotations: { ...descriptor.annotations, 'org.opencontainers.image.ref.name': 'latest' } }));
    writeFileSync(path.join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  }
}

describe('readOciLayout', () => {
  it('finds the single image manifest of a build without attestations', async () => {
    const layout = new LayoutWriter();
    const { manifest } = layout.image('arm64');
    layout.top(manifest);
    const read = await readOciLayout(layout.dir);
    expect(read.image).toMatchObject({ mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.size, platform: { os: 'linux', architecture: 'arm64' } });
    expect(read.index.manifests).toHaveLength(1);
  });

  it('finds the index of a build with provenance', async () => {
    const layout = new LayoutWriter();
    const { index } = layout.withProvenance('amd64');
    layout.top(index);
    expect((await readOciLayout(layout.dir)).image).toMatchObject({ mediaType: OCI_INDEX, digest: index.digest });
  });

  it('refuses a folder that is not a layout, several images, and odd digests', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'not-a-layout-'));
    await expect(readOciLayout(empty)).rejects.toThrow('is not an OCI image layout');
    const layout = new LayoutWriter();
    layout.top(layout.image('amd64').manifest, layout.image('arm64').manifest);
    await expect(readOciLayout(layout.dir)).rejects.toThrow('lists 2 images (latest, latest); expected exactly one');
    writeFileSync(path.join(layout.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: 'sha256:../../etc/passwd', size: 1 }] }));
    await expect(readOciLayout(layout.dir)).rejects.toThrow('not a sha256/sha512 digest');
  });
});

interface FakeCall {
  readonly op: 'head' | 'upload' | 'put';
  readonly digest: string;
  readonly reference?: string;
  readonly mediaType?: string;
}

/** A PushClient over an in-memory registry that checks what it is sent. */
function fakeRegistry(): { client: PushClient; calls: FakeCall[]; blobs: Map<string, Buffer>; manifests: Map<string, Buffer> } {
  const calls: FakeCall[] = [];
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  const client: PushClient = {
    async blobExists(_repository, digest) {
      calls.push({ op: 'head', digest });
      return blobs.has(digest);
    },
    async uploadBlob(_repository, digest, size, body) {
      calls.push({ op: 'upload', digest });
      const chunks: Uint8Array[] = [];
      const source = await body();
      if (source instanceof Uint8Array) chunks.push(source);
      else for await (const chunk of source) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== size || sha(bytes) !== digest) throw new RegistryError('upload', 400, [{ code: 'DIGEST_INVALID', message: 'digest mismatch' }]);
      blobs.set(digest, bytes);
    },
    async putManifest(_repository, reference, mediaType, bytes) {
      const digest = sha(bytes);
      calls.push({ op: 'put', digest, reference, mediaType });
      // A registry refuses a manifest whose children it does not have.
      const document = JSON.parse(Buffer.from(bytes).toString('utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
      for (const child of document.manifests ?? []) if (!manifests.has(child.digest)) throw new RegistryError('put', 400, [{ code: 'MANIFEST_BLOB_UNKNOWN', message: child.digest }]);
      for (const child of [...(document.config ? [document.config] : []), ...(document.layers ?? [])]) {
        if (!blobs.has(child.digest)) throw new RegistryError('put', 400, [{ code: 'MANIFEST_BLOB_UNKNOWN', message: child.digest }]);
      }
      manifests.set(digest, Buffer.from(bytes));
      return digest;
    },
  };
  return { client, calls, blobs, manifests };
}

describe('pushOciLayout (with an in-memory registry)', () => {
  const target = { registry: 'registry.test', repository: 'team/app' };

  it('uploads every blob once, PUTs manifests children first, the index last, and reports the platforms', async () => {
    const layout = new LayoutWriter();
    const { index, manifests, blobs } = layout.withProvenance('arm64');
    layout.top(index);
    const registry = fakeRegistry();
    const lines: string[] = [];
    const result = await pushOciLayout(layout.dir, target, registry.client, { log: (line) => lines.push(line), concurrency: 2 });
    expect(result).toMatchObject({ digest: index.digest, mediaType: OCI_INDEX, platforms: ['linux/arm64'], blobsUploaded: blobs.length, blobsSkipped: 0, manifestsPut: 3 });
    expect(
      registry.calls
        .filter((call) => call.op === 'upload')
        .map((call) => call.digest)
        .sort(),
    ).toEqual(blobs.map((entry) => entry.digest).sort());
    const puts = registry.calls.filter((call) => call.op === 'put');
    expect(puts.map((call) => call.reference)).toEqual([manifests[0]?.digest, manifests[1]?.digest, index.digest]);
    expect(puts.map((call) => call.mediaType)).toEqual([OCI_MANIFEST, OCI_MANIFEST, OCI_INDEX]);
    // Every blob is in before the first manifest.
    const firstPut = registry.calls.findIndex((call) => call.op === 'put');
    expect(registry.calls.slice(firstPut).some((call) => call.op !== 'put')).toBe(false);
    expect(lines.at(-1)).toContain(`Pushed registry.test/team/app@${index.digest} (linux/arm64)`);
  });

  it('uploads nothing the second time: every blob answers HEAD', async () => {
    const layout = new LayoutWriter();
    const { manifest } = layout.image('amd64');
    layout.top(manifest);
    const registry = fakeRegistry();
    await pushOciLayout(layout.dir, target, registry.client, { log: () => undefined });
    registry.calls.length = 0;
    const again = await pushOciLayout(layout.dir, target, registry.client, { log: () => undefined, tags: ['amd64'] });
    expect(again).toMatchObject({ digest: manifest.digest, mediaType: OCI_MANIFEST, platforms: ['linux/amd64'], blobsUploaded: 0, blobsSkipped: 3 });
    expect(registry.calls.map((call) => call.op)).toEqual(['head', 'head', 'head', 'put', 'put']);
    expect(registry.calls.slice(-2).map((call) => call.reference)).toEqual([manifest.digest, 'amd64']);
  });

  it("takes a single manifest's platform from its config when index.json does not say it", async () => {
    const layout = new LayoutWriter();
    const { manifest } = layout.image('riscv64');
    const { platform: _dropped, ...bare } = manifest;
    layout.top(bare);
    expect((await pushOciLayout(layout.dir, target, fakeRegistry().client, { log: () => undefined })).platforms).toEqual(['linux/riscv64']);
  });

  it('refuses a layout whose blob does not match its descriptor, and one that lacks a blob', async () => {
    const layout = new LayoutWriter();
    const { manifest, blobs } = layout.image('arm64');
    layout.top(manifest);
    const layer = blobs[2] as Descriptor;
    writeFileSync(blobPath(layout.dir, layer.digest), 'arm64 layer bytez');
    await expect(pushOciLayout(layout.dir, target, fakeRegistry().client, { log: () => undefined })).rejects.toThrow(
      /has 17 bytes with digest sha256:[0-9a-f]{64}, its descriptor says 17 bytes with sha256:/,
    );
    const { rmSync } = await import('node:fs');
    rmSync(blobPath(layout.dir, layer.digest));
    await expect(pushOciLayout(layout.dir, target, fakeRegistry().client, { log: () => undefined })).rejects.toThrow('and registry.test/team/app does not have it either');
    rmSync(blobPath(layout.dir, manifest.digest));
    await expect(pushOciLayout(layout.dir, target, fakeRegistry().client, { log: () => undefined })).rejects.toThrow(`lacks ${OCI_MANIFEST} ${manifest.digest}`);
  });

  it('retries a transient failure when asked to', async () => {
    const layout = new LayoutWriter();
    const { manifest } = layout.image('amd64');
    layout.top(manifest);
    const registry = fakeRegistry();
    let failures = 1;
    const flaky: PushClient = {
      ...registry.client,
      async putManifest(...args) {
        if (failures-- > 0) throw new RegistryError('put', 503, [{ code: 'UNAVAILABLE', message: 'try later' }]);
        return registry.client.putManifest(...args);
      },
    };
    const lines: string[] = [];
    await pushOciLayout(layout.dir, target, flaky, { log: (line) => lines.push(line), retry: { retries: 2, delayMs: 1, maxDelayMs: 1 } });
    expect(lines.some((line) => line.startsWith('Retrying putting'))).toBe(true);
  });
});

describe('RegistryClient push methods (with an in-process fetch)', () => {
  interface Call {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body?: Buffer;
  }

  async function drain(body: unknown): Promise<Buffer | undefined> {
    if (body === undefined || body === null) return undefined;
    if (body instanceof Uint8Array) return Buffer.from(body);
    const chunks: Uint8Array[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  function registry(routes: (call: Call) => Response): { calls: Call[]; fetchImpl: typeof fetch } {
    const calls: Call[] = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      const call = { method: init?.method ?? 'GET', url: String(input), headers: { ...((init?.headers ?? {}) as Record<string, string>) }, body: await drain(init?.body) };
      calls.push(call);
      return routes(call);
    }) as typeof fetch;
    return { calls, fetchImpl };
  }

  const challenge = (scope: string): Response =>
    new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="https://auth.test/token",service="registry.test",scope="${scope}"` },
    });
  const BLOB = Buffer.from('some layer bytes');
  const BLOB_DIGEST = sha(BLOB);

  it('HEAD, POST and PUT get a pull,push token after a 401, and the upload body is sent again', async () => {
    const { calls, fetchImpl } = registry((call) => {
      if (call.url.startsWith('https://auth.test/token')) return Response.json({ token: 'push-token' });
      if (call.headers.Authorization !== 'Bearer push-token') return challenge('repository:team/app:pull,push');
      if (call.method === 'HEAD') return new Response(null, { status: 404 });
      if (call.method === 'POST') return new Response(null, { status: 202, headers: { location: '/v2/team/app/blobs/uploads/u-1?_state=abc%2Bdef==' } });
      return new Response(null, { status: 201, headers: { 'docker-content-digest': BLOB_DIGEST } });
    });
    const client = new RegistryClient('registry.test', { username: 'ci', password: 'pw' }, fetchImpl);
    expect(await client.blobExists('team/app', BLOB_DIGEST, 'push')).toBe(false);
    let bodies = 0;
    await client.uploadBlob('team/app', BLOB_DIGEST, BLOB.length, () => {
      bodies++;
      return BLOB;
    });
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'HEAD https://registry.test/v2/team/app/blobs/' + BLOB_DIGEST,
      'GET https://auth.test/token?service=registry.test&scope=repository%3Ateam%2Fapp%3Apull%2Cpush',
      'HEAD https://registry.test/v2/team/app/blobs/' + BLOB_DIGEST,
      'POST https://registry.test/v2/team/app/blobs/uploads/',
      `PUT https://registry.test/v2/team/app/blobs/uploads/u-1?_state=abc%2Bdef==&digest=sha256%3A${BLOB_DIGEST.slice(7)}`,
    ]);
    const put = calls.at(-1);
    expect(put?.headers).toMatchObject({ 'Content-Length': String(BLOB.length), 'Content-Type': 'application/octet-stream', Authorization: 'Bearer push-token' });
    expect(put?.body?.equals(BLOB)).toBe(true);
    expect(bodies).toBe(1);
  });

  it('sends the body again when the PUT itself meets a 401 (an expired token)', async () => {
    let token = 'old';
    let puts = 0;
    const { calls, fetchImpl } = registry((call) => {
      if (call.url.startsWith('https://auth.test/token')) return Response.json({ token: (token = token === 'old' ? 'first' : 'second') });
      if (call.headers.Authorization !== `Bearer ${token}`) return challenge('repository:team/app:pull,push');
      if (call.method === 'POST') return new Response(null, { status: 202, headers: { location: 'https://registry.test/v2/team/app/blobs/uploads/u-2' } });
      if (call.method === 'PUT' && puts++ === 0) {
        token = 'expired';
        return challenge('repository:team/app:pull,push');
      }
      return new Response(null, { status: 201 });
    });
    let bodies = 0;
    await new RegistryClient('registry.test', { username: 'ci', password: 'pw' }, fetchImpl).uploadBlob('team/app', BLOB_DIGEST, BLOB.length, () => {
      bodies++;
      return BLOB;
    });
    const sentPuts = calls.filter((call) => call.method === 'PUT');
    expect(sentPuts).toHaveLength(2);
    expect(sentPuts.every((call) => call.body?.equals(BLOB))).toBe(true);
    expect(sentPuts[0]?.url).toBe(`https://registry.test/v2/team/app/blobs/uploads/u-2?digest=sha256%3A${BLOB_DIGEST.slice(7)}`);
    expect(bodies).toBe(2);
  });

  it('answers a Basic challenge (htpasswd registries) and keeps using it', async () => {
    const auth = `Basic ${Buffer.from('ci:pw').toString('base64')}`;
    const { calls, fetchImpl } = registry((call) =>
      call.headers.Authorization === auth ? new Response(null, { status: 200 }) : new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="Registry Realm"' } }),
    );
    const client = new RegistryClient('localhost:5000', { username: 'ci', password: 'pw' }, fetchImpl);
    expect(await client.blobExists('app', BLOB_DIGEST)).toBe(true);
    expect(await client.blobExists('app', BLOB_DIGEST, 'push')).toBe(true);
    expect(calls.map((call) => call.headers.Authorization ?? 'none')).toEqual(['none', auth, auth]);
    expect(calls.every((call) => call.url.startsWith('http://localhost:5000/'))).toBe(true);
  });

  it('does not retry forever with wrong Basic credentials: the 401 becomes a permanent error', async () => {
    const { calls, fetchImpl } = registry(() => new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="Registry Realm"' } }));
    const error = await failure(new RegistryClient('registry.test', { username: 'ci', password: 'wrong' }, fetchImpl).blobExists('app', BLOB_DIGEST));
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.message).toContain('the registry answered 401');
    expect(classifyFailure(error.message)).toBe('permanent');
    expect(calls).toHaveLength(2);
  });

  it('puts its error codes and status in the message, for classifyFailure', async () => {
    const answers: Response[] = [
      new Response(null, { status: 202, headers: { location: '/v2/app/blobs/uploads/x' } }),
      new Response('{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid"}]}', { status: 400 }),
      new Response('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}', { status: 429, headers: { 'retry-after': '7' } }),
      new Response('<html>Bad Gateway</html>', { status: 502 }),
    ];
    const { fetchImpl } = registry(() => answers.shift() ?? new Response(null, { status: 500 }));
    const client = new RegistryClient('registry.test', undefined, fetchImpl);
    const invalid = await failure(client.uploadBlob('app', BLOB_DIGEST, BLOB.length, () => BLOB));
    expect(invalid.message).toBe(`uploading blob registry.test/app@${BLOB_DIGEST}: the registry answered 400 (BLOB_UPLOAD_INVALID: blob upload invalid)`);
    expect(classifyFailure(invalid.message)).toBe('permanent');
    const limited = await failure(client.uploadBlob('app', BLOB_DIGEST, BLOB.length, () => BLOB));
    expect(limited.message).toContain('answered 429 (TOOMANYREQUESTS: slow down) (Retry-After: 7)');
    expect(classifyFailure(limited.message)).toBe('transient');
    const gateway = await failure(client.putManifest('app', 'latest', OCI_MANIFEST, Buffer.from('{}')));
    expect(gateway.message).toBe('putting manifest registry.test/app:latest: the registry answered 502');
    expect(classifyFailure(gateway.message)).toBe('transient');
  });

  it('names the cause of a connection failure', async () => {
    const fetchImpl = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    const error = await failure(new RegistryClient('registry.test', undefined, fetchImpl).blobExists('app', BLOB_DIGEST));
    expect(error.message).toBe(`registry.test/app@${BLOB_DIGEST}: fetch failed (ECONNREFUSED)`);
    expect(classifyFailure(error.message)).toBe('transient');
  });

  it('PUTs a manifest with its media type and checks the digest the registry reports', async () => {
    const bytes = Buffer.from('{"schemaVersion":2}');
    const { calls, fetchImpl } = registry(() => new Response(null, { status: 201, headers: { 'docker-content-digest': sha(bytes) } }));
    const client = new RegistryClient('registry.test', undefined, fetchImpl);
    expect(await client.putManifest('team/app', sha(bytes), OCI_INDEX, bytes)).toBe(sha(bytes));
    expect(calls[0]).toMatchObject({ method: 'PUT', url: `https://registry.test/v2/team/app/manifests/${sha(bytes)}`, headers: { 'Content-Type': OCI_INDEX } });
    expect(calls[0]?.body?.equals(bytes)).toBe(true);
    await expect(client.putManifest('team/app', sha('other'), OCI_INDEX, bytes)).rejects.toThrow(`the bytes have digest ${sha(bytes)}`);
    const liar = registry(() => new Response(null, { status: 201, headers: { 'docker-content-digest': sha('other') } }));
    await expect(new RegistryClient('registry.test', undefined, liar.fetchImpl).putManifest('team/app', 'v1', OCI_INDEX, bytes)).rejects.toThrow(
      `the registry says ${sha('other')}, but the bytes have digest ${sha(bytes)}`,
    );
  });

  it('sends no credentials to an upload Location on another host', async () => {
    const auth = `Basic ${Buffer.from('ci:pw').toString('base64')}`;
    const { calls, fetchImpl } = registry((call) => {
      if (call.url.startsWith('https://storage.test/')) return new Response(null, { status: 201 });
      if (call.headers.Authorization !== auth) return new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } });
      return new Response(null, { status: 202, headers: { location: 'https://storage.test/upload/1?sig=x' } });
    });
    await new RegistryClient('registry.test', { username: 'ci', password: 'pw' }, fetchImpl).uploadBlob('app', BLOB_DIGEST, BLOB.length, () => BLOB);
    const put = calls.at(-1);
    expect(put?.url).toBe(`https://storage.test/upload/1?sig=x&digest=sha256%3A${BLOB_DIGEST.slice(7)}`);
    expect(put?.headers.Authorization).toBeUndefined();
  });
});
