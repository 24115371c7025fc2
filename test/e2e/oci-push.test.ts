// End to end: split native builds. Each platform is built alone into an OCI layout by
// the real buildx (docker driver on the containerd image store; on the classic store a
// docker-container builder, see testBuilderArgs), pushed by digest with
// pushOciLayout through the registry API, and the digests are merged into one tag by
// the real `docker buildx imagetools create`. Assertions read the registry over HTTP.
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registries/client.js';
import { pushOciLayout, type PushResult } from '../../src/registries/push-layout.js';
import { readOciLayout } from '../../src/oci/layout.js';
import { isIndexType, OCI_INDEX, OCI_MANIFEST, type Descriptor, type ImageIndex } from '../../src/oci/model.js';
import { docker, indexPlatforms, loadEngineEnv, registryManifest, testBuilderArgs, testDockerConfig, type Engine } from './engine.mjs';
import { REPO_ROOT } from './runner.mjs';

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

let engine: Engine;
let config: string;
const repository = `e2e/split-${randomUUID().slice(0, 8)}`;
const context = path.join(REPO_ROOT, 'example', 'app');

/** A fetch that records every request it makes (method, URL, status). */
function countingFetch(): { sent: Sent[]; fetchImpl: typeof fetch } {
  const sent: Sent[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    sent.push({ method: init?.method ?? 'GET', url: String(input), status: response.status });
    return response;
  }) as typeof fetch;
  return { sent, fetchImpl };
}

function authHeader(): string {
  return `Basic ${Buffer.from(`${engine.username}:${engine.password}`).toString('base64')}`;
}

/** Builds example/app for one platform into an OCI layout folder (not a tar). */
function buildLayout(platform: string, extra: string[] = []): { dir: string; seconds: number } {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'oci-layout-e2e-')), 'layout');
  const started = Date.now();
  const result = docker(
    ['buildx', 'build', ...testBuilderArgs(config), '--platform', platform, '--build-arg', `BASE_IMAGE=${engine.baseImage}`, '--output', `type=oci,dest=${dir},tar=false`, ...extra, context],
    config,
  );
  expect(result.status, result.stderr).toBe(0);
  return { dir, seconds: (Date.now() - started) / 1000 };
}

/** GETs a manifest by digest over plain HTTP and checks what the registry says about it. */
async function fetchManifest(digest: string, mediaType: string): Promise<{ manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }> {
  const response = await fetch(`http://${engine.registry}/v2/${repository}/manifests/${digest}`, {
    headers: { Accept: [OCI_INDEX, OCI_MANIFEST].join(', '), Authorization: authHeader() },
  });
  expect(response.status, `${digest}`).toBe(200);
  expect(response.headers.get('docker-content-digest')).toBe(digest);
  expect(response.headers.get('content-type')).toBe(mediaType);
  return JSON.parse(await response.text());
}

/** Checks every manifest below `digest` by GET and every blob by HEAD; returns the blob digests. */
async function expectComplete(digest: string, mediaType: string): Promise<string[]> {
  const document = await fetchManifest(digest, mediaType);
  if (isIndexType(mediaType)) {
    const blobs: string[] = [];
    for (const child of document.manifests ?? []) blobs.push(...(await expectComplete(child.digest, child.mediaType)));
    return blobs;
  }
  const blobs = [document.config, ...(document.layers ?? [])].filter((entry): entry is Descriptor => entry !== undefined);
  for (const blob of blobs) {
    const response = await fetch(`http://${engine.registry}/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD', headers: { Authorization: authHeader() } });
    expect(response.status, blob.digest).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(blob.size);
  }
  return blobs.map((blob) => blob.digest);
}

async function push(dir: string, fetchImpl: typeof fetch = fetch): Promise<{ result: PushResult; seconds: number; log: string[] }> {
  const log: string[] = [];
  const client = new RegistryClient(engine.registry, { username: engine.username, password: engine.password }, fetchImpl);
  const started = Date.now();
  const result = await pushOciLayout(dir, { registry: engine.registry, repository }, client, { log: (line) => log.push(line), concurrency: 4 });
  return { result, seconds: (Date.now() - started) / 1000, log };
}

beforeAll(() => {
  engine = loadEngineEnv();
  config = testDockerConfig(engine);
});

describe('split native builds pushed by digest, merged by imagetools create', () => {
  const digests: Record<string, string> = {};
  const layouts: Record<string, string> = {};

  it('exports linux/arm64 (with provenance) as an OCI layout folder: an index of the image and its attestation', async () => {
    const build = buildLayout('linux/arm64', ['--provenance=mode=min']);
    layouts.arm64 = build.dir;
    const layout = await readOciLayout(build.dir);
    expect(layout.image.mediaType).toBe(OCI_INDEX);
    const index = JSON.parse(readFileSync(path.join(build.dir, 'blobs', 'sha256', layout.image.digest.slice(7)), 'utf8')) as { manifests: Descriptor[] };
    expect(indexPlatforms(index)).toEqual(['linux/arm64']);
    expect(index.manifests.filter((entry) => entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest')).toHaveLength(1);
    console.log(`build linux/arm64 → OCI layout: ${build.seconds.toFixed(1)} s`);
  });

  it('pushes the arm64 layout by digest: the index, both manifests and every blob are in the registry', async () => {
    const { sent, fetchImpl } = countingFetch();
    const { result, seconds, log } = await push(layouts.arm64 as string, fetchImpl);
    expect(result.mediaType).toBe(OCI_INDEX);
    expect(result.platforms).toEqual(['linux/arm64']);
    expect(result.manifestsPut).toBe(3);
    digests.arm64 = result.digest;
    const blobs = await expectComplete(result.digest, result.mediaType);
    expect(new Set(blobs).size).toBe(result.blobsUploaded + result.blobsSkipped);
    // No tag was written: the repository's tag list is empty.
    const tags = await fetch(`http://${engine.registry}/v2/${repository}/tags/list`, { headers: { Authorization: authHeader() } });
    expect(((await tags.json()) as { tags: string[] | null }).tags ?? []).toEqual([]);
    console.log(`push arm64: ${seconds.toFixed(2)} s, ${sent.length} requests\n${log.join('\n')}`);
  });

  it('uploads no blob the second time: every blob answers HEAD 200', async () => {
    const { sent, fetchImpl } = countingFetch();
    const { result, seconds } = await push(layouts.arm64 as string, fetchImpl);
    expect(result.digest).toBe(digests.arm64);
    expect(result.blobsUploaded).toBe(0);
    const heads = sent.filter((request) => request.method === 'HEAD');
    // A new client: its first request meets the 401 challenge, then every blob answers 200.
    expect(heads.filter((request) => request.status === 200)).toHaveLength(result.blobsSkipped);
    expect(heads.filter((request) => request.status !== 200).map((request) => request.status)).toEqual([401]);
    expect(sent.filter((request) => request.method === 'POST' || request.url.includes('/blobs/uploads/'))).toEqual([]);
    expect(sent.filter((request) => request.method === 'PUT').every((request) => request.url.includes('/manifests/sha256:'))).toBe(true);
    console.log(`second push arm64: ${seconds.toFixed(2)} s, ${sent.length} requests (${heads.length} HEAD)`);
  });

  it('builds and pushes linux/amd64 the same way (default attestations)', async () => {
    const build = buildLayout('linux/amd64');
    const { result, seconds } = await push(build.dir);
    expect(result.platforms).toEqual(['linux/amd64']);
    digests.amd64 = result.digest;
    await expectComplete(result.digest, result.mediaType);
    console.log(
      `build linux/amd64: ${build.seconds.toFixed(1)} s, top-level ${result.mediaType}; push: ${seconds.toFixed(2)} s, ${result.blobsUploaded} uploaded, ${result.blobsSkipped} already there`,
    );
  });

  it('merges the two digests with the real imagetools create into one tag that runs on both platforms', async () => {
    const target = `${engine.registry}/${repository}:merged`;
    const started = Date.now();
    const created = docker(['buildx', 'imagetools', 'create', '-t', target, `${engine.registry}/${repository}@${digests.arm64}`, `${engine.registry}/${repository}@${digests.amd64}`], config);
    expect(created.status, created.stderr).toBe(0);
    console.log(`imagetools create: ${((Date.now() - started) / 1000).toFixed(2)} s`);
    const merged = await registryManifest(engine, repository, 'merged');
    expect(merged.status).toBe(200);
    expect(indexPlatforms(merged.json!)).toEqual(['linux/amd64', 'linux/arm64']);
    console.log(`merged index: ${JSON.stringify((merged.json as ImageIndex).manifests.map((entry) => [entry.platform, entry.annotations?.['vnd.docker.reference.type'] ?? '']))}`);

    const arm = docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/arm64', target, 'cat', '/arch'], config);
    expect(arm.stderr).not.toMatch(/exec format error/);
    expect(arm.stdout.trim()).toBe('aarch64');
    const amd = docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/amd64', target, 'cat', '/arch'], config);
    expect(amd.stdout.trim()).toBe('x86_64');
    docker(['image', 'rm', target], config);
  });
});
