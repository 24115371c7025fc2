import { describe, expect, it } from 'vitest';
import { buildFiles, buildxBuildArgs } from '../../src/plan/buildx-args.js';
import { inputsFrom } from '../support/inputs.js';

const WORK = '/home/runner/work/_temp/build-push-1a2b3c4d';
const TAIL = ['--metadata-file', `${WORK}/metadata.json`, '--iidfile', `${WORK}/iid.txt`];

describe('buildFiles', () => {
  it('puts the metadata and iid files in the work dir', () => {
    const files = buildFiles(WORK, { secrets: [] });
    expect(files.metadataFile).toBe(`${WORK}/metadata.json`);
    expect(files.iidFile).toBe(`${WORK}/iid.txt`);
    expect([...files.secretFiles]).toEqual([]);
  });

  it('gives each secret its own file named by position, not by id or value', () => {
    const files = buildFiles(WORK, {
      secrets: [
        { id: 'NPM_TOKEN', value: 'npm-secret' },
        { id: '../escape', value: 'x' },
      ],
    });
    expect([...files.secretFiles]).toEqual([
      ['NPM_TOKEN', `${WORK}/secrets/0`],
      ['../escape', `${WORK}/secrets/1`],
    ]);
  });
});

describe('buildxBuildArgs', () => {
  it('with the defaults and no push: platforms, metadata files and the context', () => {
    const inputs = inputsFrom();
    expect(buildxBuildArgs(inputs, false, buildFiles(WORK, inputs))).toEqual(['buildx', 'build', '--platform', 'linux/amd64,linux/arm64', ...TAIL, '.']);
  });

  it('with tags and push: --tag per tag and --push', () => {
    const inputs = inputsFrom({ tags: 'ghcr.io/acme/app:1.2.3,ghcr.io/acme/app:latest', platforms: 'linux/amd64' });
    expect(buildxBuildArgs(inputs, true, buildFiles(WORK, inputs))).toEqual([
      'buildx',
      'build',
      '--platform',
      'linux/amd64',
      '--tag',
      'ghcr.io/acme/app:1.2.3',
      '--tag',
      'ghcr.io/acme/app:latest',
      '--push',
      ...TAIL,
      '.',
    ]);
  });

  it('with the same tags and no push: no --push', () => {
    const inputs = inputsFrom({ tags: 'ghcr.io/acme/app:1.2.3', push: 'true' });
    const args = buildxBuildArgs(inputs, false, buildFiles(WORK, inputs));
    expect(args).not.toContain('--push');
    expect(args).toContain('ghcr.io/acme/app:1.2.3');
  });

  it('with every input set, and a builder', () => {
    const inputs = inputsFrom({
      tags: 'ghcr.io/acme/app:1.2.3\ndocker.io/acme/app:1.2.3',
      context: './app',
      file: './app/Dockerfile.prod',
      platforms: 'linux/amd64,linux/arm/v7',
      'build-args': 'NODE_VERSION=20\nAPP_ENV=prod',
      target: 'runtime',
      labels: 'org.opencontainers.image.vendor=Acme',
      secrets: 'NPM_TOKEN=npm-TOPSECRET\nPIP_TOKEN=pip-TOPSECRET',
      'no-cache': 'true',
      pull: 'true',
      load: 'true',
      provenance: 'mode=max',
      sbom: 'false',
      'cache-from': 'type=gha\ntype=registry,ref=ghcr.io/acme/app:cache',
      'cache-to': 'type=gha,mode=max',
      outputs: 'type=local,dest=out',
    });
    expect(buildxBuildArgs(inputs, true, buildFiles(WORK, inputs), 'build-push-9f8e7d6c')).toEqual([
      'buildx',
      'build',
      '--builder',
      'build-push-9f8e7d6c',
      '--platform',
      'linux/amd64,linux/arm/v7',
      '--file',
      './app/Dockerfile.prod',
      '--target',
      'runtime',
      '--build-arg',
      'NODE_VERSION=20',
      '--build-arg',
      'APP_ENV=prod',
      '--label',
      'org.opencontainers.image.vendor=Acme',
      '--tag',
      'ghcr.io/acme/app:1.2.3',
      '--tag',
      'docker.io/acme/app:1.2.3',
      '--secret',
      `id=NPM_TOKEN,src=${WORK}/secrets/0`,
      '--secret',
      `id=PIP_TOKEN,src=${WORK}/secrets/1`,
      '--cache-from',
      'type=gha',
      '--cache-from',
      'type=registry,ref=ghcr.io/acme/app:cache',
      '--cache-to',
      'type=gha,mode=max',
      '--output',
      'type=local,dest=out',
      '--provenance=mode=max',
      '--sbom=false',
      '--no-cache',
      '--pull',
      '--load',
      '--push',
      ...TAIL,
      './app',
    ]);
  });

  it('passes secrets as id=...,src=<file> and never puts a value in argv', () => {
    const inputs = inputsFrom({ secrets: 'NPM_TOKEN=npm-TOPSECRET\nGH=gh-TOPSECRET' });
    const args = buildxBuildArgs(inputs, true, buildFiles(WORK, inputs));
    const secretArgs = args.filter((_, index) => args[index - 1] === '--secret');
    expect(secretArgs).toEqual([`id=NPM_TOKEN,src=${WORK}/secrets/0`, `id=GH,src=${WORK}/secrets/1`]);
    expect(args.join(' ')).not.toContain('TOPSECRET');
  });

  it.each([
    ['no builder', undefined],
    ['an empty builder name', ''],
  ])('passes no --builder with %s', (_, builder) => {
    const inputs = inputsFrom();
    expect(buildxBuildArgs(inputs, false, buildFiles(WORK, inputs), builder)).not.toContain('--builder');
  });

  it('puts --builder right after "buildx build" when given', () => {
    const inputs = inputsFrom();
    expect(buildxBuildArgs(inputs, false, buildFiles(WORK, inputs), 'mybuilder').slice(0, 4)).toEqual(['buildx', 'build', '--builder', 'mybuilder']);
  });

  it.each([
    [{}, '.'],
    [{ context: 'app' }, 'app'],
    [{ context: 'https://github.com/acme/app.git#main', tags: 'a/b:1', load: 'true' }, 'https://github.com/acme/app.git#main'],
  ])('always puts the context last (%j)', (overrides, context) => {
    const inputs = inputsFrom(overrides);
    for (const push of [true, false]) {
      const args = buildxBuildArgs(inputs, push, buildFiles(WORK, inputs), 'b');
      expect(args.at(-1)).toBe(context);
      expect(args.indexOf(context)).toBe(args.length - 1);
    }
  });

  it('leaves out --provenance and --sbom when they are empty, so buildx defaults apply', () => {
    const inputs = inputsFrom();
    const args = buildxBuildArgs(inputs, true, buildFiles(WORK, inputs));
    expect(args.some((arg) => arg.startsWith('--provenance') || arg.startsWith('--sbom'))).toBe(false);
    expect(args).not.toContain('--no-cache');
    expect(args).not.toContain('--pull');
    expect(args).not.toContain('--load');
  });

  it('keeps every flag value in its own argv element (no shell quoting needed)', () => {
    const inputs = inputsFrom({ labels: 'description=Acme app; rm -rf / $(id)', 'build-args': 'MSG=hello world' });
    const args = buildxBuildArgs(inputs, false, buildFiles(WORK, inputs));
    expect(args).toContain('description=Acme app; rm -rf / $(id)');
    expect(args).toContain('MSG=hello world');
  });
});
