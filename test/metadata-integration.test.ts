// metadata-action's rules inside the plan: images + tag rules in, full references,
// labels and annotations on the buildx command line and in the outputs.
import { describe, expect, it } from 'vitest';
import { makePlan } from '../src/plan/plan.js';
import { metadataVariables, outputsFor } from '../src/report/summary.js';
import { fixtureContext } from './support/context.js';
import { dryRunReport } from './support/report.js';
import { expectInputError, inputsFrom } from './support/inputs.js';
import { planRegistries } from '../src/registries/index.js';

const HOST = { planRegistries, architecture: 'amd64', workDir: '/t/build-push-1', env: {}, now: new Date('2026-11-26T10:00:00Z') };

describe('images + tag rules', () => {
  const inputs = inputsFrom({
    images: 'ghcr.io/acme/app\n123456789012.dkr.ecr.us-east-1.amazonaws.com/app',
    tags: 'type=ref,event=branch\ntype=sha',
    labels: 'org.opencontainers.image.vendor=Acme',
  });

  it('computes full references for every image and plans a push to both registries', () => {
    const plan = makePlan(inputs, fixtureContext('push'), HOST);
    expect(plan.tags).toEqual(expect.arrayContaining(['ghcr.io/acme/app:main', '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:main']));
    expect(plan.tags.some((tag) => /^ghcr\.io\/acme\/app:sha-[0-9a-f]{7}$/.test(tag))).toBe(true);
    expect(plan.references.map((reference) => reference.registry)).toContain('123456789012.dkr.ecr.us-east-1.amazonaws.com');
    expect(plan.registries.map((entry) => entry.registry)).toEqual(['ghcr.io', '123456789012.dkr.ecr.us-east-1.amazonaws.com']);
  });

  it('puts the generated labels (user lines win) and both annotation levels on the buildx command line', () => {
    const plan = makePlan(inputs, fixtureContext('push'), HOST);
    const args = plan.buildArgs.join('\n');
    expect(args).toContain('--label\norg.opencontainers.image.vendor=Acme');
    expect(args).toMatch(/--label\norg\.opencontainers\.image\.revision=[0-9a-f]{40}/);
    expect(args).toContain('--label\norg.opencontainers.image.created=2026-11-26T10:00:00.000Z');
    expect(args).toMatch(/--annotation\nmanifest:org\.opencontainers\.image\.revision=/);
    expect(args).toMatch(/--annotation\nindex:org\.opencontainers\.image\.revision=/);
  });

  it('writes metadata-action outputs with the separators', () => {
    const withSeparators = inputsFrom({ images: 'ghcr.io/acme/app', tags: 'type=raw,value=1.0\ntype=raw,value=stable', 'sep-tags': ',' });
    const plan = makePlan(withSeparators, fixtureContext('push'), HOST);
    const report = dryRunReport(plan, withSeparators.separators);
    const outputs = outputsFor(report);
    expect(outputs.tags).toBe('ghcr.io/acme/app:1.0,ghcr.io/acme/app:stable');
    expect(outputs.version).toBe('1.0');
    expect(JSON.parse(outputs.json).tags).toEqual(['ghcr.io/acme/app:1.0', 'ghcr.io/acme/app:stable']);
  });

  it('a pull request gets pr-N and does not push', () => {
    const plan = makePlan(inputsFrom({ images: 'ghcr.io/acme/app' }), fixtureContext('pull_request'), HOST);
    expect(plan.push.push).toBe(false);
    expect(plan.tags.some((tag) => /^ghcr\.io\/acme\/app:pr-\d+$/.test(tag))).toBe(true);
  });

  it('flavor without images is an error', () => {
    expectInputError(() => inputsFrom({ flavor: 'latest=false' }), 'flavor');
  });

  it('an invalid rule names the input', () => {
    expectInputError(() => inputsFrom({ images: 'ghcr.io/acme/app', tags: 'type=semvr,pattern={{version}}' }), 'tags');
  });
});

describe('tag rules without images (metadata-action outputs bare tags)', () => {
  it('computes bare tag names and the version, and pushes nothing', () => {
    const inputs = inputsFrom({ tags: 'type=ref,event=branch\ntype=raw,value=stable' });
    const plan = makePlan(inputs, fixtureContext('push'), HOST);
    expect(plan.references).toEqual([]);
    expect(plan.push.push).toBe(false);
    expect(plan.metadata?.tags).toEqual(['main', 'stable']);
    const report = dryRunReport(plan, inputs.separators);
    expect(outputsFor(report)).toMatchObject({ tags: 'main\nstable', 'tag-names': 'main\nstable', version: 'main' });
  });

  it('is an error about images when a push is asked for', () => {
    expectInputError(() => makePlan(inputsFrom({ tags: 'type=sha', push: 'true' }), fixtureContext('push'), HOST), 'images');
  });

  it('refuses an image reference among the rules', () => {
    expectInputError(() => inputsFrom({ tags: 'type=sha\nghcr.io/acme/app:1' }), 'tags');
  });

  it('keeps full image references as they were', () => {
    expect(inputsFrom({ tags: 'ghcr.io/acme/app:1' }).metadata).toBeUndefined();
  });
});

describe('DOCKER_METADATA_* in the step environment', () => {
  const inputs = inputsFrom({ images: 'ghcr.io/acme/app', tags: 'type=sha', annotations: 'a=b' });

  it('reads the short SHA length and the annotation levels', () => {
    const plan = makePlan(inputs, fixtureContext('push'), { ...HOST, env: { DOCKER_METADATA_SHORT_SHA_LENGTH: '12', DOCKER_METADATA_ANNOTATIONS_LEVELS: 'index' } });
    expect(plan.tags[0]).toMatch(/:sha-[0-9a-f]{12}$/);
    expect(plan.metadata?.annotations.every((annotation) => annotation.startsWith('index:'))).toBe(true);
  });

  it.each([
    [{ DOCKER_METADATA_SHORT_SHA_LENGTH: 'seven' }, 'DOCKER_METADATA_SHORT_SHA_LENGTH'],
    [{ DOCKER_METADATA_ANNOTATIONS_LEVELS: 'manifest,layer' }, '"layer" is not an annotation level'],
  ])('%j is refused with %s', (env, message) => {
    expect(() => makePlan(inputs, fixtureContext('push'), { ...HOST, env })).toThrow(message);
  });
});

describe('DOCKER_METADATA_OUTPUT_* variables for later steps', () => {
  const inputs = inputsFrom({ images: 'ghcr.io/acme/app', tags: 'type=raw,value=1.0' });
  const plan = makePlan(inputs, fixtureContext('push'), HOST);
  const report = dryRunReport(plan);

  it('are the metadata outputs, as metadata-action exports them by default', () => {
    const variables = metadataVariables(report, {});
    expect(Object.keys(variables).sort()).toEqual([
      'DOCKER_METADATA_OUTPUT_ANNOTATIONS',
      'DOCKER_METADATA_OUTPUT_JSON',
      'DOCKER_METADATA_OUTPUT_LABELS',
      'DOCKER_METADATA_OUTPUT_TAGS',
      'DOCKER_METADATA_OUTPUT_TAG_NAMES',
      'DOCKER_METADATA_OUTPUT_VERSION',
    ]);
    expect(variables.DOCKER_METADATA_OUTPUT_TAGS).toBe('ghcr.io/acme/app:1.0');
  });

  it.each([
    [{ DOCKER_METADATA_SET_OUTPUT_ENV: 'false' }, 0],
    [{ DOCKER_METADATA_SET_OUTPUT_ENV: 'true' }, 6],
  ])('%j gives %i', (env, count) => {
    expect(Object.keys(metadataVariables(report, env))).toHaveLength(count);
  });

  it('are none without images or rules', () => {
    const { tagging, ...withoutTagging } = report;
    expect(tagging).toBeDefined();
    expect(metadataVariables(withoutTagging, {})).toEqual({});
  });
});
