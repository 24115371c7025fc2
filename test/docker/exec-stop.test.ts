import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBuildxVersion } from '../../src/phases/builder.js';
import { Docker, refuseNewChildren } from '../../src/docker/exec.js';
import { runBuild } from '../../src/phases/build.js';

// Its own file: refuseNewChildren() cannot be undone in this module instance.
describe('readBuildxVersion, runBuild options, and refuseNewChildren', () => {
  let dir: string;
  let calls: string;
  let plugin: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'exec-stop-'));
    calls = path.join(dir, 'calls');
    await mkdir(path.join(dir, 'cli-plugins'));
    plugin = path.join(dir, 'cli-plugins', 'docker-buildx');
    // A stand-in buildx: `version` answers like Debian's; `build` fails as a failed push does.
    await writeFile(
      plugin,
      `#!/bin/sh\necho "$@" >> ${calls}\n[ "$1" = version ] && { echo "github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3"; exit 0; }\necho "ERROR: failed to push r/app:1: unexpected status from PUT request to http://r/v2/app/manifests/1: 503 Service Unavailable" >&2; exit 1\n`,
    );
    await chmod(plugin, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const recorded = async (): Promise<string[]> => (await readFile(calls, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
  const files = () => ({ metadataFile: path.join(dir, 'metadata.json'), iidFile: path.join(dir, 'iid.txt'), secretFiles: new Map<string, string>() });
  const options = { pushRegistries: [], retry: { retries: 2, delayMs: 1, maxDelayMs: 1 }, log: () => undefined };

  it("reads the version of the buildx plugin in the user's docker config", async () => {
    expect(await readBuildxVersion(dir)).toEqual({ text: 'github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3', version: [0, 13, 1] });
  });

  it('retries a failed push by building again only when buildx pushes', async () => {
    const docker = new Docker(dir, 'docker', plugin);
    await expect(runBuild(docker, ['buildx', 'build', '.'], files(), { ...options, pushes: false })).rejects.toThrow('docker buildx build failed');
    expect((await recorded()).filter((line) => line.startsWith('build'))).toHaveLength(1);
    await expect(runBuild(docker, ['buildx', 'build', '.'], files(), { ...options, pushes: true })).rejects.toThrow('docker buildx build failed');
    expect((await recorded()).filter((line) => line.startsWith('build'))).toHaveLength(1 + 3);
  });

  it('starts no build once the step is stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    const docker = new Docker(dir, 'docker', plugin);
    const before = (await recorded()).length;
    await expect(runBuild(docker, ['buildx', 'build', '.'], files(), { ...options, pushes: true, stop: stop.signal })).rejects.toThrow('the step was stopped; the build was stopped with it');
    expect(await recorded()).toHaveLength(before);
  });

  it('after refuseNewChildren, starts only clean-up commands', async () => {
    const docker = new Docker(dir, 'docker', plugin);
    refuseNewChildren();
    const before = (await recorded()).length;
    const refused = await docker.run(['buildx', 'version']);
    expect(refused).toEqual({ exitCode: 130, stdout: '', stderr: 'the step was stopped: docker buildx was not started' });
    expect(await recorded()).toHaveLength(before);
    const cleanUp = await docker.run(['buildx', 'version'], { cleanUp: true });
    expect(cleanUp.exitCode).toBe(0);
    expect(await recorded()).toHaveLength(before + 1);
  });
});
