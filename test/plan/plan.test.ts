import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { InputName } from '../../src/plan/inputs.js';
import { buildArgsForBuilder, makePlan, type Host } from '../../src/plan/plan.js';
import { decidePush } from '../../src/plan/push-decision.js';
import { EVENTS, fixtureContext } from '../support/context.js';
import { expectInputError, inputsFrom } from '../support/inputs.js';
import { planRegistries } from '../../src/registries/index.js';

const HOST: Host = { planRegistries, architecture: 'amd64', workDir: '/home/runner/work/_temp/build-push-1a2b3c4d', env: {} };
const TAGS = 'ghcr.io/acme/app:1.2.3\nghcr.io/acme/app:latest\ndocker.io/acme/app:1.2.3';
const REGISTRY_AUTH = ['- registry: ghcr.io', '  username: octocat', '  password: ghp_TOPSECRET', '- registry: quay.io', '  username: robot', '  password: quay-TOPSECRET'].join('\n');

const PULL_REQUEST_EVENTS = new Set<string>(['pull_request', 'pull_request_target', 'merge_group']);

describe('makePlan: push decision for each event fixture', () => {
  const table = (['auto', 'true', 'false'] as const).flatMap((mode) => EVENTS.map((event) => [mode, event] as const));

  it.each(table)('push: %s on %s', (mode, event) => {
    const inputs = inputsFrom({ tags: TAGS, push: mode });
    const context = fixtureContext(event);
    // On pull_request_target the checkout must be the base commit for credentials to be used.
    const plan = makePlan(inputs, context, { ...HOST, checkedOutSha: context.sha });
    const shouldPush = mode === 'true' || (mode === 'auto' && !PULL_REQUEST_EVENTS.has(event));
    expect(plan.push).toEqual(decidePush(mode, event, true));
    expect(plan.push.push).toBe(shouldPush);
    expect(plan.buildArgs.includes('--push')).toBe(shouldPush);
    expect(plan.registries.filter((registry) => registry.usedFor === 'push').map((registry) => registry.registry)).toEqual(shouldPush ? ['ghcr.io', 'docker.io'] : []);
  });
});

describe('makePlan: tags', () => {
  it.each(EVENTS)('push: true with no tags is an input error on %s', (event) => {
    const error = expectInputError(() => makePlan(inputsFrom({ push: 'true' }), fixtureContext(event), HOST), 'tags');
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('is empty, but push is true');
  });

  it.each([
    ['auto', 'push'],
    ['auto', 'release'],
    ['auto', 'pull_request'],
    ['false', 'push'],
  ] as const)('push: %s with no tags on %s builds without pushing', (mode, event) => {
    const plan = makePlan(inputsFrom({ push: mode }), fixtureContext(event), HOST);
    expect(plan.push.push).toBe(false);
    expect(plan.tags).toEqual([]);
    expect(plan.buildArgs).not.toContain('--push');
    expect(plan.buildArgs).not.toContain('--tag');
  });

  it('passes the tags as written, deduplicated', () => {
    const plan = makePlan(inputsFrom({ tags: `${TAGS}\nghcr.io/acme/app:latest` }), fixtureContext('push'), HOST);
    expect(plan.tags).toEqual(['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/app:latest', 'docker.io/acme/app:1.2.3']);
  });
});

describe('makePlan: the whole plan', () => {
  it('for a push to two registries from the push fixture', () => {
    const inputs = inputsFrom({ tags: TAGS, 'registry-auth': REGISTRY_AUTH, secrets: 'NPM_TOKEN=npm-TOPSECRET' });
    const plan = makePlan(inputs, fixtureContext('push'), HOST);
    expect(plan.push).toEqual({ push: true, reason: 'event push pushes (push: auto)' });
    expect(plan.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(plan.emulate).toEqual(['arm64']);
    expect(plan.registries).toEqual([
      { registry: 'ghcr.io', provider: 'registry-auth', usedFor: 'push' },
      { registry: 'docker.io', missing: 'the dockerhub-username and dockerhub-token inputs', usedFor: 'push' },
      { registry: 'quay.io', provider: 'registry-auth', usedFor: 'listed' },
    ]);
    expect(plan.workDir).toBe(HOST.workDir);
    expect(plan.files.metadataFile).toBe(`${HOST.workDir}/metadata.json`);
    expect(plan.files.iidFile).toBe(`${HOST.workDir}/iid.txt`);
    expect([...plan.files.secretFiles]).toEqual([['NPM_TOKEN', `${HOST.workDir}/secrets/0`]]);
    expect(plan.buildArgs).toEqual([
      'buildx',
      'build',
      '--platform',
      'linux/amd64,linux/arm64',
      '--tag',
      'ghcr.io/acme/app:1.2.3',
      '--tag',
      'ghcr.io/acme/app:latest',
      '--tag',
      'docker.io/acme/app:1.2.3',
      '--secret',
      `id=NPM_TOKEN,src=${HOST.workDir}/secrets/0`,
      '--push',
      '--metadata-file',
      `${HOST.workDir}/metadata.json`,
      '--iidfile',
      `${HOST.workDir}/iid.txt`,
      '.',
    ]);
  });

  it('for the pull_request fixture: builds, pushes nothing, logs in where it has credentials', () => {
    const inputs = inputsFrom({ tags: TAGS, 'registry-auth': REGISTRY_AUTH });
    const plan = makePlan(inputs, fixtureContext('pull_request'), HOST);
    expect(plan.push).toEqual({ push: false, reason: 'event pull_request does not push (push: auto)' });
    expect(plan.registries).toEqual([
      { registry: 'ghcr.io', provider: 'registry-auth', usedFor: 'tag' },
      { registry: 'docker.io', missing: 'the dockerhub-username and dockerhub-token inputs', usedFor: 'tag' },
      { registry: 'quay.io', provider: 'registry-auth', usedFor: 'listed' },
    ]);
    expect(plan.buildArgs).toContain('--tag');
    expect(plan.buildArgs).not.toContain('--push');
  });

  it('never has a --builder (only known after the builder phase)', () => {
    const plan = makePlan(inputsFrom({ tags: TAGS }), fixtureContext('push'), HOST);
    expect(plan.buildArgs).not.toContain('--builder');
    expect(plan.buildArgs.slice(0, 2)).toEqual(['buildx', 'build']);
  });

  it.each([
    ['amd64', 'linux/amd64,linux/arm64', ['arm64']],
    ['arm64', 'linux/amd64,linux/arm64', ['amd64']],
    ['amd64', 'linux/amd64,linux/386', []],
    ['amd64', 'linux/arm/v7,linux/arm/v6', ['arm']],
  ])('on a %s host, %s needs emulation for %j', (architecture, platforms, emulate) => {
    const plan = makePlan(inputsFrom({ platforms }), fixtureContext('push'), { ...HOST, architecture });
    expect(plan.emulate).toEqual(emulate);
  });

  it('holds no secret (it is printed and written to the plan output)', () => {
    const inputs = inputsFrom({ tags: TAGS, 'registry-auth': REGISTRY_AUTH, secrets: 'NPM_TOKEN=npm-TOPSECRET' });
    const plan = makePlan(inputs, fixtureContext('push'), HOST);
    const text = JSON.stringify({ ...plan, files: { ...plan.files, secretFiles: [...plan.files.secretFiles] } });
    expect(text).not.toContain('TOPSECRET');
    expect(text).not.toContain(Buffer.from('octocat:ghp_TOPSECRET').toString('base64'));
  });

  it('propagates input errors unchanged (they come from parseInputs, not the plan)', () => {
    const overrides: Partial<Record<InputName, string>> = { tags: 'ghcr.io/Acme/app' };
    expectInputError(() => makePlan(inputsFrom(overrides), fixtureContext('push'), HOST), 'tags');
  });
});

describe('buildArgsForBuilder: who pushes', () => {
  const plan = makePlan(inputsFrom({ tags: TAGS, 'registry-auth': REGISTRY_AUTH }), fixtureContext('push'), HOST);

  it('plans the same build loaded instead of pushed, differing only in --load for --push', () => {
    expect(plan.engineBuildArgs).toBeDefined();
    const engine = [...(plan.engineBuildArgs ?? [])];
    expect(engine).toContain('--load');
    expect(engine).not.toContain('--push');
    expect(engine.filter((arg) => arg !== '--load')).toEqual(plan.buildArgs.filter((arg) => arg !== '--push'));
  });

  it('lets the engine push for the docker driver on the containerd image store, when buildx would push twice, only', () => {
    expect(buildArgsForBuilder(plan, { driver: 'docker', containerdStore: true }, true)).toEqual({ args: plan.engineBuildArgs, pushFromEngine: true });
    // buildx 0.22 and later push once by themselves.
    expect(buildArgsForBuilder(plan, { driver: 'docker', containerdStore: true }, false)).toEqual({ args: plan.buildArgs, pushFromEngine: false });
    for (const builder of [
      { driver: 'docker', containerdStore: false },
      { driver: 'docker-container', containerdStore: true },
      { driver: 'docker-container', containerdStore: false },
    ]) {
      expect(buildArgsForBuilder(plan, builder, true), JSON.stringify(builder)).toEqual({ args: plan.buildArgs, pushFromEngine: false });
    }
  });

  it.each([
    ['a pull request (nothing pushed)', inputsFrom({ tags: TAGS }), 'pull_request'],
    ['push: false', inputsFrom({ tags: TAGS, push: 'false' }), 'push'],
    ['a gate (pushed from the engine already)', inputsFrom({ tags: TAGS, test: 'true' }), 'push'],
    ["the user's own outputs", inputsFrom({ tags: TAGS, outputs: 'type=image,push=true' }), 'push'],
    ['a merge run (nothing is built)', inputsFrom({ tags: TAGS, 'merge-digests': 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }), 'push'],
    ['push-by-digest', inputsFrom({ images: 'ghcr.io/acme/app', 'push-by-digest': 'true', platforms: 'linux/amd64' }), 'push'],
  ] as const)("keeps buildx's own output for %s", (_name, inputs, event) => {
    const made = makePlan(inputs, fixtureContext(event), HOST);
    expect(made.engineBuildArgs).toBeUndefined();
    expect(buildArgsForBuilder(made, { driver: 'docker', containerdStore: true }, true)).toEqual({ args: made.buildArgs, pushFromEngine: false });
  });
});

describe('buildArgsForBuilder: the gate on an engine without the containerd image store', () => {
  const gated = makePlan(inputsFrom({ tags: TAGS, 'registry-auth': REGISTRY_AUTH, test: 'true', platforms: 'linux/amd64,linux/arm64' }), fixtureContext('push'), HOST);

  it('plans one build of every platform into an OCI layout, neither loaded nor pushed', () => {
    const layout = gated.gateLayout;
    expect(layout?.dir).toBe(`${HOST.workDir}/gate-layout`);
    expect(layout?.buildArgs).toContain(`type=oci,dest=${HOST.workDir}/gate-layout,tar=false`);
    expect(layout?.buildArgs).not.toContain('--load');
    expect(layout?.buildArgs).not.toContain('--push');
    expect(layout?.buildArgs).toContain('linux/amd64,linux/arm64');
  });

  it.each([
    ['classic store, docker-container builder', { driver: 'docker-container', containerdStore: false }, true],
    ['classic store, any other builder', { driver: 'remote', containerdStore: false }, true],
    ['containerd store: the image is loaded whole', { driver: 'docker', containerdStore: true }, false],
  ] as const)('%s → layout route: %s', (_name, builder, layout) => {
    const route = buildArgsForBuilder(gated, builder, false);
    expect(route.gateLayout).toBe(layout ? gated.gateLayout?.dir : undefined);
    expect(route.args).toEqual(layout ? gated.gateLayout?.buildArgs : gated.buildArgs);
  });

  it('gates a single platform by loading it, on any store', () => {
    const single = makePlan(inputsFrom({ tags: TAGS, test: 'true', platforms: 'linux/amd64' }), fixtureContext('push'), HOST);
    expect(single.gateLayout).toBeUndefined();
    expect(buildArgsForBuilder(single, { driver: 'docker', containerdStore: false }, false)).toEqual({ args: single.buildArgs, pushFromEngine: false });
  });
});

describe('makePlan: sign', () => {
  it.each([
    ['public', { instance: 'public-good', fulcioURL: 'https://fulcio.sigstore.dev', rekorURL: 'https://rekor.sigstore.dev' }],
    ['private', { instance: 'github', fulcioURL: 'https://fulcio.githubapp.com', tsaURL: 'https://timestamp.githubapp.com' }],
  ])('a %s repository signs with the instance actions/attest would use', (visibility, signing) => {
    const context = fixtureContext('push');
    const plan = makePlan(inputsFrom({ tags: TAGS, sign: 'true' }), { ...context, payload: { ...context.payload, repository: { visibility } } }, HOST);
    expect(plan.signing).toEqual({ sign: true, attest: false, endpoints: signing });
  });

  it('attest alone plans the same instance', () => {
    const signing = makePlan(inputsFrom({ tags: TAGS, sign: 'true' }), fixtureContext('push'), HOST).signing;
    expect(makePlan(inputsFrom({ tags: TAGS, attest: 'true' }), fixtureContext('push'), HOST).signing).toEqual({ sign: false, attest: true, endpoints: signing?.endpoints });
  });

  it('is not planned unless asked for', () => {
    expect(makePlan(inputsFrom({ tags: TAGS }), fixtureContext('push'), HOST).signing).toBeUndefined();
  });
});
