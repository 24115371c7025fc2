import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Docker } from '../../src/docker/exec.js';
import { failedRequest, pushFromEngine } from '../../src/phases/engine-push.js';

// A stand-in `docker` (a real process) that records each call and answers as the script says:
// pushFromEngine's retry, timeout and failure report, without a registry.
describe('pushFromEngine', () => {
  let dir: string;
  let calls: string;
  const retry = { retries: 2, delayMs: 1, maxDelayMs: 5 };
  const tags = ['127.0.0.1:5000/app:1.0.0', '127.0.0.1:5000/app:latest'];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'engine-push-'));
    calls = path.join(dir, 'calls');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function docker(body: string): Promise<Docker> {
    const file = path.join(dir, 'docker');
    await writeFile(file, `#!/bin/sh\necho "$@" >> ${calls}\nn=$(wc -l < ${calls})\n${body}\n`);
    await chmod(file, 0o755);
    return new Docker(dir, file, path.join(dir, 'no-buildx'));
  }
  const recorded = async (): Promise<string[]> => (await readFile(calls, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

  it('pushes each tag in order, one after another', async () => {
    const log: string[] = [];
    await pushFromEngine(await docker('exit 0'), tags, { retry, log: (line) => log.push(line), landedTags: async () => new Set() });
    expect(await recorded()).toEqual(tags.map((tag) => `push ${tag}`));
    expect(log).toEqual([]);
  });

  it('retries a transient registry error and goes on', async () => {
    const log: string[] = [];
    // The first call fails with a 503, every later one succeeds.
    const engine = await docker('[ "$n" = 1 ] && { echo "received unexpected HTTP status: 503 Service Unavailable" >&2; exit 1; }; exit 0');
    await pushFromEngine(engine, tags, { retry, log: (line) => log.push(line), landedTags: async () => new Set() });
    expect(await recorded()).toEqual([`push ${tags[0]}`, `push ${tags[0]}`, `push ${tags[1]}`]);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^Retrying docker push 127\.0\.0\.1:5000\/app:1\.0\.0 \(attempt 2 of 3\) in \d+ ms: .*503/);
  });

  it('gives each failing request its own count (a retry resumes where the last stopped)', async () => {
    const log: string[] = [];
    // Three failures on three different blobs, then success: more than retries: 1 allows in a row.
    const engine = await docker('[ "$n" -le 3 ] && { echo "unexpected status from HEAD request to http://127.0.0.1:5000/v2/app/blobs/sha256:$n: 503 Service Unavailable" >&2; exit 1; }; exit 0');
    await pushFromEngine(engine, tags.slice(0, 1), { retry: { ...retry, retries: 1 }, log: (line) => log.push(line), landedTags: async () => new Set() });
    expect(await recorded()).toHaveLength(4);
    expect(log.map((line) => /\(attempt \d of \d\)/.exec(line)?.[0])).toEqual(['(attempt 2 of 2)', '(attempt 2 of 2)', '(attempt 2 of 2)']);
  });

  it('starts no push, and no retry, once the step is stopped, and reports without asking the registry', async () => {
    const stop = new AbortController();
    // The first push fails with a 503; the step is stopped during the wait before the retry.
    const engine = await docker('echo "unexpected status from HEAD request to http://r/v2/app/blobs/sha256:1: 503 Service Unavailable" >&2; exit 1');
    let asked = false;
    const started = Date.now();
    const failure = pushFromEngine(engine, tags, {
      retry: { retries: 3, delayMs: 5_000, maxDelayMs: 5_000 },
      log: () => stop.abort(),
      stop: stop.signal,
      landedTags: async () => {
        asked = true;
        return new Set();
      },
    });
    await expect(failure).rejects.toThrow(`the step was stopped; docker push was stopped with it\ntags updated: none; tags NOT updated: ${tags.join(', ')}`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await recorded()).toEqual([`push ${tags[0]}`]);
    expect(asked).toBe(false);
  });

  it('ends a retry wait at the deadline instead of overrunning it', async () => {
    const engine = await docker('echo "unexpected status from HEAD request to http://r/v2/app/blobs/sha256:1: 503 Service Unavailable" >&2; exit 1');
    const started = Date.now();
    const failure = pushFromEngine(engine, tags, {
      retry: { retries: 3, delayMs: 20_000, maxDelayMs: 20_000 },
      log: () => undefined,
      deadline: Date.now() + 400,
      timeoutMs: 400,
      landedTags: async () => new Set(),
    });
    await expect(failure).rejects.toThrow('the push did not finish within the timeout of 400 ms; docker push was cancelled');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await recorded()).toEqual([`push ${tags[0]}`]);
  });

  it('does not retry a refusal, and says which tags hold the new image', async () => {
    const log: string[] = [];
    const engine = await docker('[ "$n" = 2 ] && { echo "unauthorized: authentication required" >&2; exit 1; }; exit 0');
    const failure = pushFromEngine(engine, tags, { retry, log: (line) => log.push(line), landedTags: async () => new Set([tags[0] ?? '']) });
    await expect(failure).rejects.toThrow(`docker push ${tags[1]} failed: unauthorized: authentication required\ntags updated: ${tags[0]}; tags NOT updated: ${tags[1]}`);
    expect(await recorded()).toHaveLength(2);
    expect(log).toEqual([]);
  });

  it('stops docker push at the deadline, without retrying, and reports the tags pushed before it without asking the registry', async () => {
    const started = Date.now();
    // The first tag is pushed; the second hangs like a stalled registry.
    const engine = await docker('[ "$n" = 1 ] && exit 0; exec sleep 10');
    let asked = false;
    const landedTags = async (): Promise<Set<string>> => {
      asked = true;
      return new Set();
    };
    const failure = pushFromEngine(engine, tags, { retry, log: () => undefined, deadline: Date.now() + 500, timeoutMs: 500, landedTags });
    await expect(failure).rejects.toThrow(`the push did not finish within the timeout of 500 ms; docker push was cancelled\ntags updated: ${tags[0]}; tags NOT updated: ${tags[1]}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await recorded()).toEqual(tags.map((tag) => `push ${tag}`));
    expect(asked).toBe(false);
  });
});

describe('failedRequest', () => {
  it('names the request docker push reports as failed', () => {
    expect(failedRequest('docker push r/app:1 failed: unexpected status from HEAD request to http://127.0.0.1:5000/v2/app/blobs/sha256:1a71: 503 Service Unavailable')).toBe(
      'HEAD http://127.0.0.1:5000/v2/app/blobs/sha256:1a71',
    );
    expect(failedRequest('failed commit on ref "manifest-sha256:f038": unexpected status from PUT request to http://127.0.0.1:5000/v2/app/manifests/1.0.0: 503 Service Unavailable')).toBe(
      'PUT http://127.0.0.1:5000/v2/app/manifests/1.0.0 manifest-sha256:f038',
    );
    expect(failedRequest('dial tcp 127.0.0.1:5000: connect: connection refused')).toBeUndefined();
  });

  it('names an upload the same whatever its session, by the blob it writes', () => {
    const upload = (session: string): string | undefined =>
      failedRequest(`unexpected status from PUT request to http://127.0.0.1:5000/v2/app/blobs/uploads/${session}?_state=abc%3D&digest=sha256%3A1a71: 503 Service Unavailable`);
    expect(upload('2b6c-11ef')).toBe('PUT http://127.0.0.1:5000/v2/app/blobs/uploads/ sha256:1a71');
    expect(upload('9f00-22aa')).toBe(upload('2b6c-11ef'));
    expect(failedRequest('unexpected status from POST request to http://r/v2/app/blobs/uploads/?from=base&mount=sha256%3Aab: 503')).toBe('POST http://r/v2/app/blobs/uploads/ sha256:ab');
    // A broken escape is kept as it is rather than thrown.
    expect(failedRequest('unexpected status from PUT request to http://r/v2/app/blobs/uploads/u1?digest=sha256%3: 503')).toBe('PUT http://r/v2/app/blobs/uploads/ sha256%3');
    expect(failedRequest('unexpected status from PATCH request to http://r/v2/app/blobs/uploads/u1?_state=x: 503')).toBe(
      failedRequest('unexpected status from PATCH request to http://r/v2/app/blobs/uploads/u2?_state=y: 503'),
    );
  });
});
