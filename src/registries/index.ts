import type { Env } from '../plan/context.js';
import type { Inputs } from '../plan/inputs.js';
import type { RegistryPlan } from '../plan/plan.js';
import { dockerHubProvider } from './dockerhub.js';
import { ecrProvider, ecrPublicProvider } from './ecr.js';
import { garProvider } from './gar.js';
import { registryAuthProvider } from './generic.js';
import { ghcrProvider } from './ghcr.js';
import type { CredentialProvider } from './provider.js';

/**
 * Registry host → credential provider. An explicit `registry-auth` entry always wins;
 * otherwise the first provider whose host pattern matches serves the registry.
 */
export const PROVIDERS: readonly CredentialProvider[] = [registryAuthProvider, ghcrProvider, dockerHubProvider, ecrProvider, ecrPublicProvider, garProvider];

/** Which registries to log in to, and with which provider (a RegistryPlanner). Pure: no credentials are fetched here. */
export function planRegistries(inputs: Inputs, tagRegistries: readonly string[], push: boolean, env: Env = {}): RegistryPlan[] {
  const registries = [...new Set([...tagRegistries, ...inputs.registryAuth.map((login) => login.registry)])];
  return registries.map((registry): RegistryPlan => {
    const usedFor = tagRegistries.includes(registry) ? (push ? 'push' : 'tag') : 'listed';
    const candidates = PROVIDERS.filter((provider) => provider !== registryAuthProvider && provider.matches(registry));
    const explicit = registryAuthProvider.configured(registry, inputs, env).ok ? registryAuthProvider : undefined;
    const provider = explicit ?? candidates.find((candidate) => candidate.configured(registry, inputs, env).ok);
    if (provider) return { registry, provider: provider.name, usedFor };
    const specific = candidates[0];
    const needs = specific?.configured(registry, inputs, env);
    const missing = needs && !needs.ok ? needs.missing : `a registry-auth entry for ${registry}`;
    return { registry, missing, usedFor };
  });
}

export function providerNamed(name: string): CredentialProvider {
  const provider = PROVIDERS.find((candidate) => candidate.name === name);
  if (!provider) throw new Error(`unknown credential provider ${name}`);
  return provider;
}
