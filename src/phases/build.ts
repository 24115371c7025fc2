import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { BuildFiles } from '../plan/buildx-args.js';
import type { Docker } from '../docker/exec.js';
import { ActionError } from '../errors.js';
import { emitDockerfileAnnotations } from '../report/github-annotations.js';
import type { Inputs } from '../plan/inputs.js';
import { formatDelay, sleepUnless, withRetries, type RetryPolicy } from '../retry.js';
import { GHCR, GHCR_FORBIDDEN_HINT } from '../registries/ghcr.js';

export interface BuildResult {
  readonly digest: string;
  readonly imageId: string;
  readonly metadata: string;
  /** What buildx printed (progress), for the cache statistics in the summary. */
  readonly output: string;
}

/** Checks what buildx would otherwise complain about late and obscurely. */
export async function checkBuildContext(inputs: Inputs, workspace: string): Promise<void> {
  if (/^[a-z]+:\/\//.test(inputs.context) || inputs.context.startsWith('git@')) return;
  const contextDir = path.resolve(workspace, inputs.context);
  const contextStat = await stat(contextDir).catch(() => undefined);
  if (!contextStat?.isDirectory()) {
    throw new ActionError(
      `input "context": the folder "${inputs.context}" does not exist (looked in ${contextDir}). Example of a valid value: . (the checked-out repository; did you run actions/checkout?)`,
    );
  }
  const dockerfile = inputs.file ? path.resolve(workspace, inputs.file) : path.join(contextDir, 'Dockerfile');
  if (!(await stat(dockerfile).catch(() => undefined))?.isFile()) {
    throw new ActionError(
      `input "file": the Dockerfile "${inputs.file ?? path.join(inputs.context, 'Dockerfile')}" does not exist. Example of a valid value: ${path.join(inputs.context, 'Dockerfile')}`,
    );
  }
}

/** Writes build secrets to private files, so their values never appear in argv. */
export async function writeSecretFiles(inputs: Inputs, files: BuildFiles): Promise<void> {
  for (const secret of inputs.secrets) {
    const file = files.secretFiles.get(secret.id);
    if (!file) continue;
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, secret.value, { mode: 0o600 });
  }
}

/** The lines of buildx output that say why a build failed. */
export function buildFailureDetail(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const errors = lines.filter((line) => /^ERROR:|^error:|failed to solve|^#\d+ ERROR/.test(line));
  return (errors.length ? errors : lines.slice(-3)).slice(-3).join('\n');
}

/** Advice for failures users hit most, keyed on what buildx printed and where it pushed. */
export function failureHints(output: string, pushRegistries: readonly string[]): string[] {
  const hints: string[] = [];
  if (pushRegistries.includes(GHCR) && /403 Forbidden|denied: permission_denied|insufficient_scope/i.test(output)) hints.push(GHCR_FORBIDDEN_HINT);
  return hints;
}

/** A failure while pushing (not while building): buildx names the request that failed. */
export function isPushFailure(output: string): boolean {
  return /failed to push|pushing layers|unexpected status from (HEAD|PUT|POST|PATCH|GET) request|failed to (do request|copy)|exporting to image[\s\S]*(push|connection)/i.test(output);
}

export interface BuildOptions {
  /** Whether buildx itself pushes (then a failed push is retried by building again). */
  readonly pushes: boolean;
  readonly pushRegistries: readonly string[];
  readonly retry: RetryPolicy;
  readonly timeoutMs?: number;
  readonly log: (line: string) => void;
  /** Seconds since the epoch for SOURCE_DATE_EPOCH (reproducible builds). */
  readonly sourceDateEpoch?: number;
  /** Aborted when the runner stops the step: no build may start again after it. */
  readonly stop?: AbortSignal;
}

/**
 * Runs buildx. A push that fails on a transient registry error is retried by running
 * the build again: every step comes from the cache, so only the push is repeated, and
 * verification afterwards checks the digest that really landed.
 */
export async function runBuild(docker: Docker, args: readonly string[], files: BuildFiles, options: BuildOptions): Promise<BuildResult> {
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  const once = async (): Promise<BuildResult> => {
    if (options.stop?.aborted) throw new ActionError('the step was stopped; the build was stopped with it');
    const remaining = deadline === undefined ? undefined : deadline - Date.now();
    if (remaining !== undefined && remaining <= 0) throw new ActionError(`the build did not finish within the timeout of ${formatDelay(options.timeoutMs ?? 0)}`);
    const signal = remaining === undefined ? undefined : AbortSignal.timeout(remaining);
    const env = options.sourceDateEpoch === undefined ? undefined : { SOURCE_DATE_EPOCH: String(options.sourceDateEpoch) };
    const result = await docker.run(args, { live: true, ...(signal ? { signal } : {}), ...(env ? { env } : {}) });
    if (signal?.aborted) throw new ActionError(`the build did not finish within the timeout of ${formatDelay(options.timeoutMs ?? 0)}; buildx was cancelled`);
    if (result.exitCode !== 0) {
      const output = result.stderr || result.stdout;
      emitDockerfileAnnotations(output, args);
      const hints = failureHints(output, options.pushRegistries);
      throw new BuildFailure([`docker buildx build failed (exit code ${result.exitCode}):`, buildFailureDetail(output), ...hints].join('\n'), output);
    }
    const metadata = await readFile(files.metadataFile, 'utf8').catch(() => '{}');
    const imageId = (await readFile(files.iidFile, 'utf8').catch(() => '')).trim();
    let digest = '';
    try {
      const parsed = JSON.parse(metadata) as Record<string, unknown>;
      if (typeof parsed['containerimage.digest'] === 'string') digest = parsed['containerimage.digest'];
    } catch {
      // Keep going: verification reports a missing digest where it matters.
    }
    return { digest, imageId, metadata, output: result.stderr || result.stdout };
  };
  // A wait ends early when the step is stopped, and at the deadline (the next attempt then reports the timeout).
  const wait = sleepUnless(options.stop);
  const sleep = (milliseconds: number): Promise<void> => wait(deadline === undefined ? milliseconds : Math.min(milliseconds, Math.max(0, deadline - Date.now())));
  return withRetries('the push', options.retry, once, { log: options.log, sleep }, (error) =>
    // Only push failures are worth a second build; a failing RUN step is not.
    // Judged on buildx's error lines only: RUN steps print all sorts of words ("500 kB").
    options.pushes && !options.stop?.aborted && error instanceof BuildFailure && isPushFailure(buildFailureDetail(error.output)) ? buildFailureDetail(error.output) : 'permanent',
  );
}

/** The digest buildx exported before a push failed (the index for multi-platform builds). */
export function exportedDigest(output: string): string | undefined {
  const list = [...output.matchAll(/exporting (?:manifest list|index) (sha256:[0-9a-f]{64})/g)].pop();
  if (list?.[1]) return list[1];
  return [...output.matchAll(/exporting manifest (sha256:[0-9a-f]{64})/g)].pop()?.[1];
}

/**
 * The image manifests buildx exported (one per platform; attestation manifests and the
 * index left out), so they can be read while the index is verified. Only a hint: what
 * counts is the index read back.
 */
export function exportedImageManifests(output: string): string[] {
  return [...new Set([...output.matchAll(/exporting manifest (sha256:[0-9a-f]{64})/g)].map((match) => match[1] ?? ''))].filter(Boolean);
}

/** Which tags hold the new image after a failed push, for the error message. */
export function partialPushReport(tags: readonly string[], landed: ReadonlySet<string>): string {
  const updated = tags.filter((tag) => landed.has(tag));
  const notUpdated = tags.filter((tag) => !landed.has(tag));
  return `tags updated: ${updated.length ? updated.join(', ') : 'none'}; tags NOT updated: ${notUpdated.length ? notUpdated.join(', ') : 'none'}`;
}

export class BuildFailure extends ActionError {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}
