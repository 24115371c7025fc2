import type { Docker } from '../docker/exec.js';
import { lastLines } from '../docker/exec.js';
import { partialPushReport } from './build.js';
import { ActionError, errorMessage } from '../errors.js';
import { formatDelay, sleepUnless, withRetries, type RetryPolicy } from '../retry.js';

export interface EnginePushOptions {
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
  /** Epoch milliseconds by which the push must be done (the `timeout` input), if any. */
  readonly deadline?: number;
  readonly timeoutMs?: number;
  /** Aborted when the runner stops the step: no push may start, or be retried, after it. */
  readonly stop?: AbortSignal;
  /** Which tags hold the new image now; asked only after a registry failure, for the message. */
  readonly landedTags: () => Promise<ReadonlySet<string>>;
}

/**
 * Pushes an image that is in the engine's image store, tag by tag, with `docker push`
 * (the containerd store pushes the whole index unchanged, attestations included). Used for
 * gated images and for builds with the docker driver on the containerd store (see
 * plan.ts buildArgsForBuilder). One tag after another, as buildx does: the first push
 * uploads the layers, the others find them there.
 */
export async function pushFromEngine(docker: Docker, tags: readonly string[], options: EnginePushOptions): Promise<void> {
  const remaining = options.deadline === undefined ? undefined : Math.max(1, options.deadline - Date.now());
  const deadline = remaining === undefined ? undefined : AbortSignal.timeout(remaining);
  const signals = [deadline, options.stop].filter((signal): signal is AbortSignal => signal !== undefined);
  const abort = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  const stopped = (): ActionError | undefined => {
    if (options.stop?.aborted) return new ActionError('the step was stopped; docker push was stopped with it');
    if (deadline?.aborted) return new ActionError(`the push did not finish within the timeout of ${formatDelay(options.timeoutMs ?? 0)}; docker push was cancelled`);
    return undefined;
  };
  const pushed = new Set<string>();
  try {
    for (const tag of tags) {
      await withRetries(
        `docker push ${tag}`,
        options.retry,
        async () => {
          const before = stopped();
          if (before) throw before;
          const result = await docker.run(['push', tag], { live: true, ...(abort ? { signal: abort } : {}) });
          const during = stopped();
          if (during) throw during;
          if (result.exitCode !== 0) throw new ActionError(`docker push ${tag} failed: ${lastLines(result.stderr || result.stdout, 3)}`);
        },
        // The engine does not retry a request itself as BuildKit does; a retry resumes where
        // the last one stopped, so each request gets its own count.
        { log: options.log, sleep: sleepUnless(abort), failedOn: failedRequest },
        (error) => (stopped() ? 'permanent' : errorMessage(error)),
      );
      pushed.add(tag);
    }
  } catch (error) {
    // Stopped or out of time, the registry may not answer: report what finished rather than ask it.
    const landed = stopped() ? pushed : new Set([...pushed, ...(await options.landedTags().catch(() => []))]);
    throw new ActionError(`${errorMessage(error)}\n${partialPushReport(tags, landed)}`);
  }
}

/**
 * The registry request a failed `docker push` names ("unexpected status from PUT request to
 * <url>: 503 ..."), as one name per request whatever the attempt: the upload session in
 * the URL is left out and the blob digest or the manifest being written is kept (every
 * manifest of an index is PUT to the tag's URL).
 */
export function failedRequest(text: string): string | undefined {
  const match = /\b(HEAD|GET|PUT|POST|PATCH) request to (\S+?):?\s/.exec(text);
  if (!match?.[2]) return undefined;
  const [address = '', query = ''] = match[2].split('?');
  const target = address.replace(/\/blobs\/uploads\/[^/]+$/, '/blobs/uploads/');
  const blob = /(?:^|&)(?:digest|mount)=([^&]+)/.exec(query)?.[1];
  const ref = /failed commit on ref "([^"]+)"/.exec(text)?.[1];
  return [match[1], target, blob ? decodeOrKeep(blob) : '', ref ?? ''].filter(Boolean).join(' ');
}

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
