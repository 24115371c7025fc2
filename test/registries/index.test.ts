import { describe, expect, it } from 'vitest';
import { planRegistries, providerNamed, PROVIDERS, type RegistryPlan } from '../../src/registries/index.js';
import { inputsFrom } from '../support/inputs.js';

const AUTH = (...registries: string[]): string =>
  registries.map((registry, index) => `- registry: ${registry}\n  username: user${index}\n  password: pw${index}`).join('\n');

describe('planRegistries', () => {
  it.each<[string, string, string[], RegistryPlan[]]>([
    ['nothing to push, no credentials', '', [], []],
    ['push to a registry with credentials', AUTH('ghcr.io'), ['ghcr.io'], [{ registry: 'ghcr.io', provider: 'registry-auth', usedFor: 'push' }]],
    ['push to a registry without credentials (the runner config may have them)', '', ['ghcr.io'], [{ registry: 'ghcr.io', usedFor: 'push' }]],
    ['credentials for a registry we only pull from', AUTH('quay.io'), [], [{ registry: 'quay.io', provider: 'registry-auth', usedFor: 'listed' }]],
    [
      'push registries first, then the other listed ones, each once',
      AUTH('quay.io', 'ghcr.io'),
      ['ghcr.io', 'docker.io'],
      [
        { registry: 'ghcr.io', provider: 'registry-auth', usedFor: 'push' },
        { registry: 'docker.io', usedFor: 'push' },
        { registry: 'quay.io', provider: 'registry-auth', usedFor: 'listed' },
      ],
    ],
    ['Docker Hub credentials under another spelling', AUTH('https://index.docker.io/v1/'), ['docker.io'], [{ registry: 'docker.io', provider: 'registry-auth', usedFor: 'push' }]],
    ['a duplicated push registry', '', ['ghcr.io', 'ghcr.io'], [{ registry: 'ghcr.io', usedFor: 'push' }]],
  ])('%s', (_, registryAuth, pushRegistries, expected) => {
    expect(planRegistries(inputsFrom({ 'registry-auth': registryAuth }), pushRegistries)).toEqual(expected);
  });

  it('holds no credentials', () => {
    const plan = planRegistries(inputsFrom({ 'registry-auth': AUTH('ghcr.io') }), ['ghcr.io']);
    expect(JSON.stringify(plan)).not.toContain('pw0');
    expect(JSON.stringify(plan)).not.toContain('user0');
  });
});

describe('providers', () => {
  it('registry-auth is a provider, found by name', () => {
    expect(PROVIDERS.map((provider) => provider.name)).toContain('registry-auth');
    expect(providerNamed('registry-auth').name).toBe('registry-auth');
  });

  it('an unknown provider name is an error', () => {
    expect(() => providerNamed('nope')).toThrow('unknown credential provider nope');
  });

  it('registry-auth serves the registries it lists and hands out their credential', async () => {
    const inputs = inputsFrom({ 'registry-auth': AUTH('ghcr.io', 'quay.io') });
    const provider = providerNamed('registry-auth');
    expect(provider.serves('quay.io', inputs)).toBe(true);
    expect(provider.serves('docker.io', inputs)).toBe(false);
    await expect(provider.credential('quay.io', inputs)).resolves.toEqual({ registry: 'quay.io', username: 'user1', password: 'pw1', provider: 'registry-auth' });
    await expect(provider.credential('docker.io', inputs)).rejects.toThrow('registry-auth has no entry for docker.io');
  });
});
