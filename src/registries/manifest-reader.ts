import { ActionError, errorMessage } from '../errors.js';
import type { BasicCredential } from './client.js';
import { RegistryClient } from './client.js';
import { sha256Digest, summarizeManifest, type ManifestSummary } from '../oci/model.js';
import type { ImageReference } from '../tags/reference.js';
import { classifyFailure, withRetries, type RetryPolicy } from '../retry.js';
import { lastLines, type Docker } from '../docker/exec.js';

/** Problems with what a tag points to, compared to what was built. Empty means verified. */
export function verificationProblems(tag: string, pushed: ManifestSummary, expectedDigest: string, expectedPlatforms: readonly string[]): string[] {
  const problems: string[] = [];
  if (!expectedDigest) problems.push(`buildx reported no digest for the build, so ${tag} cannot be matched to it`);
  else if (pushed.digest !== expectedDigest) problems.push(`${tag} points to ${pushed.digest}, not the built ${expectedDigest}`);
  const missing = expectedPlatforms.filter((platform) => !pushed.platforms.includes(platform));
  if (missing.length > 0) problems.push(`${tag} lacks ${missing.join(', ')} (has ${pushed.platforms.join(', ') || 'none'})`);
  return problems;
}

/** Reads a tag's manifest bytes: straight from the registry API, or through buildx when that is not possible. */
export type ManifestReader = (tag: ImageReference) => Promise<string>;

/** Reads only the digest a tag points to: a HEAD, which Docker Hub does not count as a pull (a GET it does). */
export type DigestReader = (tag: ImageReference) => Promise<string>;

/**
 * A ManifestReader that keeps one client per registry (its connection and authorization),
 * can get them ready early, reads digests alone (`digest`), and reads without the buildx
 * fallback (`direct`) for reads nobody waits on: those must never start a docker process
 * that could outlive the clean-up.
 */
export type PreparedManifestReader = ManifestReader & { prepare(tag: ImageReference): Promise<void>; direct: ManifestReader; digest: DigestReader };

export function manifestReader(docker: Docker, credentials: ReadonlyMap<string, BasicCredential>): PreparedManifestReader {
  const clients = new Map<string, RegistryClient>();
  const clientFor = (registry: string): RegistryClient => {
    const client = clients.get(registry) ?? new RegistryClient(registry, credentials.get(registry));
    clients.set(registry, client);
    return client;
  };
  const reference = (tag: ImageReference): string => tag.tag ?? 'latest';
  // A busy or unreachable registry is retried by the caller (honouring Retry-After); only an
  // authentication problem (credentials a docker credential helper holds) goes to buildx.
  const throughBuildx = async (tag: ImageReference, error: unknown): Promise<string> => {
    if (classifyFailure(errorMessage(error)) === 'transient') throw error;
    const result = await docker.ok(
      ['buildx', 'imagetools', 'inspect', '--raw', tag.full],
      (failed) => `${tag.full} cannot be read back: ${errorMessage(error)}; buildx: ${lastLines(failed.stderr, 2)}`,
    );
    // buildx prints the raw bytes plus one newline.
    return result.stdout.endsWith('\n') ? result.stdout.slice(0, -1) : result.stdout;
  };
  const direct: ManifestReader = async (tag) => (await clientFor(tag.registry).manifest(tag.repository, reference(tag))).body;
  const read: ManifestReader = (tag) => direct(tag).catch((error: unknown) => throughBuildx(tag, error));
  const digest: DigestReader = (tag) =>
    clientFor(tag.registry)
      .manifestDigest(tag.repository, reference(tag))
      .catch(async (error: unknown) => sha256Digest(await throughBuildx(tag, error)));
  // Best effort: a failure here only means the read later does the whole handshake itself.
  return Object.assign(read, {
    direct,
    digest,
    prepare: (tag: ImageReference) =>
      clientFor(tag.registry)
        .prepare(tag.repository)
        .catch(() => undefined),
  });
}

/**
 * Reads every tag back from its registry and checks digest and platforms. The first tag's
 * manifest is read whole (GET: platforms, attestations); with a `digest` reader the others
 * are only HEADed, and read whole only when they point elsewhere, to say what they lack.
 */
export async function verifyPush(
  read: ManifestReader & { readonly digest?: DigestReader },
  tags: readonly ImageReference[],
  expectedDigest: string,
  platforms: readonly string[],
  retry: RetryPolicy = { retries: 0, delayMs: 0, maxDelayMs: 0 },
  log: (line: string) => void = () => undefined,
): Promise<ManifestSummary & { readonly raw: string }> {
  const readWhole = async (tag: ImageReference): Promise<{ raw: string; summary: ManifestSummary }> => {
    const raw = await withRetries(`reading ${tag.full} back`, retry, () => read(tag), { log });
    return { raw, summary: summarizeManifest(raw, platforms.length === 1 ? platforms[0] : undefined) };
  };
  const [first] = tags;
  const firstRead = first ? readWhole(first) : undefined;
  firstRead?.catch(() => undefined);
  const readDigest = read.digest;
  const results = await Promise.all(
    tags.map(async (tag, index): Promise<{ tag: string; raw?: string; summary?: ManifestSummary; error?: string }> => {
      try {
        if (index === 0 && firstRead) return { tag: tag.full, ...(await firstRead) };
        if (!readDigest) return { tag: tag.full, ...(await readWhole(tag)) };
        const digest = await withRetries(`reading ${tag.full}'s digest back`, retry, () => readDigest(tag), { log });
        const known = await firstRead?.catch(() => undefined);
        // The same digest is the same bytes: the first tag's summary holds for this one.
        if (known && digest === known.summary.digest) return { tag: tag.full, summary: known.summary };
        return { tag: tag.full, ...(await readWhole(tag)) };
      } catch (error) {
        return { tag: tag.full, error: errorMessage(error) };
      }
    }),
  );
  const problems = results.flatMap((result) => (result.summary ? verificationProblems(result.tag, result.summary, expectedDigest, platforms) : [result.error ?? '']));
  if (problems.length > 0) throw new ActionError(`the push could not be verified: ${problems.join('; ')}`);
  const firstResult = results[0];
  if (!firstResult?.summary) throw new ActionError('the push could not be verified: no tags');
  // The bytes too: what else the step wants from the index (sizes) needs no second read.
  return { ...firstResult.summary, raw: firstResult.raw ?? '' };
}
