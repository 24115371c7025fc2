import { DOCKER_HUB } from '../tags/reference.js';
import type { CredentialProvider } from './provider.js';

/** Docker Hub (`docker.io`, images without a registry host): `dockerhub-username` and `dockerhub-token`. */
export const dockerHubProvider: CredentialProvider = {
  name: 'docker hub',
  matches: (registry) => registry === DOCKER_HUB,
  configured: (_registry, inputs) => (inputs.dockerHubUsername && inputs.dockerHubToken ? { ok: true } : { ok: false, missing: 'the dockerhub-username and dockerhub-token inputs' }),
  credential: async (registry, { inputs }) => ({
    registry,
    username: inputs.dockerHubUsername,
    password: inputs.dockerHubToken,
    provider: 'docker hub',
  }),
};

/** Docker Hub counts every manifest GET (by tag or by digest) as a pull against the account's rate limit; a HEAD is free. */
export const manifestGetsArePulls = (registry: string): boolean => registry === DOCKER_HUB;
