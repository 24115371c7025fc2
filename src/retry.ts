import { errorMessage } from './errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Base delay of the exponential backoff. */
  readonly delayMs: number;
  /** Upper bound of one wait. */
  readonly maxDelayMs: number;
}

export type FailureKind = 'transient' | 'permanent';

/**
 * Whether a failure is worth repeating. Network hiccups and overloaded registries
 * are; a refusal (bad credentials, no permission, no such thing, bad request) is not,
 * and repeating it would only delay the real error (or lock an account).
 */
export function classifyFailure(text: string): FailureKind {
  const permanent = /\b(401|403|404|400)\b|unauthori[sz]ed|forbidden|denied|not found|manifest unknown|name unknown|invalid|incorrect username or password|no basic auth credentials/i;
  const transient =
    /\b(50[0-4]|429)\b|too many requests|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|connection refused|connection reset|broken pipe|i\/o timeout|timeout|timed out|TLS handshake|unexpected EOF|\bEOF\b|server misbehaving|service unavailable|bad gateway|gateway time-?out|internal server error|fetch failed|socket hang up|other side closed/i;
  if (transient.test(text)) {
    // "401" inside a transient message (e.g. a URL) is rare; a refusal word wins only when no transient status is present.
    const status = /\b(50[0-4]|429)\b/.exec(text);
    if (status || !permanent.test(text)) return 'transient';
  }
  return 'permanent';
}

/** Seconds from a `Retry-After: N` the failure text carries (HTTP-date forms are ignored). */
export function retryAfterMs(text: string): number | undefined {
  const match = /retry-after[":\s]+(\d{1,5})\b/i.exec(text);
  return match?.[1] ? Number(match[1]) * 1000 : undefined;
}

/** Exponential backoff with jitter (50-100 % of the step), so parallel jobs do not retry in lockstep. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: number): number {
  const step = Math.min(policy.maxDelayMs, policy.delayMs * 2 ** (attempt - 1));
  return Math.round(step * (0.5 + random / 2));
}

export interface RetryHooks {
  readonly log: (line: string) => void;
  /**
   * What a failure failed on (one registry request, say): each gets its own count of
   * attempts, as BuildKit gives each request its own tries, with four times the attempts
   * at most in all. Failures it names nothing for share one count.
   */
  readonly failedOn?: (failure: string) => string | undefined;
  readonly sleep?: (milliseconds: number) => Promise<void>;
  readonly random?: () => number;
}

export function formatDelay(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds} ms`;
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000} s` : `${(milliseconds / 1000).toFixed(1)} s`;
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the retries are used up.
 * `describeFailure` turns an error into the text classification and Retry-After read.
 */
export async function withRetries<T>(
  what: string,
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  hooks: RetryHooks,
  describeFailure: (error: unknown) => string = errorMessage,
): Promise<T> {
  const sleep = hooks.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const random = hooks.random ?? Math.random;
  const attempts = policy.retries + 1;
  const limit = hooks.failedOn ? attempts * 4 : attempts;
  const counts = new Map<string, number>();
  for (let number = 1; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      const text = describeFailure(error);
      const key = hooks.failedOn?.(text) ?? '';
      const failures = (counts.get(key) ?? 0) + 1;
      counts.set(key, failures);
      if (failures >= attempts || number >= limit || classifyFailure(text) === 'permanent') throw error;
      const delay = Math.max(backoffDelay(failures, policy, random()), Math.min(retryAfterMs(text) ?? 0, 5 * 60_000));
      hooks.log(`Retrying ${what} (attempt ${failures + 1} of ${attempts}) in ${formatDelay(delay)}: ${text.split('\n').filter(Boolean).slice(-1)[0] ?? text}`);
      await sleep(delay);
    }
  }
}

/** A sleep for withRetries that ends early when `signal` aborts (a time limit, a stopped step). */
export function sleepUnless(signal: AbortSignal | undefined): (milliseconds: number) => Promise<void> {
  return (milliseconds) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, milliseconds);
      signal?.addEventListener('abort', done, { once: true });
    });
}

/** `500ms`, `2s`, `1m`, `1h` or plain seconds → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * factor);
}
