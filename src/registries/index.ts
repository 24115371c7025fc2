import type { Inputs } from '../inputs.js';
import { registryAuthProvider } from './generic.js';
import type { CredentialProvider } from './provider.js';

/** Providers in order of preference: the first that serves a registry logs in to it. */
export const PROVIDERS: readonly CredentialProvider[] = [registryAuthProvider];

export interface RegistryPlan {
  readonly registry: string;
  /** Name of the provider that will log in, or undefined when this step has no credentials for it. */
  readonly provider?: string;
  /** Why we log in: an image is pushed there, or the user listed it (e.g. for a private base image). */
  readonly usedFor: 'push' | 'listed';
}

/** Which registries to log in to, and with which provider. Pure: no credentials are fetched here. */
export function planRegistries(inputs: Inputs, pushRegistries: readonly string[]): RegistryPlan[] {
  const registries = [...new Set([...pushRegistries, ...inputs.registryAuth.map((login) => login.registry)])];
  return registries.map((registry) => {
    const provider = PROVIDERS.find((candidate) => candidate.serves(registry, inputs));
    return { registry, ...(provider ? { provider: provider.name } : {}), usedFor: pushRegistries.includes(registry) ? 'push' : 'listed' };
  });
}

export function providerNamed(name: string): CredentialProvider {
  const provider = PROVIDERS.find((candidate) => candidate.name === name);
  if (!provider) throw new Error(`unknown credential provider ${name}`);
  return provider;
}
