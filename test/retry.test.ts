import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyFailure, parseDuration, retryAfterMs, sleepUnless, withRetries, type RetryPolicy } from '../src/retry.js';

const POLICY: RetryPolicy = { retries: 3, delayMs: 1000, maxDelayMs: 60_000 };

describe('classifyFailure', () => {
  it.each([
    'Error response from daemon: Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused',
    'failed to push 127.0.0.1:5000/app:1: unexpected status from PUT request to http://127.0.0.1:5000/v2/app/manifests/1: 503 Service Unavailable',
    'read tcp 127.0.0.1:4242->127.0.0.1:5000: read: connection reset by peer',
    'net/http: TLS handshake timeout',
    'unexpected status from HEAD request: 502 Bad Gateway',
    'toomanyrequests: 429 Too Many Requests',
    'fetch failed',
    'ghcr.io/acme/app:1: the registry answered 500',
    'dial tcp: lookup ghcr.io: i/o timeout',
  ])('transient: %s', (text) => {
    expect(classifyFailure(text)).toBe('transient');
  });

  it.each([
    'Error response from daemon: login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized',
    'unexpected status from POST request: 403 Forbidden',
    'ghcr.io/acme/app:1: the registry answered 404',
    'denied: requested access to the resource is denied',
    'manifest unknown',
    '400 Bad Request: invalid tag',
    'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
    'permanent',
  ])('permanent: %s', (text) => {
    expect(classifyFailure(text)).toBe('permanent');
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['429 Too Many Requests; Retry-After: 7', 7000],
    ['retry-after: 2', 2000],
    ['{"Retry-After":"30"}', 30_000],
    ['503 Service Unavailable', undefined],
  ])('%s', (text, expected) => {
    expect(retryAfterMs(text)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt, with 50-100 % jitter, capped', () => {
    expect(backoffDelay(1, POLICY, 0)).toBe(500);
    expect(backoffDelay(1, POLICY, 1)).toBe(1000);
    expect(backoffDelay(3, POLICY, 1)).toBe(4000);
    expect(backoffDelay(20, POLICY, 1)).toBe(60_000);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['2', 2000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['two', undefined],
    ['-1s', undefined],
    ['5 s', undefined],
  ])('%s', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});

describe('withRetries', () => {
  const noSleep = { sleep: async () => undefined, random: () => 1 };

  it('retries transient failures, logging each cause, and returns the first success', async () => {
    const log: string[] = [];
    let calls = 0;
    const result = await withRetries(
      'the push',
      POLICY,
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('503 Service Unavailable');
        return 'ok';
      },
      { ...noSleep, log: (line) => log.push(line) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(log).toEqual(['Retrying the push (attempt 2 of 4) in 1 s: 503 Service Unavailable', 'Retrying the push (attempt 3 of 4) in 2 s: 503 Service Unavailable']);
  });

  it('does not retry a permanent failure', async () => {
    let calls = 0;
    await expect(
      withRetries(
        'login',
        POLICY,
        async () => {
          calls += 1;
          throw new Error('401 Unauthorized');
        },
        { ...noSleep, log: () => undefined },
      ),
    ).rejects.toThrow('401 Unauthorized');
    expect(calls).toBe(1);
  });

  it('gives up after the last retry with the last error', async () => {
    let calls = 0;
    await expect(
      withRetries(
        'login',
        { ...POLICY, retries: 2 },
        async () => {
          calls += 1;
          throw new Error(`connection refused #${calls}`);
        },
        { ...noSleep, log: () => undefined },
      ),
    ).rejects.toThrow('connection refused #3');
    expect(calls).toBe(3);
  });

  it('counts each thing failedOn names apart, as BuildKit counts each request', async () => {
    const log: string[] = [];
    const failures = ['503 on A', '503 on A', '503 on B', '503 on A', '503 on B', '503 on B'];
    let calls = 0;
    const failing = withRetries(
      'docker push',
      { ...POLICY, retries: 2 },
      async () => {
        throw new Error(failures[calls++] ?? 'unexpected');
      },
      { ...noSleep, log: (line) => log.push(line), failedOn: (failure) => failure.split(' ').pop() },
    );
    // A fails twice, B twice, then A a third time: A's count is used up.
    await expect(failing).rejects.toThrow('503 on A');
    expect(calls).toBe(4);
    expect(log).toEqual(['Retrying docker push (attempt 2 of 3) in 1 s: 503 on A', 'Retrying docker push (attempt 3 of 3) in 2 s: 503 on A', 'Retrying docker push (attempt 2 of 3) in 1 s: 503 on B']);
  });

  it.each([1, 3])('with failedOn, stops at four times the attempts in all (retries: %i)', async (retries) => {
    let calls = 0;
    // Every failure on something new: only the overall limit ends it.
    const failing = withRetries(
      'docker push',
      { ...POLICY, retries },
      async () => {
        calls += 1;
        throw new Error(`503 on request ${calls}`);
      },
      { ...noSleep, log: () => undefined, failedOn: (failure) => failure },
    );
    await expect(failing).rejects.toThrow(`503 on request ${(retries + 1) * 4}`);
    expect(calls).toBe((retries + 1) * 4);
  });

  it('failures failedOn names nothing for share one count, whatever their text', async () => {
    let calls = 0;
    const failing = withRetries(
      'docker push',
      { ...POLICY, retries: 2 },
      async () => {
        calls += 1;
        throw new Error(`connection refused #${calls}`);
      },
      { ...noSleep, log: () => undefined, failedOn: () => undefined },
    );
    await expect(failing).rejects.toThrow('connection refused #3');
    expect(calls).toBe(3);
  });

  it('sleepUnless ends the wait when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = sleepUnless(controller.signal)(10_000);
    setTimeout(() => controller.abort(), 50);
    await waiting;
    expect(Date.now() - started).toBeLessThan(2_000);
    const after = Date.now();
    await sleepUnless(controller.signal)(10_000); // already aborted: no wait at all
    expect(Date.now() - after).toBeLessThan(100);
    await sleepUnless(undefined)(5);
  });

  it('waits at least what Retry-After asks', async () => {
    const waits: number[] = [];
    let calls = 0;
    await withRetries(
      'the push',
      { retries: 1, delayMs: 10, maxDelayMs: 10 },
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('429 Too Many Requests, Retry-After: 3');
        return 'ok';
      },
      { log: () => undefined, random: () => 1, sleep: async (ms) => void waits.push(ms) },
    );
    expect(waits).toEqual([3000]);
  });
});
