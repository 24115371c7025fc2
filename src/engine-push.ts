import type { Docker } from './buildx/exec.js';
import { lastLines } from './buildx/exec.js';
import { ActionError, errorMessage } from './errors.js';
import { partialPushReport } from './build.js';
import { formatDelay, withRetries, type RetryPolicy } from './retry.js';

export interface EnginePushOptions {
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
  /** Epoch milliseconds by which the push must be done (the `timeout` input), if any. */
  readonly deadline?: number;
  readonly timeoutMs?: number;
  /** Which tags hold the new image now; asked only after a failure other than the timeout, for the message. */
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
  const signal = remaining === undefined ? undefined : AbortSignal.timeout(remaining);
  const timedOut = (): ActionError => new ActionError(`the push did not finish within the timeout of ${formatDelay(options.timeoutMs ?? 0)}; docker push was cancelled`);
  const pushed = new Set<string>();
  try {
    for (const tag of tags) {
      await withRetries(
        `docker push ${tag}`,
        options.retry,
        async () => {
          if (signal?.aborted) throw timedOut();
          const result = await docker.run(['push', tag], { live: true, ...(signal ? { signal } : {}) });
          if (signal?.aborted) throw timedOut();
          if (result.exitCode !== 0) throw new ActionError(`docker push ${tag} failed: ${lastLines(result.stderr || result.stdout, 3)}`);
        },
        // The engine does not retry a request itself as BuildKit does (4 tries each); a retry
        // resumes where the last stopped, so one that failed on another request got further.
        { log: options.log, progressed: (failure, previous) => failedRequest(failure) !== undefined && failedRequest(previous) !== undefined && failedRequest(failure) !== failedRequest(previous) },
        (error) => (signal?.aborted ? 'permanent' : errorMessage(error)),
      );
      pushed.add(tag);
    }
  } catch (error) {
    // After a timeout the registry is not answering: report what finished rather than ask it.
    const landed = signal?.aborted ? pushed : new Set([...pushed, ...(await options.landedTags().catch(() => []))]);
    throw new ActionError(`${errorMessage(error)}\n${partialPushReport(tags, landed)}`);
  }
}

/**
 * The registry request a failed `docker push` names ("unexpected status from PUT request to
 * <url>: 503 ..."), with the content it was writing ("failed commit on ref ..."): every
 * manifest of an index is PUT to the tag's URL.
 */
export function failedRequest(text: string): string | undefined {
  const match = /\b(HEAD|GET|PUT|POST|PATCH) request to (\S+?):?\s/.exec(text);
  if (!match) return undefined;
  const ref = /failed commit on ref "([^"]+)"/.exec(text)?.[1];
  return `${match[1]} ${match[2]}${ref ? ` (${ref})` : ''}`;
}
