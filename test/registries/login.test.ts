import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetCredentials } from '../../src/registries/docker-config.js';

describe('forgetCredentials', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'forget-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const auth = (text: string): { auth: string } => ({ auth: Buffer.from(text).toString('base64') });

  it('removes the entries of the given registries, under any spelling docker uses, and keeps the rest', async () => {
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'ghcr.io': auth('octocat:ghp_TOPSECRET'),
          'https://index.docker.io/v1/': auth('bot:dckr_TOPSECRET'),
          'quay.io': auth('someone:kept'),
        },
        currentContext: 'default',
      }),
    );
    const forgotten = await forgetCredentials(dir, ['ghcr.io', 'docker.io']);
    expect(forgotten.sort()).toEqual(['docker.io', 'ghcr.io']);
    const text = await readFile(path.join(dir, 'config.json'), 'utf8');
    expect(text).not.toContain(Buffer.from('octocat:ghp_TOPSECRET').toString('base64'));
    expect(text).not.toContain(Buffer.from('bot:dckr_TOPSECRET').toString('base64'));
    expect(JSON.parse(text)).toEqual({ auths: { 'quay.io': auth('someone:kept') }, currentContext: 'default' });
  });

  it('forgets nothing when the config has no auths', async () => {
    await writeFile(path.join(dir, 'config.json'), '{}');
    expect(await forgetCredentials(dir, ['ghcr.io'])).toEqual([]);
    expect(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'))).toEqual({});
  });

  it('leaves config.json private (0600)', async () => {
    await writeFile(path.join(dir, 'config.json'), '{"auths":{}}', { mode: 0o600 });
    await forgetCredentials(dir, []);
    expect((await stat(path.join(dir, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it('fails when there is no config.json', async () => {
    await expect(forgetCredentials(dir, ['ghcr.io'])).rejects.toThrow();
  });
});
