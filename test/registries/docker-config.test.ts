import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPrivateDockerConfig, seedConfig, userDockerConfigDir } from '../../src/registries/docker-config.js';

const USER_CONFIG = {
  auths: {
    'ghcr.io': { auth: Buffer.from('someone:earlier-login').toString('base64') },
    'https://index.docker.io/v1/': {},
  },
  credsStore: 'desktop',
  credHelpers: {
    'ghcr.io': 'gh',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login',
  },
  currentContext: 'default',
  plugins: { buildx: { default: 'default' } },
};

describe('userDockerConfigDir', () => {
  it.each([
    [{ DOCKER_CONFIG: '/etc/docker-cfg', HOME: '/home/runner' }, '/etc/docker-cfg'],
    [{ DOCKER_CONFIG: '', HOME: '/home/runner' }, '/home/runner/.docker'],
    [{ HOME: '/home/runner' }, '/home/runner/.docker'],
    [{}, path.join(os.homedir(), '.docker')],
  ])('%j → %s', (env, dir) => {
    expect(userDockerConfigDir(env)).toBe(dir);
  });
});

describe('seedConfig', () => {
  it('drops credsStore with a warning when we log in somewhere', () => {
    const { config, warnings } = seedConfig(USER_CONFIG, ['ghcr.io']);
    expect('credsStore' in config).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the docker credential store "desktop" is not used inside this step');
  });

  it('keeps credsStore, without a warning, when we log in nowhere', () => {
    const { config, warnings } = seedConfig(USER_CONFIG, []);
    expect(config.credsStore).toBe('desktop');
    expect(warnings).toEqual([]);
  });

  it('does not warn about an empty credsStore', () => {
    expect(seedConfig({ credsStore: '' }, ['ghcr.io']).warnings).toEqual([]);
  });

  it('drops the credential helpers of our registries and keeps the others', () => {
    const { config } = seedConfig(USER_CONFIG, ['ghcr.io', 'quay.io']);
    expect(config.credHelpers).toEqual({ '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login' });
  });

  it('keeps auths and every other setting as they were', () => {
    const { config } = seedConfig(USER_CONFIG, ['ghcr.io']);
    expect(config.auths).toEqual(USER_CONFIG.auths);
    expect(config.currentContext).toBe('default');
    expect(config.plugins).toEqual(USER_CONFIG.plugins);
  });

  it('does not change the config it is given', () => {
    const copy = structuredClone(USER_CONFIG);
    seedConfig(copy, ['ghcr.io']);
    expect(copy).toEqual(USER_CONFIG);
  });

  it('gives {} for {}', () => {
    expect(seedConfig({}, ['ghcr.io'])).toEqual({ config: {}, warnings: [] });
  });

  // BUG (src/registries/docker-config.ts:25): helpers are deleted by our normalized name
  // (docker.io), but the docker CLI looks Docker Hub's helper up under its index server
  // address https://index.docker.io/v1/, so that helper would still receive our password.
  it('drops a Docker Hub credential helper keyed by the index server address', () => {
    const { config } = seedConfig({ credHelpers: { 'https://index.docker.io/v1/': 'pass', 'quay.io': 'q' } }, ['docker.io']);
    expect(config.credHelpers).toEqual({ 'quay.io': 'q' });
  });
});

describe('createPrivateDockerConfig', () => {
  let root: string;
  let userDir: string;
  let parent: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'docker-config-'));
    userDir = path.join(root, 'user', '.docker');
    parent = path.join(root, 'work');
    await mkdir(path.join(userDir, 'cli-plugins'), { recursive: true });
    await writeFile(path.join(userDir, 'cli-plugins', 'docker-buildx'), '#!/bin/sh\necho buildx\n', { mode: 0o755 });
    await mkdir(path.join(userDir, 'buildx', 'instances'), { recursive: true });
    await writeFile(path.join(userDir, 'buildx', 'current'), '{"Key":"unix:///var/run/docker.sock","Name":"multiarch","Global":false}');
    await mkdir(path.join(userDir, 'contexts'));
    await writeFile(path.join(userDir, 'features.json'), '{"hooks":"true"}\n');
    await mkdir(path.join(root, 'elsewhere'));
    await symlink(path.join(root, 'elsewhere'), path.join(userDir, 'linked'));
    await writeFile(path.join(userDir, 'config.json'), JSON.stringify(USER_CONFIG, null, 2));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates <parent>/docker-config with a seeded copy of config.json', async () => {
    const { dir, warnings } = await createPrivateDockerConfig(parent, { DOCKER_CONFIG: userDir }, ['ghcr.io']);
    expect(dir).toBe(path.join(parent, 'docker-config'));
    const configStat = await lstat(path.join(dir, 'config.json'));
    expect(configStat.isFile()).toBe(true);
    expect(configStat.mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const written = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(written).toEqual(seedConfig(USER_CONFIG, ['ghcr.io']).config);
    expect('credsStore' in written).toBe(false);
    expect(warnings).toEqual(seedConfig(USER_CONFIG, ['ghcr.io']).warnings);
    expect(warnings[0]).toContain('"desktop"');
  });

  it('leaves the user config.json untouched', async () => {
    const before = await readFile(path.join(userDir, 'config.json'), 'utf8');
    const { dir } = await createPrivateDockerConfig(parent, { DOCKER_CONFIG: userDir }, ['ghcr.io']);
    await writeFile(path.join(dir, 'config.json'), '{"auths":{"ghcr.io":{"auth":"bmV3"}}}');
    expect(await readFile(path.join(userDir, 'config.json'), 'utf8')).toBe(before);
  });

  it('links cli-plugins, buildx, contexts and other links, and copies other files', async () => {
    const { dir } = await createPrivateDockerConfig(parent, { DOCKER_CONFIG: userDir }, []);
    for (const entry of ['cli-plugins', 'buildx', 'contexts', 'linked']) {
      expect((await lstat(path.join(dir, entry))).isSymbolicLink(), entry).toBe(true);
      expect(await readlink(path.join(dir, entry)), entry).toBe(path.join(userDir, entry));
    }
    expect(await readFile(path.join(dir, 'cli-plugins', 'docker-buildx'), 'utf8')).toContain('echo buildx');
    expect(await readFile(path.join(dir, 'buildx', 'current'), 'utf8')).toContain('"Name":"multiarch"');
    const features = await lstat(path.join(dir, 'features.json'));
    expect(features.isFile()).toBe(true);
    expect(await readFile(path.join(dir, 'features.json'), 'utf8')).toBe('{"hooks":"true"}\n');
  });

  it('keeps credsStore, without warnings, when it logs in nowhere', async () => {
    const { dir, warnings } = await createPrivateDockerConfig(parent, { DOCKER_CONFIG: userDir }, []);
    expect(warnings).toEqual([]);
    expect((JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { credsStore?: string }).credsStore).toBe('desktop');
  });

  it('finds the user folder through HOME when DOCKER_CONFIG is not set', async () => {
    const { dir } = await createPrivateDockerConfig(parent, { HOME: path.join(root, 'user') }, ['ghcr.io']);
    expect((await lstat(path.join(dir, 'cli-plugins'))).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'))).toHaveProperty('auths');
  });

  it('starts from an empty config when the user has no docker folder', async () => {
    const { dir, warnings } = await createPrivateDockerConfig(parent, { DOCKER_CONFIG: path.join(root, 'nothing-here') }, ['ghcr.io']);
    expect(await readFile(path.join(dir, 'config.json'), 'utf8')).toBe('{}\n');
    expect(warnings).toEqual([]);
  });

  it.each(['not json', 'null', '"a string"'])('starts from an empty config when config.json is %s', async (content) => {
    await writeFile(path.join(userDir, 'config.json'), content);
    const { dir } = await createPrivateDockerConfig(parent, { DOCKER_CONFIG: userDir }, ['ghcr.io']);
    expect(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'))).toEqual({});
  });
});
