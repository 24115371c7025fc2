import type { Inputs } from '../inputs.js';
import type { Credential, CredentialProvider } from './provider.js';

/** Any registry, with a username and password from the `registry-auth` input. */
export const registryAuthProvider: CredentialProvider = {
  name: 'registry-auth',
  serves: (registry: string, inputs: Inputs) => inputs.registryAuth.some((login) => login.registry === registry),
  credential: async (registry: string, inputs: Inputs): Promise<Credential> => {
    const login = inputs.registryAuth.find((candidate) => candidate.registry === registry);
    if (!login) throw new Error(`registry-auth has no entry for ${registry}`);
    return { ...login, provider: 'registry-auth' };
  },
};
