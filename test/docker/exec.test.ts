import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Docker, dockerIsScript, findBuildxPlugin, pluginDirs, settleChildren, stopChildren } from '../../src/docker/exec.js';

describe('pluginDirs', () => {
  it('lists config.json extra folders first, then the config folder, then the system folders', () => {
    expect(pluginDirs('/cfg', '{"cliPluginsExtraDirs":["/opt/plugins","",3]}')).toEqual([
      '/opt/plugins',
      '/cfg/cli-plugins',
      '/usr/local/lib/docker/cli-plugins',
      '/usr/local/libexec/docker/cli-plugins',
      '/usr/lib/docker/cli-plugins',
      '/usr/libexec/docker/cli-plugins',
    ]);
    expect(pluginDirs('/cfg', 'broken')[0]).toBe('/cfg/cli-plugins');
    expect(pluginDirs('/cfg', undefined)[0]).toBe('/cfg/cli-plugins');
  });
});

describe('findBuildxPlugin and Docker', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'plugins-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const plugin = async (folder: string, script: string): Promise<string> => {
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, 'docker-buildx');
    await writeFile(file, script);
    await chmod(file, 0o755);
    return file;
  };

  it("takes the first executable docker-buildx in docker's order and runs buildx commands with it directly", async () => {
    const config = path.join(dir, 'config');
    await mkdir(config);
    const extra = path.join(dir, 'extra');
    await writeFile(path.join(config, 'config.json'), JSON.stringify({ cliPluginsExtraDirs: [extra] }));
    await plugin(path.join(config, 'cli-plugins'), '#!/bin/sh\necho "config $@"\n');
    // Not executable: docker would skip it too.
    await mkdir(extra);
    await writeFile(path.join(extra, 'docker-buildx'), '#!/bin/sh\necho extra\n');
    const found = await findBuildxPlugin(config);
    expect(found).toBe(path.join(config, 'cli-plugins', 'docker-buildx'));

    const docker = new Docker(config, 'docker', found);
    const result = await docker.run(['buildx', 'build', '--tag', 'x', '.']);
    expect(result.stdout).toBe('config build --tag x .\n');
  });

  it('runs other commands with the docker CLI', async () => {
    const fakeDocker = await plugin(path.join(dir, 'bin'), '#!/bin/sh\necho "docker $@"\n');
    const docker = new Docker(dir, fakeDocker, '/nonexistent/docker-buildx');
    expect((await docker.run(['login', 'r', '--password-stdin'])).stdout).toBe('docker login r --password-stdin\n');
    await expect(docker.run(['buildx', 'version'])).rejects.toThrow('"/nonexistent/docker-buildx" was not found');
  });

  it('stopChildren interrupts every running child and waits for it to end', async () => {
    // Traps SIGINT like buildx does (it cancels the build, then exits).
    const slow = await plugin(path.join(dir, 'slow'), "#!/bin/sh\ntrap 'echo interrupted; exit 130' INT\nwhile true; do sleep 0.05; done\n");
    const docker = new Docker(dir, slow);
    const started = Date.now();
    const runs = [docker.run(['buildx', 'build']), docker.run(['push', 'r/app:1'], { live: true })];
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stopChildren('SIGINT', 5_000);
    const results = await Promise.all(runs);
    expect(results.map((result) => [result.exitCode, result.stdout])).toEqual([
      [130, 'interrupted\n'],
      [130, 'interrupted\n'],
    ]);
    expect(Date.now() - started).toBeLessThan(3_000);
    // Nothing left to stop: returns at once.
    const again = Date.now();
    await stopChildren('SIGINT', 5_000);
    expect(Date.now() - again).toBeLessThan(100);
  });

  it('settleChildren lets a short child finish and interrupts one that outlasts the grace time', async () => {
    const quick = await plugin(path.join(dir, 'quick'), '#!/bin/sh\nsleep 0.2\necho finished\n');
    const slow = await plugin(path.join(dir, 'slow'), "#!/bin/sh\ntrap 'echo interrupted; exit 130' INT\nwhile true; do sleep 0.05; done\n");
    const finishing = new Docker(dir, quick).run(['info']);
    await settleChildren(2_000);
    expect(await finishing).toMatchObject({ exitCode: 0, stdout: 'finished\n' });

    const started = Date.now();
    const lingering = new Docker(dir, slow).run(['buildx', 'inspect']);
    await settleChildren(300);
    expect(await lingering).toMatchObject({ exitCode: 130, stdout: 'interrupted\n' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stopChildren waits for a short query run by @actions/exec, which it cannot interrupt', async () => {
    const quick = await plugin(path.join(dir, 'quick'), "#!/bin/sh\ntrap 'echo interrupted; exit 130' INT\nsleep 0.3\necho finished\n");
    const query = new Docker(dir, quick).run(['info']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stopChildren('SIGINT', 5_000);
    expect(await query).toMatchObject({ exitCode: 0, stdout: 'finished\n' });
  });

  it('stopChildren kills a child that ignores the signal once the grace time is up', async () => {
    const stubborn = await plugin(path.join(dir, 'stubborn'), "#!/bin/sh\ntrap '' INT\nwhile true; do sleep 0.05; done\n");
    const started = Date.now();
    const running = new Docker(dir, stubborn).run(['buildx', 'build']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stopChildren('SIGINT', 300);
    expect((await running).exitCode).toBe(128); // ended by a signal (SIGKILL)
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('dockerIsScript tells a wrapper script (podman-docker, sudo) from the docker binary, and finds the plugin only for the binary', async () => {
    const scripts = path.join(dir, 'scripts');
    await mkdir(scripts);
    await writeFile(path.join(scripts, 'docker'), '#!/bin/sh\nexec podman "$@"\n');
    await chmod(path.join(scripts, 'docker'), 0o755);
    const binaries = path.join(dir, 'binaries');
    await mkdir(binaries);
    await symlink(process.execPath, path.join(binaries, 'docker'));
    expect(await dockerIsScript({ PATH: `${scripts}:${binaries}` })).toBe(true);
    expect(await dockerIsScript({ PATH: `${binaries}:${scripts}` })).toBe(false);
    expect(await dockerIsScript({ PATH: path.join(dir, 'nowhere') })).toBe(false);

    const config = path.join(dir, 'config');
    await plugin(path.join(config, 'cli-plugins'), '#!/bin/sh\n');
    expect(await findBuildxPlugin(config, { PATH: `${scripts}:${binaries}` })).toBeUndefined();
    expect(await findBuildxPlugin(config, { PATH: binaries })).toBe(path.join(config, 'cli-plugins', 'docker-buildx'));
  });
});
