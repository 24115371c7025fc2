import { createHash } from 'node:crypto';
import { ActionError } from '../errors.js';
import type { Docker } from './exec.js';
import { lastLines } from './exec.js';

export interface ManifestSummary {
  readonly digest: string;
  readonly mediaType: string;
  /** `os/arch[/variant]` of every image in the index (attestation manifests excluded). */
  readonly platforms: readonly string[];
  readonly attestations: number;
}

interface IndexEntry {
  readonly digest?: string;
  readonly platform?: { os?: string; architecture?: string; variant?: string };
  readonly annotations?: Record<string, string>;
}

/**
 * Reads a manifest or index exactly as the registry served it. Its digest is the sha256
 * of those bytes; buildx prints them with one trailing newline.
 */
export function summarizeManifest(raw: string, singlePlatform?: string): ManifestSummary {
  const bytes = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  const digest = `sha256:${createHash('sha256').update(bytes, 'utf8').digest('hex')}`;
  const document = JSON.parse(bytes) as { mediaType?: string; manifests?: IndexEntry[] };
  const mediaType = document.mediaType ?? '';
  if (!Array.isArray(document.manifests)) {
    return { digest, mediaType, platforms: singlePlatform ? [singlePlatform] : [], attestations: 0 };
  }
  const isAttestation = (entry: IndexEntry): boolean => entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
  const platforms = document.manifests
    .filter((entry) => !isAttestation(entry) && entry.platform?.os && entry.platform.architecture)
    .map((entry) => [entry.platform?.os, entry.platform?.architecture, entry.platform?.variant].filter(Boolean).join('/'));
  return { digest, mediaType, platforms, attestations: document.manifests.filter(isAttestation).length };
}

/** Problems with what a tag points to, compared to what was built. Empty means verified. */
export function verificationProblems(tag: string, pushed: ManifestSummary, expectedDigest: string, expectedPlatforms: readonly string[]): string[] {
  const problems: string[] = [];
  if (expectedDigest && pushed.digest !== expectedDigest) {
    problems.push(`${tag} points to ${pushed.digest}, not the built ${expectedDigest}`);
  }
  const missing = expectedPlatforms.filter((platform) => !pushed.platforms.includes(platform));
  if (missing.length > 0) problems.push(`${tag} lacks ${missing.join(', ')} (has ${pushed.platforms.join(', ') || 'none'})`);
  return problems;
}

/** Reads every tag back from its registry and checks digest and platforms. */
export async function verifyPush(docker: Docker, tags: readonly string[], expectedDigest: string, platforms: readonly string[]): Promise<ManifestSummary> {
  const results = await Promise.all(
    tags.map(async (tag) => {
      const result = await docker.run(['buildx', 'imagetools', 'inspect', '--raw', tag]);
      if (result.exitCode !== 0) return { tag, error: `${tag} cannot be read back: ${lastLines(result.stderr, 2)}` };
      try {
        return { tag, summary: summarizeManifest(result.stdout, platforms.length === 1 ? platforms[0] : undefined) };
      } catch {
        return { tag, error: `${tag}: the registry returned something that is not a manifest` };
      }
    }),
  );
  const problems = results.flatMap((result) =>
    'error' in result ? [result.error ?? ''] : verificationProblems(result.tag, result.summary, expectedDigest, platforms),
  );
  if (problems.length > 0) throw new ActionError(`the push could not be verified: ${problems.join('; ')}`);
  const first = results[0];
  if (!first || !('summary' in first) || !first.summary) throw new ActionError('the push could not be verified: no tags');
  return first.summary;
}
