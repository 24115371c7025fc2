// Faults, end to end: the bundled action (dist/) run by the runner emulator against the
// real Docker engine and registry, with test/e2e/fault-proxy.mjs between them injecting
// 503s, resets, 401s, 429s, stalls and a registry that goes down mid-push. Everything
// stays on 127.0.0.1: tags name the proxy (127.0.0.1:<port>, a plain-HTTP registry to
// docker), the base image comes straight from the registry (127.0.0.1:5000), and every
// assertion about what was pushed reads the real registry over its HTTP API.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Descriptor, ImageIndex, ImageManifest } from '../../src/oci/model.js';
import { indexPlatforms, loadEngineEnv, registryManifest, runnerHome, type Engine } from './engine.mjs';
import { startFaultProxy, type FaultProxy, type FaultProxyRequest } from './fault-proxy.mjs';
import { listFiles, REPO_ROOT, runAction, type ActionRun, type RunActionOptions } from './runner.mjs';
import { findSecretLeaks } from './secrets.mjs';

let engine: Engine;
let home: string;
let proxy: FaultProxy;
const pushEvent = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'events', 'push.json'), 'utf8')) as unknown;
const unique = (): string => randomUUID().slice(0, 8);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const basicAuth = (): string => `Basic ${Buffer.from(`${engine.username}:${engine.password}`).toString('base64')}`;

/** registry-auth for the given registries (the proxy for the push, the registry for the base image). */
function registryAuth(registries: string[]): string {
  return registries.map((registry) => `- registry: ${registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`).join('');
}

function appInputs(tags: string[], extra: Record<string, string> = {}): Record<string, string> {
  return {
    tags: tags.join(','),
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': registryAuth([proxy.address, engine.registry]),
    'retry-delay': '200ms',
    ...extra,
  };
}

async function run(inputs: Record<string, string>, options: RunActionOptions = {}): Promise<ActionRun> {
  return await runAction({ home, eventName: 'push', payload: pushEvent, inputs, ...options });
}

function failureMessage(result: ActionRun): string {
  return result.main.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .join('\n');
}

/** Why a run failed or what it retried, for assertion messages. */
function describeRun(result: ActionRun): string {
  const interesting = result.main.log.split('\n').filter((line) => /^::error|Retrying|ERROR|error:|retrying in/i.test(line));
  return [`exit ${result.main.exitCode} after ${Math.round(result.main.milliseconds)} ms`, ...interesting.slice(-25)].join('\n');
}

/** The proxy's log for assertion messages: faults and unusual answers only, the last 60. */
function describeRequests(records: FaultProxyRequest[] = proxy.requests): string {
  const usual = new Set([200, 201, 202, 204, 206, 307, 401, 404]);
  const shown = records.filter((r) => r.fault || typeof r.status !== 'number' || !usual.has(r.status));
  return [
    `proxy: ${records.length} requests, ${shown.length} with faults or unusual answers${shown.length > 60 ? ' (last 60)' : ''}:`,
    ...shown.slice(-60).map((r) => `${Math.round(r.ms)} ${r.method} ${r.path.replace(/\?.*/, '?…')} ${r.status}${r.fault ? ` [${r.fault}${r.early ? ', early' : ''}]` : ''}`),
  ].join('\n');
}

interface RetryLine {
  line: string;
  what: string;
  attempt: number;
  of: number;
  delayMs: number;
  cause: string;
}

/** `500ms`, `2s`, `2.5 s`, `1m`, `1m30s` → milliseconds. */
function parseDelay(text: string): number {
  let total = 0;
  let matched = false;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m)\b/g)) {
    matched = true;
    const value = Number(match[1]);
    total += match[2] === 'ms' ? value : match[2] === 's' ? value * 1000 : value * 60_000;
  }
  return matched ? total : Number.NaN;
}

/** The `Retrying <what> (attempt N of M) in <delay>: <cause>` lines of the main step (plain or as a warning/notice). */
function retryLines(result: ActionRun): RetryLine[] {
  const lines: RetryLine[] = [];
  for (const line of result.main.log.split('\n')) {
    const match = /^(?:::(?:warning|notice)[^:]*::)?Retrying (.+?) \(attempt (\d+) of (\d+)\) in (.+?): (.+)$/.exec(line);
    if (match) lines.push({ line, what: match[1] ?? '', attempt: Number(match[2]), of: Number(match[3]), delayMs: parseDelay(match[4] ?? ''), cause: match[5] ?? '' });
  }
  return lines;
}

/** Lines that start like a retry line but do not have its shape. */
function malformedRetryLines(result: ActionRun): string[] {
  const wellFormed = new Set(retryLines(result).map((entry) => entry.line));
  return result.main.log.split('\n').filter((line) => /^(?:::(?:warning|notice)[^:]*::)?Retrying\b/.test(line) && !wellFormed.has(line));
}

function expectNoSecretLeak(result: ActionRun): void {
  expect(findSecretLeaks(result, [{ secret: engine.password, username: engine.username }], [home]), 'a credential (raw or base64) was printed or written here').toEqual([]);
}

/** Main cleaned up after itself; the post step ran only if the job failed (post-if), and quietly. */
function expectCleanPost(result: ActionRun): void {
  if (result.jobStatus === 'success') expect(result.post).toBeUndefined();
  else expect(result.post?.exitCode, result.post?.log).toBe(0);
  expect(readdirSync(result.runnerTemp).filter((entry) => entry.startsWith('build-push-'))).toEqual([]);
}

async function headBlob(repository: string, digest: string): Promise<{ status: number; length: number }> {
  const response = await fetch(`http://${engine.registry}/v2/${repository}/blobs/${digest}`, { method: 'HEAD', headers: { Authorization: basicAuth() } });
  return { status: response.status, length: Number(response.headers.get('content-length')) };
}

/**
 * Reads `repository:tag` back from the real registry (not through the proxy): an index
 * with linux/amd64 and linux/arm64 and the digest the action reported, every manifest it
 * lists present, and every blob those manifests name present with its size.
 */
async function expectCompleteImage(repository: string, tag: string, digest: string): Promise<void> {
  const index = await registryManifest(engine, repository, tag);
  expect(index.status, `${repository}:${tag} in the registry`).toBe(200);
  expect(index.digest).toBe(digest);
  expect(indexPlatforms(index.json!)).toEqual(['linux/amd64', 'linux/arm64']);
  for (const entry of (index.json as ImageIndex).manifests) {
    const manifest = await registryManifest(engine, repository, entry.digest);
    expect(manifest.status, `manifest ${entry.digest} of ${repository}:${tag}`).toBe(200);
    expect(manifest.digest).toBe(entry.digest);
    const image = manifest.json as ImageManifest;
    const blobs: Descriptor[] = [image.config, ...(image.layers ?? [])];
    expect(blobs.length).toBeGreaterThan(1);
    for (const blob of blobs) {
      const head = await headBlob(repository, blob.digest);
      expect(head.status, `blob ${blob.digest} of ${repository}:${tag}`).toBe(200);
      expect(head.length).toBe(blob.size);
    }
  }
}

/** Requests the proxy answered with an injected fault, among those matching `pattern`. */
function faulted(kind: string, pattern: RegExp): FaultProxyRequest[] {
  return proxy.requests.filter((record) => record.fault === kind && pattern.test(`${record.method} ${record.path}`));
}

beforeAll(async () => {
  engine = loadEngineEnv();
  home = runnerHome();
  proxy = await startFaultProxy({ upstream: `http://${engine.registry}` });
});

afterAll(async () => {
  await proxy?.close();
});

beforeEach(async () => {
  if (proxy.isDown) await proxy.up();
  proxy.setMode({});
  proxy.clearRequests();
});

describe('the fault proxy itself', () => {
  it('injects 503s, then passes requests through to the registry with their headers', async () => {
    proxy.setMode({ fail503: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${proxy.url}/v2/`);
      statuses.push(response.status);
      if (i < 2) expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAVAILABLE');
      else {
        // The registry's own challenge, untouched.
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
        await response.body?.cancel();
      }
    }
    const authorized = await fetch(`${proxy.url}/v2/`, { headers: { Authorization: basicAuth() } });
    await authorized.body?.cancel();
    expect([...statuses, authorized.status]).toEqual([503, 503, 401, 200]);
    expect(proxy.requests.map((record) => [record.status, record.fault ?? null])).toEqual([
      [503, '503'],
      [503, '503'],
      [401, null],
      [200, null],
    ]);
    expect(proxy.requests.map((record) => record.authorization ?? null)).toEqual([null, null, null, 'Basic']);
  });

  it('streams a chunked upload and a download both ways and points Location at itself', async () => {
    const repository = `e2e/proxy-${unique()}`;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) % 251;
    const chunks = 8;
    const hash = createHash('sha256');
    for (let i = 0; i < chunks; i++) hash.update(chunk);
    const digest = `sha256:${hash.digest('hex')}`;

    const start = await fetch(`${proxy.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: { Authorization: basicAuth() } });
    expect(start.status).toBe(202);
    const location = start.headers.get('location') ?? '';
    expect(location.startsWith(`${proxy.url}/`) || location.startsWith('/')).toBe(true);
    expect(location).not.toContain(engine.registry);

    // A body of unknown length: sent with Transfer-Encoding: chunked.
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < chunks) controller.enqueue(new Uint8Array(chunk));
        else controller.close();
      },
    });
    const patch = await fetch(new URL(location, proxy.url), {
      method: 'PATCH',
      headers: { Authorization: basicAuth(), 'Content-Type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(patch.status).toBe(202);
    expect(patch.headers.get('range')).toBe(`0-${chunks * chunk.length - 1}`);
    const next = new URL(patch.headers.get('location') ?? '', proxy.url);
    expect(next.host).toBe(proxy.address);
    next.searchParams.set('digest', digest);
    const put = await fetch(next, { method: 'PUT', headers: { Authorization: basicAuth() } });
    expect(put.status).toBe(201);
    expect(new URL(put.headers.get('location') ?? '', proxy.url).host).toBe(proxy.address);

    // In the real registry, whole.
    expect(await headBlob(repository, digest)).toEqual({ status: 200, length: chunks * chunk.length });
    // And back through the proxy, streamed.
    const download = await fetch(`${proxy.url}/v2/${repository}/blobs/${digest}`, { headers: { Authorization: basicAuth() } });
    expect(download.status).toBe(200);
    const downloaded = createHash('sha256');
    for await (const part of download.body as unknown as AsyncIterable<Uint8Array>) downloaded.update(part);
    expect(`sha256:${downloaded.digest('hex')}`).toBe(digest);
  });

  it('resets connections, answers 401 and 429 with their headers, holds a strict Retry-After window, and goes down and up', async () => {
    proxy.setMode({ reset: 1 });
    await expect(fetch(`${proxy.url}/v2/`)).rejects.toThrow();
    const afterReset = await fetch(`${proxy.url}/v2/`);
    await afterReset.body?.cancel();
    expect(afterReset.status).toBe(401);

    proxy.setMode({ status401: true });
    const refused = await fetch(`${proxy.url}/v2/`, { headers: { Authorization: basicAuth() } });
    await refused.body?.cancel();
    expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([401, 'Basic realm="x"']);

    proxy.setMode({ status429: 1, retryAfter: 1, strict: true, match: '^GET /v2/$' });
    const limited = await fetch(`${proxy.url}/v2/`);
    await limited.body?.cancel();
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '1']);
    const tooEarly = await fetch(`${proxy.url}/v2/`);
    await tooEarly.body?.cancel();
    expect(tooEarly.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await fetch(`${proxy.url}/v2/`);
    await later.body?.cancel();
    expect(later.status).toBe(401);
    expect(proxy.requests.filter((record) => record.fault === '429').map((record) => Boolean(record.early))).toEqual([false, true]);

    proxy.setMode({ downAfter: 1 });
    const before = await fetch(`${proxy.url}/v2/`);
    await before.body?.cancel();
    expect(before.status).toBe(401);
    await expect(fetch(`${proxy.url}/v2/`)).rejects.toThrow();
    expect(proxy.isDown).toBe(true);
    const refusedConnection = await fetch(`${proxy.url}/v2/`).then(
      () => 'connected',
      (error: { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(refusedConnection).toBe('ECONNREFUSED');
    await proxy.up();
    const back = await fetch(`${proxy.url}/v2/`);
    await back.body?.cancel();
    expect(back.status).toBe(401);
  });
});

describe('transient registry failures are retried', () => {
  it('503s on login, blob uploads, manifest pushes and verification: retried, pushed, the image is complete', async () => {
    const name = `e2e/fault-503-${unique()}`;
    const rules = {
      // dockerd's `docker login` does not retry: its ping and its credential request both fail.
      login: { fail503: 2, match: '^GET /v2/$' },
      // The engine pushes (docker driver, containerd store) and does not retry a request itself
      // as BuildKit does (4 tries each): every 503 fails a `docker push`, which the action runs
      // again; it resumes, and a retry that failed on another request got further and gets its
      // own count. So the same burst that BuildKit rides out is ridden out here too.
      blobs: { fail503: 3, match: '^(HEAD|POST|PATCH|PUT) /v2/.+/blobs/' },
      manifests: { fail503: 5, match: '^PUT /v2/.+/manifests/' },
      // The action's own read-back of the tags.
      verify: { fail503: 2, match: `^GET /v2/${escape(name)}/manifests/(1\\.0\\.0|latest)$` },
    };
    proxy.setMode(Object.values(rules));
    const result = await run(appInputs([`${proxy.address}/${name}:1.0.0`, `${proxy.address}/${name}:latest`]));

    expect(result.main.exitCode, describeRun(result)).toBe(0);
    expect(result.outputs.pushed).toBe('true');
    expect(result.summary).toMatch(/\| yes: /);

    // The faults really happened, all of them.
    expect(faulted('503', /^GET \/v2\/$/).length, describeRequests()).toBe(2);
    expect(faulted('503', /^(HEAD|POST|PATCH|PUT) \/v2\/.+\/blobs\//).length, describeRequests()).toBe(3);
    expect(faulted('503', /^PUT \/v2\/.+\/manifests\//).length, describeRequests()).toBe(5);

    const retries = retryLines(result);
    expect(retries.length, describeRun(result)).toBeGreaterThanOrEqual(2); // the login and the push, at least
    expect(malformedRetryLines(result)).toEqual([]);
    for (const retry of retries) {
      expect(retry.attempt, retry.line).toBeGreaterThanOrEqual(1);
      expect(retry.attempt, retry.line).toBeLessThanOrEqual(retry.of);
      expect(retry.delayMs, retry.line).toBeGreaterThan(0);
      expect(retry.delayMs, retry.line).toBeLessThan(60_000);
    }
    expect(
      retries.some((retry) => /503|Service Unavailable|unavailable/i.test(retry.cause)),
      describeRun(result),
    ).toBe(true);

    for (const tag of ['1.0.0', 'latest']) await expectCompleteImage(name, tag, result.outputs.digest ?? '');
    expectCleanPost(result);
    expectNoSecretLeak(result);
  });

  it('a 503 on only the first request of `docker login` (which dockerd then reports as 401) is retried too', async () => {
    // dockerd pings /v2/ first; when that answers 503 it sends the credential request without
    // credentials (it saw no challenge) and reports "401 Unauthorized". The action has to tell
    // this apart from a refused password to retry it.
    const name = `e2e/fault-ping-${unique()}`;
    proxy.setMode({ fail503: 1, match: '^GET /v2/$' });
    const result = await run(appInputs([`${proxy.address}/${name}:1.0.0`]));

    expect(result.main.exitCode, describeRun(result)).toBe(0);
    expect(result.outputs.pushed).toBe('true');
    expect(faulted('503', /^GET \/v2\/$/).length).toBe(1);
    expect(retryLines(result).length, describeRun(result)).toBeGreaterThanOrEqual(1);
    await expectCompleteImage(name, '1.0.0', result.outputs.digest ?? '');
    expectCleanPost(result);
    expectNoSecretLeak(result);
  });

  it('429 with Retry-After: 2 on the read-back: the action waits the 2 s before it asks again, and succeeds', async () => {
    const name = `e2e/fault-429-${unique()}`;
    // Reads of the tags by anyone but the engine's pushers (buildkit, dockerd's
    // UpstreamClient): the action's own client, or buildx imagetools if it falls back to it.
    // Strict: every read inside the 2 s window is refused again, like a real rate limiter.
    const reads = new RegExp(`^(GET|HEAD) /v2/${escape(name)}/manifests/(1\\.0\\.0|latest)$`);
    const notThePushers = /^(?!.*(buildkit|UpstreamClient))/;
    proxy.setMode({ status429: 2, retryAfter: 2, strict: true, match: reads, agent: notThePushers });
    const result = await run(appInputs([`${proxy.address}/${name}:1.0.0`, `${proxy.address}/${name}:latest`]));

    expect(result.main.exitCode, `${describeRun(result)}\n${describeRequests()}`).toBe(0);
    expect(result.outputs.pushed).toBe('true');

    const limited = proxy.requests.filter((record) => record.fault === '429');
    const first = limited.find((record) => !record.early);
    expect(first, describeRequests()).toBeDefined();
    // Nobody came back inside the window.
    expect(limited.filter((record) => record.early).map((record) => `${Math.round(record.ms - (first?.ms ?? 0))} ms after: ${record.method} ${record.path} (${record.userAgent})`)).toEqual([]);
    // The read that finally succeeded came at least 2 s after the 429.
    const answered = proxy.requests.filter(
      (record) => reads.test(`${record.method} ${record.path}`) && notThePushers.test(record.userAgent ?? '') && record.status === 200 && record.ms > (first?.ms ?? 0),
    );
    expect(answered.length, describeRequests()).toBeGreaterThan(0);
    expect((answered[0]?.ms ?? 0) - (first?.ms ?? 0), describeRequests()).toBeGreaterThanOrEqual(1950);

    const retries = retryLines(result).filter((retry) => /429|Too Many Requests/i.test(retry.cause));
    expect(retries.length, describeRun(result)).toBeGreaterThanOrEqual(1);
    for (const retry of retries) expect(retry.delayMs, retry.line).toBeGreaterThanOrEqual(2000);

    for (const tag of ['1.0.0', 'latest']) await expectCompleteImage(name, tag, result.outputs.digest ?? '');
    expectCleanPost(result);
    expectNoSecretLeak(result);
  });
});

describe('failures that cannot be retried away fail clearly', () => {
  it('the registry goes down mid-push: the step fails in time, names the registry, and reports nothing as pushed', async () => {
    const name = `e2e/fault-down-${unique()}`;
    // Four requests of the push get through, then the registry is gone (connections refused).
    proxy.setMode({ downAfter: 4, match: '^(HEAD|POST|PATCH|PUT) /v2/.+/(blobs|manifests)/' });
    const tags = [`${proxy.address}/${name}:1.0.0`, `${proxy.address}/${name}:latest`];
    const result = await run(appInputs(tags, { retries: '3', timeout: '60s' }));

    expect(proxy.isDown, describeRequests()).toBe(true);
    expect(result.main.exitCode, describeRun(result)).toBe(1);
    expect(result.main.milliseconds).toBeLessThan(60_000);
    const message = failureMessage(result);
    expect(message).toContain(proxy.address);
    // A push that fails part-way says which tags were (not) updated: both, here.
    for (const tag of tags) expect(message, 'the error lists every tag that was not updated').toContain(tag);
    expect(message).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    expect(result.outputs.pushed).toBe('false');
    expect(result.summary).toMatch(/\| no: /);
    expect(result.summary).not.toMatch(/\| yes: /);

    // Connection refused is transient: the push was retried, within the limit, then given up.
    const retries = retryLines(result);
    expect(retries.length, describeRun(result)).toBeGreaterThanOrEqual(1);
    expect(malformedRetryLines(result)).toEqual([]);
    for (const retry of retries) expect(retry.of, retry.line).toBeLessThanOrEqual(4);

    // Honest: nothing under these tags in the registry.
    for (const tag of ['1.0.0', 'latest']) expect((await registryManifest(engine, name, tag)).status).toBe(404);
    expectCleanPost(result);
    expectNoSecretLeak(result);
  });

  it('the registry stops answering mid-push: the push hits `timeout` and is cancelled, the post step still runs', async () => {
    const name = `e2e/fault-stall-${unique()}`;
    // Held for 90 s: long past the 20 s limit, yet short enough that an action without one
    // finishes (late) instead of hanging the suite.
    proxy.setMode({ delayMs: 90_000, match: '^(HEAD|POST|PATCH|PUT) /v2/.+/(blobs|manifests)/' });
    const result = await run(appInputs([`${proxy.address}/${name}:1.0.0`], { timeout: '20s' }));
    proxy.flushDelays();

    expect(result.main.exitCode, describeRun(result)).toBe(1);
    // 20 s of build and push (the limit covers both) plus the set-up before it; far from the 90 s the stall lasts.
    expect(result.main.milliseconds).toBeLessThan(50_000);
    expect(result.main.milliseconds).toBeGreaterThanOrEqual(20_000);
    const message = failureMessage(result);
    expect(message).toMatch(/time(d)? ?out|time limit|timeout/i);
    expect(message).toMatch(/\b20 ?s\b|20 ?seconds|20000 ?ms/); // names the limit
    expect(message).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(result.outputs.pushed).toBe('false');
    expect(result.summary).toMatch(/\| no: /);
    expect((await registryManifest(engine, name, '1.0.0')).status).toBe(404);
    expectCleanPost(result);
    expect(result.main.log).toContain(`Logged out of ${proxy.address}`);
    expect(result.post?.log).toContain('Nothing to clean up: the main step cleaned up after itself');
    expectNoSecretLeak(result);
  });

  it('401 from the registry: no retry, a clear message naming the registry', async () => {
    const name = `e2e/fault-401-${unique()}`;
    proxy.setMode({ status401: true });
    const result = await run(appInputs([`${proxy.address}/${name}:1.0.0`]));

    expect(result.main.exitCode, describeRun(result)).toBe(1);
    const message = failureMessage(result);
    expect(message).toContain(proxy.address);
    expect(message).toMatch(/401|unauthori[sz]ed|refused|denied|password/i);
    expect(message).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(retryLines(result), describeRun(result)).toEqual([]);
    expect(result.main.log).not.toMatch(/^(::\w+::)?Retrying/m);
    // docker login's own round trip is a ping and one request with the credentials; allow
    // one check of the action's own on top, but no second attempt.
    const credentialed = proxy.requests.filter((record) => record.authorization);
    expect(credentialed.length, describeRequests()).toBeLessThanOrEqual(2);
    expect(proxy.requests.length, describeRequests()).toBeLessThanOrEqual(4);
    expect(result.outputs.pushed).toBe('false');
    expect(result.summary).toMatch(/\| no: /);
    expect((await registryManifest(engine, name, '1.0.0')).status).toBe(404);
    expectCleanPost(result);
    expectNoSecretLeak(result);
  });

  it('401 on the push itself (the login was accepted): the push is not retried, the message names the registry', async () => {
    const name = `e2e/fault-401-push-${unique()}`;
    // Login (GET /v2/) works; every blob and manifest request of the repository is refused.
    proxy.setMode({ status401: true, match: `^(HEAD|GET|POST|PATCH|PUT) /v2/${escape(name)}/(blobs|manifests)/` });
    const result = await run(appInputs([`${proxy.address}/${name}:1.0.0`]));

    expect(result.main.exitCode, describeRun(result)).toBe(1);
    const message = failureMessage(result);
    expect(message).toContain(proxy.address);
    expect(message).toMatch(/401|unauthori[sz]ed|denied/i);
    expect(message).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(retryLines(result), describeRun(result)).toEqual([]);
    expect(result.main.log).not.toMatch(/^(::\w+::)?Retrying/m);
    expect(result.outputs.pushed).toBe('false');
    expect(result.summary).toMatch(/\| no: /);
    expect((await registryManifest(engine, name, '1.0.0')).status).toBe(404);
    expectCleanPost(result);
    expectNoSecretLeak(result);
  });
});

describe('logins', () => {
  it('every registry in registry-auth is still logged in when the build starts (concurrent `docker login`s must not overwrite one config.json)', async () => {
    // `docker login` rewrites the whole config.json: two at once into one DOCKER_CONFIG and
    // the last one wins, the other registry's login is lost, and its push fails with 401.
    // Seen here about half the time per run; three runs make a lost login near certain to show.
    for (let i = 0; i < 3; i++) {
      const name = `e2e/fault-logins-${unique()}`;
      // The private config as it is the moment buildx starts (main removes it at its end).
      const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'fault-logins-'));
      let atBuildStart: { auths?: Record<string, unknown> }[] | undefined;
      const result = await run(appInputs([`${proxy.address}/${name}:1.0.0`]), {
        tmpRoot,
        onLine: (line: string) => {
          if (!/^\[command\]\S*docker[ -]buildx build /.test(line)) return;
          atBuildStart = listFiles(tmpRoot)
            .filter((file: string) => path.basename(file) === 'config.json')
            .map((file: string) => JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, unknown> })
            .filter((config: { auths?: Record<string, unknown> }) => config.auths);
        },
      });
      expect(atBuildStart?.length, 'the private docker config of the run').toBe(1);
      expect(Object.keys(atBuildStart?.[0]?.auths ?? {}), describeRun(result)).toEqual(expect.arrayContaining([proxy.address, engine.registry]));
      expect(result.main.exitCode, describeRun(result)).toBe(0);
      expectCleanPost(result);
      rmSync(tmpRoot, { recursive: true, force: true });
    }
  });
});

describe('concurrency', () => {
  it('two runs pushing different tags of one repository at the same time both succeed, each tag correct', async () => {
    const name = `e2e/concurrent-${unique()}`;
    const inputsFor = (tag: string): Record<string, string> => ({
      tags: `${engine.registry}/${name}:${tag}`,
      context: 'example/app',
      'build-args': `BASE_IMAGE=${engine.baseImage}`,
      // Different labels, so the two runs push different images.
      labels: `org.example.run=${tag}`,
      'registry-auth': registryAuth([engine.registry]),
      'retry-delay': '200ms',
    });
    const [a, b] = await Promise.all([run(inputsFor('run-a')), run(inputsFor('run-b'))]);
    for (const [result, tag] of [
      [a, 'run-a'],
      [b, 'run-b'],
    ] as const) {
      expect(result.main.exitCode, describeRun(result)).toBe(0);
      expect(result.outputs.pushed).toBe('true');
      expect(result.outputs.tags).toBe(`${engine.registry}/${name}:${tag}`);
      const served = await registryManifest(engine, name, tag);
      expect(served.digest).toBe(result.outputs.digest);
      await expectCompleteImage(name, tag, result.outputs.digest ?? '');
      expectCleanPost(result);
      expectNoSecretLeak(result);
    }
    expect(a.outputs.digest).not.toBe(b.outputs.digest);
  });
});
