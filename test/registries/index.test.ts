import { describe, expect, it } from 'vitest';
import { planRegistries, providerNamed, PROVIDERS } from '../../src/registries/index.js';
import type { RegistryPlan } from '../../src/plan/plan.js';
import { inputsFrom } from '../support/inputs.js';

const AUTH = (...registries: string[]): string => registries.map((registry, index) => `- registry: ${registry}\n  username: user${index}\n  password: pw${index}`).join('\n');

/** Every provider configured, so the table shows which one a host picks. */
const ALL_CONFIGURED = inputsFrom({
  'github-token': 'ghs_token',
  'dockerhub-username': 'acme',
  'dockerhub-token': 'dckr_pat_x',
  'aws-role-to-assume': 'arn:aws:iam::123456789012:role/push',
  'gcp-access-token': 'ya29.token',
});

describe('registry host → provider', () => {
  it.each([
    ['ghcr.io', 'ghcr (github-token)'],
    ['docker.io', 'docker hub'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', 'aws ecr'],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', 'aws ecr'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'aws ecr'],
    ['123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov', 'aws ecr'],
    ['123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov', 'aws ecr'],
    ['123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk', 'aws ecr'],
    ['123456789012.dkr-ecr.eu-west-1.on.aws', 'aws ecr'],
    ['public.ecr.aws', 'aws ecr public'],
    ['us-docker.pkg.dev', 'google artifact registry'],
    ['europe-west1-docker.pkg.dev', 'google artifact registry'],
    ['gcr.io', 'google artifact registry'],
    ['eu.gcr.io', 'google artifact registry'],
  ])('%s is served by %s', (registry, provider) => {
    const [plan] = planRegistries(ALL_CONFIGURED, [registry], true, {});
    expect(plan?.provider).toBe(provider);
  });

  it.each(['index.docker.io', 'registry-1.docker.io', 'docker.io'])('%s (in a tag) is Docker Hub', (spelling) => {
    const tags = inputsFrom({ tags: `${spelling}/acme/app:1`, 'dockerhub-username': 'acme', 'dockerhub-token': 'x' }).tags;
    expect(tags[0]?.registry).toBe('docker.io');
  });

  it('an image without a registry host is on Docker Hub', () => {
    expect(inputsFrom({ tags: 'acme/app:1' }).tags[0]?.registry).toBe('docker.io');
  });

  it.each(['12345678901.dkr.ecr.us-east-1.amazonaws.com', '123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example', 'ecr.aws', 'docker.pkg.dev', 'evilgcr.io', 'quay.io'])(
    '%s is not served by a cloud provider',
    (registry) => {
      const [plan] = planRegistries(ALL_CONFIGURED, [registry], true, {});
      expect(plan?.provider).toBeUndefined();
      expect(plan?.missing).toBe(`a registry-auth entry for ${registry}`);
    },
  );

  it('an explicit registry-auth entry wins over the automatic provider', () => {
    const inputs = inputsFrom({ 'github-token': 'ghs_token', 'registry-auth': AUTH('ghcr.io') });
    expect(planRegistries(inputs, ['ghcr.io'], true, {})).toEqual([{ registry: 'ghcr.io', provider: 'registry-auth', usedFor: 'push' }]);
  });
});

describe('provider configuration', () => {
  it.each<[string, Record<string, string>, Record<string, string>, string | undefined, string | undefined]>([
    ['ghcr.io', {}, {}, undefined, 'the github-token input'],
    ['docker.io', { 'dockerhub-username': 'acme' }, {}, undefined, 'the dockerhub-username and dockerhub-token inputs'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', {}, {}, undefined, 'aws-role-to-assume (with permissions: id-token: write) or AWS credentials in the environment'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', {}, { AWS_ACCESS_KEY_ID: 'AKIA' }, 'aws ecr', undefined],
    ['public.ecr.aws', {}, { AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, 'aws ecr public', undefined],
    [
      'us-docker.pkg.dev',
      { 'gcp-service-account': 'a@p.iam.gserviceaccount.com' },
      {},
      undefined,
      'gcp-workload-identity-provider (with permissions: id-token: write; gcp-service-account to impersonate one), or gcp-access-token',
    ],
    // Direct workload identity: the federated token itself, no service account.
    ['europe-west1-docker.pkg.dev', { 'gcp-workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/p/providers/q' }, {}, 'google artifact registry', undefined],
    ['gcr.io', { 'gcp-access-token': 'ya29.token' }, {}, 'google artifact registry', undefined],
    [
      'us-docker.pkg.dev',
      { 'gcp-service-account': 'a@p.iam.gserviceaccount.com', 'gcp-workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/p/providers/q' },
      {},
      'google artifact registry',
      undefined,
    ],
  ])('%s with %j and env %j', (registry, inputs, env, provider, missing) => {
    const [plan] = planRegistries(inputsFrom(inputs), [registry], true, env);
    expect(plan?.provider).toBe(provider);
    expect(plan?.missing).toBe(missing);
  });
});

describe('planRegistries', () => {
  it.each<[string, string, string[], boolean, RegistryPlan[]]>([
    ['nothing to push, no credentials', '', [], true, []],
    ['push to a registry with credentials', AUTH('quay.io'), ['quay.io'], true, [{ registry: 'quay.io', provider: 'registry-auth', usedFor: 'push' }]],
    ['a tag registry on a run that does not push', AUTH('quay.io'), ['quay.io'], false, [{ registry: 'quay.io', provider: 'registry-auth', usedFor: 'tag' }]],
    ['credentials for a registry we only pull from', AUTH('quay.io'), [], true, [{ registry: 'quay.io', provider: 'registry-auth', usedFor: 'listed' }]],
    [
      'tag registries first, then the other listed ones, each once',
      AUTH('quay.io', 'registry.example.com'),
      ['registry.example.com', 'ghcr.io', 'registry.example.com'],
      true,
      [
        { registry: 'registry.example.com', provider: 'registry-auth', usedFor: 'push' },
        { registry: 'ghcr.io', missing: 'the github-token input', usedFor: 'push' },
        { registry: 'quay.io', provider: 'registry-auth', usedFor: 'listed' },
      ],
    ],
    ['Docker Hub credentials under another spelling', AUTH('https://index.docker.io/v1/'), ['docker.io'], true, [{ registry: 'docker.io', provider: 'registry-auth', usedFor: 'push' }]],
  ])('%s', (_, registryAuth, tagRegistries, push, expected) => {
    expect(planRegistries(inputsFrom({ 'registry-auth': registryAuth }), tagRegistries, push, {})).toEqual(expected);
  });

  it('holds no credentials', () => {
    const plan = planRegistries(inputsFrom({ 'registry-auth': AUTH('ghcr.io'), 'github-token': 'ghs_SECRET' }), ['ghcr.io'], true, {});
    expect(JSON.stringify(plan)).not.toContain('pw0');
    expect(JSON.stringify(plan)).not.toContain('ghs_SECRET');
  });
});

describe('providers', () => {
  it('every provider is found by its name', () => {
    for (const provider of PROVIDERS) expect(providerNamed(provider.name)).toBe(provider);
    expect(() => providerNamed('nope')).toThrow('unknown credential provider nope');
  });

  it('registry-auth hands out the listed credential', async () => {
    const inputs = inputsFrom({ 'registry-auth': AUTH('ghcr.io', 'quay.io') });
    const environment = { inputs, context: {} as never, env: {}, mask: () => undefined };
    await expect(providerNamed('registry-auth').credential('quay.io', environment)).resolves.toEqual({ registry: 'quay.io', username: 'user1', password: 'pw1', provider: 'registry-auth' });
  });

  it('ghcr logs in as the actor with the github token', async () => {
    const inputs = inputsFrom({ 'github-token': 'ghs_abc' });
    const environment = { inputs, context: { actor: 'octocat' } as never, env: {}, mask: () => undefined };
    await expect(providerNamed('ghcr (github-token)').credential('ghcr.io', environment)).resolves.toEqual({
      registry: 'ghcr.io',
      username: 'octocat',
      password: 'ghs_abc',
      provider: 'ghcr (github-token)',
    });
  });
});
