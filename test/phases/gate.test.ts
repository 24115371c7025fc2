import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { gatedImageMatches, gateImages, layoutImageName, substitute } from '../../src/phases/gate.js';
import { splitCommand, type GatePlan } from '../../src/plan/gate.js';
import { makePlan, planGate } from '../../src/plan/plan.js';
import { fixtureContext } from '../support/context.js';
import { expectInputError, inputsFrom } from '../support/inputs.js';
import { planRegistries } from '../../src/registries/index.js';

describe('splitCommand', () => {
  it.each<[string, string[]]>([
    ['npm test', ['npm', 'test']],
    ['  /app/healthcheck   --selftest ', ['/app/healthcheck', '--selftest']],
    [`sh -c "echo hi; exit 4"`, ['sh', '-c', 'echo hi; exit 4']],
    [`echo 'a  b' "c \\"d\\"" e\\ f`, ['echo', 'a  b', 'c "d"', 'e f']],
    ['echo $(rm -rf /) `id` ; | &&', ['echo', '$(rm', '-rf', '/)', '`id`', ';', '|', '&&']],
    [`''`, ['']],
    ['', []],
  ])('%s', (text, argv) => {
    expect(splitCommand('test', text)).toEqual(argv);
  });

  it('rejects an unclosed quote, naming the input', () => {
    expect(() => splitCommand('scan', 'trivy "image')).toThrow(InputError);
    expect(() => splitCommand('scan', 'trivy "image')).toThrow(/input "scan": the command has an unclosed " quote/);
  });
});

describe('substitute', () => {
  it('replaces placeholders inside arguments and never re-splits', () => {
    expect(substitute(['scan', '--input={oci}', '{image}'], { image: 'r/app:1 ; id', oci: '/t/a.tar' })).toEqual(['scan', '--input=/t/a.tar', 'r/app:1 ; id']);
  });
});

describe('gate inputs and plan', () => {
  it('a scan must name the image', () => {
    const error = expectInputError(() => inputsFrom({ scan: 'trivy image' }), 'scan');
    expect(error.message).toContain('{image}');
  });

  it('test-platforms must be built', () => {
    const inputs = inputsFrom({ tags: 'r.example/app:1', test: 'true', platforms: 'linux/amd64', 'test-platforms': 'linux/arm64' });
    expect(() => planGate(inputs, 'amd64', '/t/build-push-1')).toThrow(/input "test-platforms": linux\/arm64 is not among the platforms built/);
  });

  it('loads instead of pushing, tests the native platform first', () => {
    const inputs = inputsFrom({ tags: 'r.example/app:1', test: 'npm test', 'test-platforms': 'linux/arm64' });
    const plan = makePlan(inputs, fixtureContext('push'), { planRegistries, architecture: 'amd64', workDir: '/t/build-push-1', env: {} });
    expect(plan.gate).toEqual({ test: ['npm', 'test'], testPlatforms: ['linux/amd64', 'linux/arm64'], localName: 'build-push-gate:build-push-1' });
    expect(plan.buildArgs).toContain('--load');
    expect(plan.buildArgs).not.toContain('--push');
    expect(plan.push.push).toBe(true);
  });

  it('tags a gated image without tags with a local name', () => {
    const plan = makePlan(inputsFrom({ scan: 'scan {image}' }), fixtureContext('pull_request'), { planRegistries, architecture: 'amd64', workDir: '/t/build-push-2', env: {} });
    expect(plan.buildArgs.join(' ')).toContain('--tag build-push-gate:build-push-2');
  });
});

describe('gatedImageMatches', () => {
  const config = `sha256:${'c'.repeat(64)}`;
  const manifest = JSON.stringify({ mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: config }, layers: [] });

  it('containerd store: the pushed digest is the loaded image ID', () => {
    expect(gatedImageMatches(`sha256:${'a'.repeat(64)}`, '{}', `sha256:${'a'.repeat(64)}`)).toBe(true);
  });

  it('classic store: the pushed manifest references the loaded image config', () => {
    expect(gatedImageMatches(`sha256:${'b'.repeat(64)}`, manifest, config)).toBe(true);
  });

  it('anything else is not the gated image', () => {
    expect(gatedImageMatches(`sha256:${'b'.repeat(64)}`, manifest, `sha256:${'d'.repeat(64)}`)).toBe(false);
    expect(gatedImageMatches(`sha256:${'b'.repeat(64)}`, 'not json', config)).toBe(false);
  });
});

describe('images the gate loads (removed by clean-up)', () => {
  const gate: GatePlan = { test: ['true'], testPlatforms: ['linux/amd64', 'linux/arm64'], localName: 'build-push-gate:build-push-1a2b3c4d' };

  it('names one local image per platform of a layout', () => {
    expect(layoutImageName('build-push-gate:build-push-1a2b3c4d', 'linux/arm/v7')).toBe('build-push-gate:build-push-1a2b3c4d-linux-arm-v7');
  });

  it.each([
    ['the engine holds the image: that one', { kind: 'engine', image: 'r/app:1' } as const, ['r/app:1']],
    [
      'a layout: each tested platform',
      { kind: 'layout', dir: '/l', localName: gate.localName, nativePlatform: 'linux/amd64' } as const,
      [`${gate.localName}-linux-amd64`, `${gate.localName}-linux-arm64`],
    ],
    ['a layout with a scan only: the native platform ({image})', { kind: 'layout', dir: '/l', localName: gate.localName, nativePlatform: 'linux/arm64' } as const, [`${gate.localName}-linux-arm64`]],
  ])('%s', (name, source, expected) => {
    const plan = name.includes('scan only') ? { ...gate, test: undefined, testPlatforms: [] } : gate;
    expect(gateImages(plan as GatePlan, source)).toEqual(expected);
  });
});
