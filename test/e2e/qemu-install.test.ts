// A fresh hosted runner has no QEMU: the host's arm64 emulator is removed before each step
// (as on ubuntu-latest), and the step installs it with the qemu-image, the tonistiigi/binfmt
// stand-in built from its source (../shared/images). The host's own entry is put back after
// every test, whatever happens. The e2e project runs files one at a time, so no other test
// needing emulation runs meanwhile.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { docker, indexPlatforms, loadEngineEnv, registryManifest, runnerHome, testDockerConfig, type Engine } from './engine.mjs';
import { runAction, type ActionRun } from './runner.mjs';

const ENTRY = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
const QEMU_IMAGE: string | undefined = process.env.E2E_QEMU_IMAGE || undefined;
const skipped = QEMU_IMAGE ? '' : ' (skipped: no tonistiigi/binfmt stand-in was loaded; ../shared/images is absent)';

let engine: Engine;
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
 * Docker authorization plugin (authz-no-privileged.mjs, its own process so it answers
 * whatever this one is doing) switched on in the running daemon's config and reloaded with
 * SIGHUP (authorization-plugins is a reloadable option). Each switch is waited for by
 * asking the engine, not by sleeping.
 */
async function withPrivilegedRefused<T>(work: () => Promise<T>): Promise<T> {
  const name = 'build-push-e2e-no-privileged';
  const socket = `/run/docker/plugins/${name}.sock`;
  mkdirSync('/run/docker/plugins', { recursive: true });
  const plugin = spawn(process.execPath, [fileURLToPath(new URL('./authz-no-privileged.mjs', import.meta.url)), socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pluginLog = '';
  await new Promise<void>((resolve, reject) => {
    plugin.on('error', reject);
    plugin.on('exit', (code) => reject(new Error(`the authorization plugin exited (${code}) before listening`)));
    plugin.stdout.on('data', (chunk: Buffer) => {
      pluginLog += chunk.toString('utf8');
      if (pluginLog.includes('listening')) resolve();
    });
  });
  const configFile = process.env.E2E_DAEMON_JSON as string;
  const pid = Number(readFileSync(process.env.E2E_DOCKERD_PIDFILE as string, 'utf8').trim());
  const original = readFileSync(configFile, 'utf8');
  const reload = async (plugins: string[], refused: boolean): Promise<void> => {
    writeFileSync(configFile, JSON.stringify({ ...JSON.parse(original), 'authorization-plugins': plugins }, null, 2));
    process.kill(pid, 'SIGHUP');
    for (let tries = 0; (await privilegedRefused()) !== refused; tries++) {
      if (tries === 100) throw new Error(`the engine did not ${refused ? 'start' : 'stop'} refusing privileged containers after its reload`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  try {
    await reload([name], true);
    return await work();
  } finally {
    // A reload changes the plugins only when the file names them: name none, then put the
    // file back as it was (a daemon left asking a plugin that is gone is slow on every call).
    await reload([], false);
    writeFileSync(configFile, original);
    plugin.kill('SIGTERM');
    rmSync(socket, { force: true });
  }
}

/** Whether the engine refuses to create a privileged container now (asked without blocking this process). */
async function privilegedRefused(): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync('docker', ['create', '--privileged', QEMU_IMAGE as string]);
    await execFileAsync('docker', ['rm', stdout.trim()]);
    return false;
  } catch (error) {
    if (String((error as { stderr?: string }).stderr).includes('privileged containers are not allowed')) return true;
    throw error;
  }
}

const execFileAsync = promisify(execFile);
// timeout-minutes, as a workflow would set it: a step that hangs fails with its log instead of stalling the suite.
const run = async (stepInputs: Record<string, string>): Promise<ActionRun> => await runAction({ home, inputs: stepInputs, timeoutMinutes: 3 });
const errorLine = (result: ActionRun): string =>
  result.main.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .join('\n');

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
    expect(indexPlatforms(manifest.json!)).toEqual(['linux/amd64', 'linux/arm64']);
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
    expect(result.main.exitCode, result.main.log).toBe(1);
    expect(errorLine(result)).toContain(`qemu: cannot emulate linux/arm64: no binfmt_misc entry qemu-aarch64. Installing with ${QEMU_IMAGE} failed:`);
    expect(errorLine(result)).toContain('privileged containers are not allowed on this engine');
    expect(errorLine(result)).toContain('Build only native platforms, or allow privileged containers so the emulator can be installed');
    expect((await registryManifest(engine, repository, '1')).status).toBe(404);
    // The engine takes privileged containers again.
    expect(docker(['run', '--rm', '--privileged', QEMU_IMAGE as string]).status).toBe(0);
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
