// Which Sigstore instance signs, as actions/attest chooses it: the public-good instance
// (Fulcio + the Rekor transparency log) for public repositories, GitHub's own (Fulcio + a
// timestamp authority, no public log) for private and internal ones. Every URL can be
// overridden (tests point them at local stand-ins).

export type SigstoreInstance = 'public-good' | 'github';

export interface SigstoreEndpoints {
  readonly instance: SigstoreInstance;
  readonly fulcioURL: string;
  /** Transparency log (public-good). */
  readonly rekorURL?: string;
  /** RFC 3161 timestamp authority (GitHub's instance). */
  readonly tsaURL?: string;
}

export const PUBLIC_GOOD_FULCIO = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR = 'https://rekor.sigstore.dev';

type Env = Readonly<Record<string, string | undefined>>;

/** The instance for a repository of `visibility` on `serverUrl` (GITHUB_SERVER_URL), with SIGSTORE_*_URL overrides. */
export function sigstoreEndpoints(visibility: string | undefined, serverUrl: string, env: Env): SigstoreEndpoints {
  const override = (name: string): string | undefined => env[name]?.trim() || undefined;
  if (visibility === 'public') {
    return {
      instance: 'public-good',
      fulcioURL: override('SIGSTORE_FULCIO_URL') ?? PUBLIC_GOOD_FULCIO,
      rekorURL: override('SIGSTORE_REKOR_URL') ?? PUBLIC_GOOD_REKOR,
      ...(override('SIGSTORE_TSA_URL') ? { tsaURL: override('SIGSTORE_TSA_URL') } : {}),
    };
  }
  // github.com's instance lives under githubapp.com; GitHub Enterprise Cloud with data residency under its own host.
  const host = new URL(serverUrl || 'https://github.com').hostname;
  const domain = host === 'github.com' ? 'githubapp.com' : host;
  return {
    instance: 'github',
    fulcioURL: override('SIGSTORE_FULCIO_URL') ?? `https://fulcio.${domain}`,
    tsaURL: override('SIGSTORE_TSA_URL') ?? `https://timestamp.${domain}`,
    ...(override('SIGSTORE_REKOR_URL') ? { rekorURL: override('SIGSTORE_REKOR_URL') } : {}),
  };
}

/** The repository's visibility from the event payload (`repository.visibility`: public, private, internal). */
export function repositoryVisibility(payload: Readonly<Record<string, unknown>>): string | undefined {
  const visibility = (payload.repository as { visibility?: unknown } | undefined)?.visibility;
  return typeof visibility === 'string' ? visibility : undefined;
}
