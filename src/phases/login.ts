import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { ActionError, errorMessage } from '../errors.js';
import { lastLines, type Docker, type DockerResult } from '../docker/exec.js';
import { proxiedFetch, proxyFor } from '../proxy.js';
import { withRetries, type RetryPolicy } from '../retry.js';
import type { StepLog } from './phase.js';
import { apiBases, type BasicCredential } from '../registries/client.js';
import { providerNamed } from '../registries/index.js';
import type { RegistryPlan } from '../plan/plan.js';
import type { Credential, ProviderEnvironment } from '../registries/provider.js';

/** What `GET /v2/` answered: the status and any Retry-After, or a connection error. */
export type ApiRootAnswer = { status: number; retryAfter?: string } | { error: string };

/**
 * `GET /v2/` over node:http(s). Not fetch: its implementation (undici) takes ~30 ms to
 * load, and this check sits on the path to the build. Behind a proxy it is fetch through
 * the proxy (see proxy.ts), which loads undici anyway.
 */
export function getApiRoot(url: string, timeoutMs = 10_000): Promise<ApiRootAnswer> {
  if (proxyFor(url)) return getApiRootByFetch(url, timeoutMs);
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      response.resume();
      const retryAfter = response.headers['retry-after'];
      resolve({ status: response.statusCode ?? 0, ...(retryAfter ? { retryAfter } : {}) });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ error: errorMessage(error) }));
  });
}

async function getApiRootByFetch(url: string, timeoutMs: number): Promise<ApiRootAnswer> {
  try {
    const response = await proxiedFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    const retryAfter = response.headers.get('retry-after');
    return { status: response.status, ...(retryAfter ? { retryAfter } : {}) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** A transient problem with the registry's API root (`GET /v2/`), or undefined when it answers normally (200/401). */
export async function registryHealth(registry: string, get: (url: string) => Promise<ApiRootAnswer> = getApiRoot): Promise<string | undefined> {
  let lastError = '';
  for (const base of apiBases(registry)) {
    const answer = await get(`${base}/v2/`);
    if ('error' in answer) {
      lastError = answer.error;
      continue;
    }
    if (answer.status >= 500 || answer.status === 429) return `HTTP ${answer.status}${answer.retryAfter ? `, Retry-After: ${answer.retryAfter}` : ''}`;
    return undefined;
  }
  return `connection failed: ${lastError}`;
}

/** `docker login` with the password on stdin, never in argv. */
export async function dockerLogin(docker: Docker, credential: Credential, checked?: Promise<string | undefined>): Promise<void> {
  // dockerd reports a registry that answered 503/429 to its first request as "401
  // Unauthorized", so look at the registry first: a busy one is retried, not blamed on the password.
  const health = await (checked ?? registryHealth(credential.registry));
  if (health) throw new ActionError(`login to ${credential.registry} failed: the registry is not answering normally (${health})`);
  const refused = (result: DockerResult): string => {
    const detail = lastLines(result.stderr || result.stdout, 3);
    const hint = /unauthorized|401|incorrect username or password|denied/i.test(detail) ? ' Check the username and password (or token) for this registry.' : '';
    return `login to ${credential.registry} as ${credential.username} (from ${credential.provider}) was refused: ${detail}.${hint}`;
  };
  await docker.ok(['login', credential.registry, '--username', credential.username, '--password-stdin'], refused, { input: credential.password });
}

/** Starts the registry checks early, so they run while the step sets up. */
export function startHealthChecks(registries: readonly RegistryPlan[]): Map<string, Promise<string | undefined>> {
  return new Map(registries.filter((entry) => entry.provider).map((entry) => [entry.registry, registryHealth(entry.registry)]));
}

/**
 * What to say about a registry this step has no credentials for: when it pushes there, that
 * it pushes with whatever the runner's docker config holds; when it only builds (a pull
 * request from a fork, whose secrets are empty), that the build goes on without a login and
 * pulls of private images from there will fail. Nothing for a registry it logs in to.
 */
export function missingCredentialWarning(entry: RegistryPlan): string | undefined {
  if (entry.provider) return undefined;
  if (entry.usedFor === 'push') return `${entry.registry}: this step has no credentials for it (needs ${entry.missing}); pushing with whatever the runner's docker config holds`;
  if (entry.usedFor === 'tag')
    return `${entry.registry}: this step has no credentials for it (needs ${entry.missing}); this run pushes nothing, so it builds without logging in there, and pulls of private images from ${entry.registry} will fail (secrets are empty on pull requests from forks)`;
  return undefined;
}

/**
 * The login phase: for every planned registry with a provider, get the credential and
 * `docker login`, concurrently, retrying transient failures. A failure is fatal only where
 * this run pushes; elsewhere (pull requests, base images) it is a warning and the build goes on.
 */
export async function logIn(
  registries: readonly RegistryPlan[],
  environment: ProviderEnvironment,
  docker: Docker,
  policy: RetryPolicy,
  log: StepLog,
  early: ReadonlyMap<string, Promise<string | undefined>> = new Map(),
): Promise<Map<string, BasicCredential>> {
  const credentials = new Map<string, BasicCredential>();
  for (const entry of registries) {
    const warning = missingCredentialWarning(entry);
    if (warning) log.warning(warning);
  }
  // Token calls run concurrently; `docker login`s one at a time: concurrent logins rewrite
  // the same config.json and the last writer drops the others' credentials.
  let loginQueue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = loginQueue.then(work, work);
    loginQueue = next.catch(() => undefined);
    return next;
  };
  // Every login settles before the phase ends, failed or not: one still running would write
  // its credential after the step's clean-up has removed the folder.
  const settled = await Promise.allSettled(
    registries
      .filter((entry) => entry.provider)
      .map(async (entry) => {
        try {
          const credential = await withRetries(
            `login to ${entry.registry}`,
            policy,
            async (attempt) => {
              const fetched = await providerNamed(entry.provider ?? '').credential(entry.registry, environment);
              // The first attempt uses the check started during set-up; a retry checks afresh.
              const checked = attempt === 1 ? early.get(entry.registry) : undefined;
              await serialized(() => dockerLogin(docker, fetched, checked));
              return fetched;
            },
            { log: (line) => log.info(line) },
          );
          credentials.set(entry.registry, credential);
          log.info(`${entry.registry}: logged in as ${credential.username} (${credential.provider})`);
        } catch (error) {
          if (entry.usedFor === 'push') throw error;
          log.warning(`${entry.registry}: no login (${errorMessage(error)}); building without it since this run does not push there`);
        }
      }),
  );
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return credentials;
}
