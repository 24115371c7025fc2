import type { CredentialProvider } from './provider.js';

export const GHCR = 'ghcr.io';

/** GitHub Container Registry: the workflow's actor with the `github-token` input (the job's GITHUB_TOKEN by default). */
export const ghcrProvider: CredentialProvider = {
  name: 'ghcr (github-token)',
  matches: (registry) => registry === GHCR,
  configured: (_registry, inputs) => (inputs.githubToken ? { ok: true } : { ok: false, missing: 'the github-token input' }),
  credential: async (registry, { inputs, context }) => ({
    registry,
    // GHCR accepts any non-empty user name with a token; the actor reads best in logs.
    username: context.actor || 'github-actions',
    password: inputs.githubToken,
    provider: 'ghcr (github-token)',
  }),
};

/** What to tell the user when GHCR refuses a push with 403. */
export const GHCR_FORBIDDEN_HINT =
  'GHCR refused the push (403 Forbidden): the token cannot write packages. Add `permissions: packages: write` to the job (and, for an existing package, give this repository write access in the package settings).';
