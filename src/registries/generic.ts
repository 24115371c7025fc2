import type { Credential, CredentialProvider } from './provider.js';

/** Any registry, with a username and password from the `registry-auth` input. */
export const registryAuthProvider: CredentialProvider = {
  name: 'registry-auth',
  matches: () => true,
  configured: (registry, inputs) => (inputs.registryAuth.some((login) => login.registry === registry) ? { ok: true } : { ok: false, missing: `a registry-auth entry for ${registry}` }),
  credential: async (registry, { inputs }): Promise<Credential> => {
    const login = inputs.registryAuth.find((candidate) => candidate.registry === registry);
    if (!login) throw new Error(`registry-auth has no entry for ${registry}`);
    return { ...login, provider: 'registry-auth' };
  },
};
