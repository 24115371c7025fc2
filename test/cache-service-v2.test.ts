// The v2 cache stand-in (test/e2e/cache-service-v2.mjs) against the real clients, without
// Docker: @actions/cache's saveCache/restoreCache on its v2 path (Twirp + @azure/storage-blob
// upload + download), @azure/storage-blob's block upload and ranged download, and the
// requests BuildKit's gha client (go-actions-cache cache_v2.go) sends, as it sends them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cache from '@actions/cache';
import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { findCacheEntry, parseBlockList, parseByteRange, startCacheServiceV2, type CacheServiceV2 } from './e2e/cache-service-v2.mjs';

const TWIRP = 'twirp/github.actions.results.api.v1.CacheService';
let service: CacheServiceV2;
let root: string;
let stdout: string[];

/** One Twirp call as a client sends it: POST JSON with the runtime token. */
async function twirp(method: string, body: unknown, token = service.token): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(`${TWIRP}/${method}`, service.url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** What @actions/core printed as warnings or errors (it writes workflow commands to stdout). */
const complaints = (): string[] =>
  stdout
    .join('')
    .split('\n')
    .filter((line) => /^::(warning|error)/.test(line));

/** A folder with files to cache, under the test's root. */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

beforeAll(async () => {
  service = await startCacheServiceV2();
  root = mkdtempSync(path.join(os.tmpdir(), 'cache-v2-'));
});

afterAll(async () => {
  await service?.close();
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  // What a github.com runner gives a step (no ACTIONS_CACHE_URL: v1 is GHES only).
  for (const [name, value] of Object.entries(service.env)) vi.stubEnv(name, value);
  vi.stubEnv('ACTIONS_CACHE_URL', '');
  vi.stubEnv('GITHUB_SERVER_URL', 'https://github.com');
  vi.stubEnv('RUNNER_TEMP', path.join(root, 'runner-temp'));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('@actions/cache v2 against the stand-in', () => {
  it('saves through CreateCacheEntry, Put Blob and FinalizeCacheEntryUpload', async () => {
    const dir = folder('save', { 'a.txt': 'alpha\n', 'b.txt': 'beta\n' });
    const id = await cache.saveCache([dir], 'deps-linux-1111');
    expect(complaints()).toEqual([]);
    expect(id).toBeGreaterThan(0);
    const entry = service.entries.find((candidate) => candidate.key === 'deps-linux-1111');
    expect(entry).toMatchObject({ finalized: true, scope: 'refs/heads/main' });
    expect(entry?.sizeBytes).toBe(service.dataOf(entry!)?.length);
    expect(service.requests.filter((request) => request.route).map((request) => `${request.route} ${request.status}`)).toEqual([
      'CreateCacheEntry 200',
      'blob-put 201',
      'FinalizeCacheEntryUpload 200',
    ]);
  });

  it('restores the exact key, then by restore-key prefix (newest first), and misses cleanly', async () => {
    const dir = folder('restore', { 'a.txt': 'one\n' });
    expect(await cache.saveCache([dir], 'tools-linux-aaaa')).toBeGreaterThan(0);
    writeFileSync(path.join(dir, 'a.txt'), 'two\n');
    expect(await cache.saveCache([dir], 'tools-linux-bbbb')).toBeGreaterThan(0);

    rmSync(dir, { recursive: true });
    expect(await cache.restoreCache([dir], 'tools-linux-aaaa')).toBe('tools-linux-aaaa');
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('one\n');

    rmSync(dir, { recursive: true });
    expect(await cache.restoreCache([dir], 'tools-linux-cccc', ['tools-linux-'])).toBe('tools-linux-bbbb');
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('two\n');

    expect(await cache.restoreCache([dir], 'tools-mac-cccc', ['tools-mac-'])).toBeUndefined();
    expect(complaints()).toEqual([]);
    // The download went to the signed blob URL, not through the API.
    expect(service.requests.filter((request) => request.route === 'blob-get').map((request) => request.status)).toEqual([200, 200]);
  });

  it('keys a cache by its version too: other paths are a miss', async () => {
    const dir = folder('versioned', { 'a.txt': 'v\n' });
    expect(await cache.saveCache([dir], 'versioned-1')).toBeGreaterThan(0);
    expect(await cache.restoreCache([path.join(root, 'elsewhere')], 'versioned-1')).toBeUndefined();
    expect(complaints()).toEqual([]);
  });

  it('a second save under the same key is refused with 409 already_exists, and @actions/cache only logs it', async () => {
    const dir = folder('twice', { 'a.txt': 'x\n' });
    expect(await cache.saveCache([dir], 'twice-1')).toBeGreaterThan(0);
    expect(await cache.saveCache([dir], 'twice-1')).toBe(-1);
    expect(service.requests.filter((request) => request.route === 'CreateCacheEntry').pop()?.status).toBe(409);
    expect(stdout.join('')).toContain('Unable to reserve cache with key twice-1, another job may be creating this cache');
  });

  it('a bad runtime token is refused (401 unauthenticated): restore warns and misses, it never throws', async () => {
    const dir = folder('token', { 'a.txt': 't\n' });
    vi.stubEnv('ACTIONS_RUNTIME_TOKEN', `${service.token.slice(0, -4)}AAAA`);
    expect(await cache.restoreCache([dir], 'token-1')).toBeUndefined();
    expect(service.requests.pop()).toMatchObject({ route: 'GetCacheEntryDownloadURL', status: 401 });
    expect(complaints().join('\n')).toMatch(/Failed to restore: .*401/);
  });

  it('a rate-limited service (429) costs the save, with a warning, not the run', async () => {
    const dir = folder('limited', { 'a.txt': 'l\n' });
    service.fail('CreateCacheEntry', { status: 429, code: 'resource_exhausted', msg: 'too many requests', headers: { 'Retry-After': '60' } });
    expect(await cache.saveCache([dir], 'limited-1')).toBe(-1);
    expect(complaints().join('\n')).toContain("You've hit a rate limit, your rate limit will reset in 60 seconds");
    expect(service.entries.some((entry) => entry.key === 'limited-1')).toBe(false);
  });

  it('a full cache quota ("insufficient usage") costs the save, not the run', async () => {
    const dir = folder('quota', { 'a.txt': 'q\n' });
    service.fail('CreateCacheEntry', { status: 403, code: 'permission_denied', msg: 'insufficient usage to create cache entry' });
    expect(await cache.saveCache([dir], 'quota-1')).toBe(-1);
    // @actions/cache turns its UsageError into a failed reservation, logged as information only.
    expect(stdout.join('')).toContain('Failed to save: Unable to reserve cache with key quota-1');
  });
});

describe('scopes: what a token may read and write', () => {
  it('a pull request writes to its own ref and reads its base branch; the base branch never sees the pull request', async () => {
    const version = 'a'.repeat(64);
    const blob = Buffer.from('from main');
    const save = async (key: string, token: string): Promise<void> => {
      const created = await twirp('CreateCacheEntry', { key, version }, token);
      expect(created.body).toMatchObject({ ok: true });
      await new BlockBlobClient(String(created.body.signed_upload_url)).upload(blob, blob.length);
      expect((await twirp('FinalizeCacheEntryUpload', { key, version, size_bytes: String(blob.length) }, token)).body).toMatchObject({ ok: true });
    };
    const pullRequest = service.mintToken([
      { scope: 'refs/pull/7/merge', permission: 3 },
      { scope: 'refs/heads/main', permission: 1 },
    ]);
    await save('scoped-main', service.token);
    await save('scoped-pr', pullRequest);
    expect((await twirp('GetCacheEntryDownloadURL', { key: 'scoped-main', version }, pullRequest)).body).toMatchObject({ ok: true, matched_key: 'scoped-main' });
    expect((await twirp('GetCacheEntryDownloadURL', { key: 'scoped-pr', version }, service.token)).body).toMatchObject({ ok: false });
    expect(service.entries.find((entry) => entry.key === 'scoped-pr')?.scope).toBe('refs/pull/7/merge');

    const readOnly = service.mintToken([{ scope: 'refs/heads/main', permission: 1 }]);
    expect((await twirp('CreateCacheEntry', { key: 'scoped-ro', version }, readOnly)).body).toMatchObject({ ok: false, message: expect.stringMatching(/^cache write denied:/) });
  });

  it('an expired token is refused', async () => {
    const expired = service.mintToken([{ scope: 'refs/heads/main', permission: 3 }], { lifetimeSeconds: -1 });
    expect(await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v' }, expired)).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
  });
});

describe('the blob store as @azure/storage-blob uses it', () => {
  it('Put Block + Put Block List, then ranged Get Blob, give back the same bytes', async () => {
    const version = 'b'.repeat(64);
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, index) => index % 251));
    const created = await twirp('CreateCacheEntry', { key: 'blocks-1', version });
    const uploader = new BlockBlobClient(String(created.body.signed_upload_url));
    // Small blocks force the block path @actions/cache takes for archives over 128 MiB.
    await uploader.uploadData(data, { blockSize: 4096, maxSingleShotSize: 4096, concurrency: 2 });
    expect(service.requests.filter((request) => request.route === 'blob-put-block')).toHaveLength(3);
    expect(service.requests.filter((request) => request.route === 'blob-put-block-list').pop()?.status).toBe(201);

    // Not readable before it is finalized.
    expect((await twirp('GetCacheEntryDownloadURL', { key: 'blocks-1', version })).body).toMatchObject({ ok: false });
    expect((await twirp('FinalizeCacheEntryUpload', { key: 'blocks-1', version, size_bytes: '9999' })).status).toBe(400);
    expect((await twirp('FinalizeCacheEntryUpload', { key: 'blocks-1', version, size_bytes: String(data.length) })).body).toMatchObject({ ok: true, entry_id: expect.stringMatching(/^\d+$/) });

    const found = await twirp('GetCacheEntryDownloadURL', { key: 'blocks-1', version });
    const downloader = new BlockBlobClient(String(found.body.signed_download_url));
    expect(Buffer.compare(await downloader.downloadToBuffer(0, undefined, { blockSize: 3000 }), data)).toBe(0);
    expect(Buffer.compare(await downloader.downloadToBuffer(9_000), data.subarray(9_000))).toBe(0);
    // The upload URL does not read, and the download URL does not write.
    await expect(new BlockBlobClient(String(created.body.signed_upload_url)).downloadToBuffer()).rejects.toMatchObject({ statusCode: 403 });
    await expect(downloader.upload('x', 1)).rejects.toMatchObject({ statusCode: 403 });
  });

  it('a signed URL someone altered is refused', async () => {
    const created = await twirp('CreateCacheEntry', { key: 'tampered-1', version: 'c'.repeat(64) });
    const url = String(created.body.signed_upload_url).replace(/se=[^&]+/, 'se=2999-01-01T00%3A00%3A00Z');
    await expect(new BlockBlobClient(url).upload('x', 1)).rejects.toMatchObject({ statusCode: 403, code: 'AuthenticationFailed' });
  });
});

describe("BuildKit's gha client, request for request (go-actions-cache cache_v2.go)", () => {
  // Its version is sha256("|go-actionscache-1.0") for every key; size_bytes is a JSON number;
  // restore_keys repeat the key; its index is saved as <key>#<n>, the next n on 409.
  const version = '693bb7016429d80366022f036f84856888c9f13e00145f5f6f4dce303a38d6f2';
  const save = async (key: string, data: Buffer): Promise<{ status: number; body: Record<string, unknown> }> => {
    const created = await twirp('CreateCacheEntry', { key, version });
    if (created.status !== 200) return created;
    await new BlockBlobClient(String(created.body.signed_upload_url)).upload(data, data.length);
    return twirp('FinalizeCacheEntryUpload', { key, size_bytes: data.length, version });
  };
  const load = (...keys: string[]) => twirp('GetCacheEntryDownloadURL', { key: keys[0], restore_keys: keys, version });

  it('a layer blob: absent, saved, found; saved again is already_exists (which it takes as done)', async () => {
    const key = 'buildkit-blob-1-sha256:' + 'd'.repeat(64);
    expect((await load(key)).body).toMatchObject({ ok: false });
    expect((await save(key, Buffer.from('layer'))).body).toMatchObject({ ok: true, entry_id: expect.any(String) });
    expect((await load(key)).body).toMatchObject({ ok: true, matched_key: key });
    expect(await save(key, Buffer.from('layer'))).toEqual({ status: 409, body: { code: 'already_exists', msg: expect.stringContaining('already exists') } });
  });

  it('the index: <key># finds the newest <key>#<n>; a reserved but unfinished number is taken (409)', async () => {
    const index = 'index-buildkit-1-0123abcd';
    expect((await load(`${index}#`)).body).toMatchObject({ ok: false });
    expect((await save(`${index}#1`, Buffer.from('{"v":1}'))).body).toMatchObject({ ok: true });
    expect((await save(`${index}#2`, Buffer.from('{"v":2}'))).body).toMatchObject({ ok: true });
    expect((await load(`${index}#`)).body).toMatchObject({ ok: true, matched_key: `${index}#2` });
    expect((await twirp('CreateCacheEntry', { key: `${index}#3`, version })).status).toBe(200);
    expect((await twirp('CreateCacheEntry', { key: `${index}#3`, version })).status).toBe(409);
    // Unfinished: the lookup still answers #2.
    expect((await load(`${index}#`)).body).toMatchObject({ matched_key: `${index}#2` });
  });
});

describe('the pure parts', () => {
  const entry = (key: string, scope = 'refs/heads/main', version = 'v', finalized = true) => ({ key, scope, version, finalized });
  it.each([
    ['exact key wins over a newer prefix match', [entry('k-1'), entry('k-12')], ['refs/heads/main'], { key: 'k-1', restoreKeys: ['k-'] }, 'k-1'],
    ['the key is also a prefix', [entry('k-1a'), entry('k-1b')], ['refs/heads/main'], { key: 'k-1', restoreKeys: [] }, 'k-1b'],
    ['restore keys in order', [entry('a-1'), entry('b-1')], ['refs/heads/main'], { key: 'x', restoreKeys: ['b-', 'a-'] }, 'b-1'],
    ['other version: miss', [entry('k', 'refs/heads/main', 'w')], ['refs/heads/main'], { key: 'k', restoreKeys: [] }, undefined],
    ['unfinalized: miss', [entry('k', 'refs/heads/main', 'v', false)], ['refs/heads/main'], { key: 'k', restoreKeys: [] }, undefined],
    ['own scope before the base branch', [entry('k-main'), entry('k-pr', 'refs/pull/1/merge')], ['refs/pull/1/merge', 'refs/heads/main'], { key: 'k', restoreKeys: [] }, 'k-pr'],
    ['base branch when the own scope has nothing', [entry('k-main')], ['refs/pull/1/merge', 'refs/heads/main'], { key: 'k', restoreKeys: [] }, 'k-main'],
    ['unreadable scope: miss', [entry('k', 'refs/heads/other')], ['refs/heads/main'], { key: 'k', restoreKeys: [] }, undefined],
  ])('findCacheEntry: %s', (_, entries, scopes, lookup, expected) => {
    expect(findCacheEntry(entries, scopes, { ...lookup, version: 'v' })?.key).toBe(expected);
  });

  it.each([
    ['<?xml version="1.0"?><BlockList><Latest>QQ==</Latest><Uncommitted>Qg==</Uncommitted></BlockList>', ['QQ==', 'Qg==']],
    ['<BlockList></BlockList>', []],
    ['<Other/>', undefined],
  ])('parseBlockList(%s)', (xml, expected) => {
    expect(parseBlockList(xml)).toEqual(expected);
  });

  it.each([
    [undefined, 10, undefined],
    ['bytes=0-', 10, { start: 0, end: 9 }],
    ['bytes=3-5', 10, { start: 3, end: 5 }],
    ['bytes=8-100', 10, { start: 8, end: 9 }],
    ['bytes=10-', 10, { invalid: true }],
    ['items=0-1', 10, { invalid: true }],
  ])('parseByteRange(%s, %d)', (header, size, expected) => {
    expect(parseByteRange(header, size)).toEqual(expected);
  });
});
