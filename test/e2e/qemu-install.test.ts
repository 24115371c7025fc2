// A fresh hosted runner has no QEMU: the host's arm64 emulator is removed before each step
// (as on ubuntu-latest), and the step installs it with the qemu-image, the tonistiigi/binfmt
// stand-in built from its source (../shared/images). The host's own entry is put back after
// every test, whatever happens. The e2e project runs files one at a time, so no other test
// needing emulation runs meanwhile.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helpers shared with the demo and benchmark scripts
import { docker, indexPlatforms, loadEngineEnv, registryManifest, runnerHome, testDockerConfig } from './engine.mjs';
// @ts-expect-error plain ESM helpers shared with the demo and benchmark scripts
import { runAction } from './runner.mjs';

interface Run {
  main: { exitCode: number; stdout: string; log: string };
  outputs: Record<string, string>;
}

const ENTRY = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
const QEMU_IMAGE: string | undefined = process.env.E2E_QEMU_IMAGE || undefined;
const skipped = QEMU_IMAGE ? '' : ' (skipped: no tonistiigi/binfmt stand-in was loaded; ../shared/images is absent)';

let engine: { registry: string; username: string; password: string; baseImage: string };
let home: string;
let hostEntry: string;

/** The host's qemu-aarch64 entry, or '' when there is none. */
const readEntry = (): string => (existsSync(ENTRY) ? readFileSync(ENTRY, 'utf8') : '');

/** What a fresh hosted runner has: no arm64 emulator registered. */
function removeEmulator(): void {
  if (existsSync(ENTRY)) writeFileSync(ENTRY, '-1');
}

/** Puts the host's own emulator (Debian's qemu-user-static) back, replacing one the step installed. */
function restoreEmulator(): void {
  if (readEntry() === hostEntry) return;
  removeEmulator();
  execFileSync('update-binfmts', ['--enable', 'qemu-aarch64']);
}

function inputs(repository: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    tags: `${engine.registry}/${repository}:1`,
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    ...extra,
  };
}


/**
 * An engine that refuses privileged containers, as locked-down self-hosted engines do: a
 * Docker authorization plugin (the plugin protocol on a unix socket in /run/docker/plugins)
 * that denies any container create with HostConfig.Privileged, switched on in the running
 * daemon's config and reloaded with SIGHUP (authorization-plugins is a reloadable option).
 */
async function withPrivilegedRefused<T>(work: () => Promise<T>): Promise<T> {
  const name = 'build-push-e2e-no-privileged';
  const socket = `/run/docker/plugins/${name}.sock`;
  mkdirSync('/run/docker/plugins', { recursive: true });
  rmSync(socket, { force: true });
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const answer = (value: unknown): void => {
        response.setHeader('Content-Type', 'application/vnd.docker.plugins.v1+json');
        response.end(JSON.stringify(value));
      };
      if (request.url === '/Plugin.Activate') return answer({ Implements: ['authz'] });
      if (request.url === '/AuthZPlugin.AuthZRes') return answer({ Allow: true });
      const asked = JSON.parse(body || '{}') as { RequestUri?: string; RequestBody?: string };
      let privileged = false;
      try {
        const created = JSON.parse(Buffer.from(asked.RequestBody ?? '', 'base64').toString('utf8')) as { HostConfig?: { Privileged?: boolean } };
        privileged = /\/containers\/create/.test(asked.RequestUri ?? '') && created.HostConfig?.Privileged === true;
      } catch {
        // not a JSON body: not a container create
      }
      return answer(privileged ? { Allow: false, Msg: 'privileged containers are not allowed on this engine' } : { Allow: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const configFile = process.env.E2E_DAEMON_JSON as string;
  const pid = Number(readFileSync(process.env.E2E_DOCKERD_PIDFILE as string, 'utf8').trim());
  const original = readFileSync(configFile, 'utf8');
  const reload = async (config: string): Promise<void> => {
    writeFileSync(configFile, config);
    process.kill(pid, 'SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  };
  try {
    await reload(JSON.stringify({ ...JSON.parse(original), 'authorization-plugins': [name] }, null, 2));
    return await work();
  } finally {
    // A reload changes the plugins only when the file names them: name none, then put the
    // file back as it was (a daemon left asking a plugin that is gone is slow on every call).
    await reload(JSON.stringify({ ...JSON.parse(original), 'authorization-plugins': [] }, null, 2));
    writeFileSync(configFile, original);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(socket, { force: true });
  }
}

const run = async (stepInputs: Record<string, string>): Promise<Run> => (await runAction({ home, inputs: stepInputs })) as Run;
const errorLine = (result: Run): string => result.main.stdout.split('\n').filter((line) => line.startsWith('::error::')).join('\n');

describe.skipIf(!QEMU_IMAGE)(`a runner without QEMU${skipped}`, () => {
  beforeAll(() => {
    engine = loadEngineEnv();
    home = runnerHome();
    hostEntry = readEntry();
    expect(hostEntry, 'the set-up registers the host emulator').toContain('enabled');
  });
  afterEach(restoreEmulator);
  afterAll(restoreEmulator);

  it('installs the missing arm64 emulator with qemu-image, says so, and pushes both platforms; a second run installs nothing', async () => {
    removeEmulator();
    const repository = `e2e/qemu-${randomUUID().slice(0, 8)}`;
    const first = await run(inputs(repository));
    expect(first.main.exitCode, first.main.log).toBe(0);
    expect(first.main.log).toContain('Installing QEMU emulators for arm64 (no binfmt_misc entry qemu-aarch64)');
    expect(first.main.log).toMatch(new RegExp(`\\[command\\]\\S*docker run --privileged --rm ${QEMU_IMAGE} --install arm64`));
    expect(first.main.log).toContain(`installed emulators for arm64 with ${QEMU_IMAGE}`);
    // Registered by the image, with the F flag, so it works in every container.
    expect(readEntry()).toMatch(/^enabled\n/);
    expect(readEntry()).toMatch(/flags: [A-Z]*F/);
    const manifest = await registryManifest(engine, repository, '1');
    expect(indexPlatforms(manifest.json)).toEqual(['linux/amd64', 'linux/arm64']);
    const config = testDockerConfig(engine);
    const arm = docker(['run', '--rm', '--pull', 'always', '--platform', 'linux/arm64', `${engine.registry}/${repository}:1`], config);
    expect(arm.stdout, arm.stderr).toContain('aarch64');

    // The next job on the same runner finds the emulator and installs nothing.
    const second = await run(inputs(repository, { tags: `${engine.registry}/${repository}:2` }));
    expect(second.main.exitCode, second.main.log).toBe(0);
    expect(second.main.log).toContain('emulators already registered for arm64');
    expect(second.main.log).not.toContain('--privileged');
  });

  it('fails with a clear error when the qemu-image cannot be pulled, and pushes nothing', async () => {
    removeEmulator();
    const repository = `e2e/qemu-${randomUUID().slice(0, 8)}`;
    const missing = `${engine.registry}/e2e/no-such-binfmt:1`;
    const result = await run(inputs(repository, { 'qemu-image': missing }));
    expect(result.main.exitCode).toBe(1);
    expect(errorLine(result)).toContain(`qemu: cannot emulate linux/arm64: no binfmt_misc entry qemu-aarch64. Installing with ${missing} failed:`);
    expect(errorLine(result)).toContain('Build only native platforms, or allow privileged containers');
    expect((await registryManifest(engine, repository, '1')).status).toBe(404);
  });

  it('fails with a clear error when the engine refuses privileged containers, and pushes nothing', async () => {
    removeEmulator();
    const repository = `e2e/qemu-${randomUUID().slice(0, 8)}`;
    const result = await withPrivilegedRefused(() => run(inputs(repository)));
    expect(result.main.exitCode).toBe(1);
    expect(errorLine(result)).toContain(`qemu: cannot emulate linux/arm64: no binfmt_misc entry qemu-aarch64. Installing with ${QEMU_IMAGE} failed:`);
    expect(errorLine(result)).toContain('privileged containers are not allowed on this engine');
    expect(errorLine(result)).toContain('Build only native platforms, or allow privileged containers so the emulator can be installed');
    expect((await registryManifest(engine, repository, '1')).status).toBe(404);
    // The engine takes privileged containers again.
    expect(docker(['run', '--rm', '--privileged', QEMU_IMAGE]).status).toBe(0);
  });

  it('fails when the install reports success but the platform is still not runnable', async () => {
    removeEmulator();
    // An image that exits 0 and installs nothing, built here from the local base image.
    const context = mkdtempSync(path.join(os.tmpdir(), 'fake-binfmt-'));
    writeFileSync(path.join(context, 'Dockerfile'), `FROM ${engine.baseImage}\nENTRYPOINT ["true"]\n`);
    const fake = `e2e/fake-binfmt:${randomUUID().slice(0, 8)}`;
    const config = testDockerConfig(engine);
    const built = docker(['buildx', 'build', '--builder', 'default', '--platform', 'linux/amd64', '--load', '-t', fake, context], config);
    expect(built.status, built.stderr).toBe(0);
    try {
      const repository = `e2e/qemu-${randomUUID().slice(0, 8)}`;
      const result = await run(inputs(repository, { 'qemu-image': fake }));
      expect(result.main.exitCode).toBe(1);
      expect(errorLine(result)).toContain(`qemu: cannot emulate linux/arm64: no binfmt_misc entry qemu-aarch64: the install with ${fake} reported success, but the emulator is still not registered`);
      expect((await registryManifest(engine, repository, '1')).status).toBe(404);
    } finally {
      docker(['image', 'rm', fake]);
    }
  });
});
