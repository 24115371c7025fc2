import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlan } from '../../src/plan/plan.js';
import { readMergeDigests } from '../../src/phases/push-by-digest.js';
import { mergeArgs, missingFromMerge, parseDigestList, splitOutputArgs, splitPlatform } from '../../src/plan/push-by-digest.js';
import { parsePlatforms } from '../../src/plan/inputs.js';
import { fixtureContext } from '../support/context.js';
import { expectInputError, inputsFrom } from '../support/inputs.js';
import { planRegistries } from '../../src/registries/index.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('splitPlatform', () => {
  it('takes the native platform among several, or the single one asked for', () => {
    expect(splitPlatform(parsePlatforms('linux/amd64,linux/arm64'), 'arm64').name).toBe('linux/arm64');
    expect(splitPlatform(parsePlatforms('linux/arm64'), 'amd64').name).toBe('linux/arm64');
  });

  it('fails when none of several is native', () => {
    expectInputError(() => splitPlatform(parsePlatforms('linux/arm64,linux/riscv64'), 'amd64'), 'platforms');
  });
});

describe('splitOutputArgs', () => {
  it('uses buildx push-by-digest where the driver has it, an OCI layout with the docker driver', () => {
    expect(splitOutputArgs('docker-container', ['ghcr.io/acme/app', 'quay.io/acme/app'], '/w/l')).toEqual([
      '--output',
      'type=image,"name=ghcr.io/acme/app,quay.io/acme/app",push-by-digest=true,name-canonical=true,push=true',
    ]);
    expect(splitOutputArgs('docker', ['ghcr.io/acme/app'], '/w/l')).toEqual(['--output', 'type=oci,dest=/w/l,tar=false']);
  });
});

describe('merge digests', () => {
  it('parses a list and rejects anything but sha256 digests', () => {
    expect(parseDigestList(`${A}\n${'b'.repeat(64)}`)).toEqual([A, B]);
    expectInputError(() => parseDigestList('sha256:xyz'), 'merge-digests');
  });

  it('reads a folder of digest files (the artifact download)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'digests-'));
    writeFileSync(path.join(dir, 'a'.repeat(64)), '');
    writeFileSync(path.join(dir, 'b'.repeat(64)), '');
    expect((await readMergeDigests(dir, '/')).sort()).toEqual([A, B]);
  });

  it('builds imagetools create with every tag of the repository, index annotations and the sources', () => {
    expect(mergeArgs('ghcr.io/acme/app', ['ghcr.io/acme/app:1', 'ghcr.io/acme/app:latest'], [A, B], ['manifest:x=1', 'index:x=1'])).toEqual([
      'buildx',
      'imagetools',
      'create',
      '--tag',
      'ghcr.io/acme/app:1',
      '--tag',
      'ghcr.io/acme/app:latest',
      '--annotation',
      'index:x=1',
      `ghcr.io/acme/app@${A}`,
      `ghcr.io/acme/app@${B}`,
    ]);
  });
});

describe('plans', () => {
  const host = { planRegistries, architecture: 'amd64', workDir: '/w/build-push-1', env: {} };

  it('push-by-digest builds one platform with no tags', () => {
    const plan = makePlan(inputsFrom({ images: 'ghcr.io/acme/app', 'push-by-digest': 'true' }), fixtureContext('push'), host);
    expect(plan.platforms).toEqual(['linux/amd64']);
    expect(plan.split).toEqual({ platform: 'linux/amd64', layoutDir: '/w/build-push-1/oci-layout', repositories: ['ghcr.io/acme/app'] });
    expect(plan.buildArgs).not.toContain('--tag');
    expect(plan.buildArgs).not.toContain('--push');
  });

  it('a merge run builds nothing and needs no emulation', () => {
    const plan = makePlan(inputsFrom({ images: 'ghcr.io/acme/app', 'merge-digests': A }), fixtureContext('push'), host);
    expect(plan.merge).toBe(A);
    expect(plan.emulate).toEqual([]);
  });

  it('push-by-digest and merge-digests together are an error', () => {
    expectInputError(() => makePlan(inputsFrom({ images: 'ghcr.io/acme/app', 'merge-digests': A, 'push-by-digest': 'true' }), fixtureContext('push'), host), 'merge-digests');
  });
});

describe('single-platform annotations', () => {
  it('drops index-level annotations, which buildx refuses for a single-platform export', () => {
    const host = { planRegistries, architecture: 'amd64', workDir: '/w/build-push-1', env: {} };
    const single = makePlan(inputsFrom({ images: 'ghcr.io/acme/app', platforms: 'linux/amd64' }), fixtureContext('push'), host);
    expect(single.buildArgs.some((arg) => arg.startsWith('index:'))).toBe(false);
    expect(single.buildArgs.some((arg) => arg.startsWith('manifest:'))).toBe(true);
    const multi = makePlan(inputsFrom({ images: 'ghcr.io/acme/app' }), fixtureContext('push'), host);
    expect(multi.buildArgs.some((arg) => arg.startsWith('index:'))).toBe(true);
  });
});

describe('missingFromMerge', () => {
  const index = (...digests: string[]) => JSON.stringify({ manifests: digests.map((digest) => ({ digest })) });
  const withAttestation = JSON.stringify({
    manifests: [{ digest: `sha256:${'1'.repeat(64)}` }, { digest: `sha256:${'2'.repeat(64)}`, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }],
  });

  it('is empty when every source image is listed (index sources by their platform manifests, manifests by their digest)', () => {
    const sources = new Map([
      [A, withAttestation],
      [B, '{"config":{}}'],
    ]);
    expect(missingFromMerge(index(`sha256:${'1'.repeat(64)}`, B), sources)).toEqual([]);
  });

  it('names what the merged index lacks', () => {
    expect(missingFromMerge(index(`sha256:${'1'.repeat(64)}`), new Map([[B, '{"config":{}}']]))).toEqual([B]);
  });
});
