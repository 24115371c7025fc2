// A self-hosted runner in a container (Actions Runner Controller, docker-in-docker): the
// runner emulator and dist/ run inside a container on the engine, with the engine's socket
// mounted and no binfmt_misc of the host in sight. The runner image is made here from this
// machine's Node 24, docker CLI and buildx plugin with the libraries they link (no package
// source needed). The host's arm64 emulator is removed first, as on a fresh host, and put
// back after, whatever happens.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, indexPlatforms, loadEngineEnv, registryManifest, type Engine } from './engine.mjs';
import { REPO_ROOT, type ActionRun, type StepResult } from './runner.mjs';

/** What runner-image/run-step.mjs prints of the run: main's exit code, log and stdout, and the outputs. */
type StepSeen = Pick<StepResult, 'exitCode' | 'log' | 'stdout'> & Pick<ActionRun, 'outputs'>;

const ENTRY = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
const QEMU_IMAGE = process.env.E2E_QEMU_IMAGE;
const skipped = QEMU_IMAGE ? '' : ' (skipped: no tonistiigi/binfmt stand-in was loaded; ../shared/images is absent)';
const repoRoot = REPO_ROOT;

let engine: Engine;
let image: string;
let hostEntry: string;
const readEntry = (): string => (existsSync(ENTRY) ? readFileSync(ENTRY, 'utf8') : '');

function restoreEmulator(): void {
  if (readEntry() === hostEntry) return;
  if (existsSync(ENTRY)) writeFileSync(ENTRY, '-1');
  execFileSync('update-binfmts', ['--enable', 'qemu-aarch64']);
}

/** The shared libraries a binary loads (ldd), with the loader. */
function libraries(binary: string): string[] {
  const text = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...text.matchAll(/(\/\S+\.so[.\d]*)/g)].map((match) => match[1] as string);
}

/** A runner image: Node 24, the docker CLI and buildx, and nothing else (no /proc/sys/fs/binfmt_misc mount). */
function buildRunnerImage(): string {
  const node = process.env.E2E_NODE24 as string;
  const dockerCli = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  const buildx = path.join(os.homedir(), '.docker', 'cli-plugins', 'docker-buildx');
  const context = mkdtempSync(path.join(os.tmpdir(), 'runner-image-'));
  const files = new Map<string, string>([
    [node, '/usr/local/bin/node'],
    [dockerCli, '/usr/local/bin/docker'],
    [buildx, '/root/.docker/cli-plugins/docker-buildx'],
  ]);
  for (const library of new Set([...libraries(node), ...libraries(buildx)])) files.set(library, library);
  for (const [from, to] of files) {
    mkdirSync(path.join(context, 'root', path.dirname(to)), { recursive: true });
    copyFileSync(from, path.join(context, 'root', to));
  }
  for (const dir of ['tmp', 'etc']) mkdirSync(path.join(context, 'root', dir), { recursive: true });
  writeFileSync(path.join(context, 'root', 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/false\n', { flag: 'w' });
  writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\nCOPY root/ /\nENV PATH=/usr/local/bin HOME=/root\n');
  const name = `build-push-e2e/runner:${randomUUID().slice(0, 8)}`;
  const built = docker(['buildx', 'build', '--builder', 'default', '--platform', 'linux/amd64', '--load', '-t', name, context]);
  if (built.status !== 0) throw new Error(`building the runner image: ${built.stderr}`);
  return name;
}

/** Runs the step in the runner container; returns what the emulator saw there. */
function stepInContainer(inputs: Record<string, string>): StepSeen {
  const options = { inputs, workspace: repoRoot, home: '/root', path: '/usr/local/bin' };
  const result = docker([
    'run',
    '--rm',
    '--network',
    'host',
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    '-v',
    `${repoRoot}:${repoRoot}:ro`,
    '-w',
    repoRoot,
    '-e',
    'E2E_NODE24=/usr/local/bin/node',
    ...(QEMU_IMAGE ? ['-e', `E2E_QEMU_IMAGE=${QEMU_IMAGE}`] : []),
    ...(process.env.E2E_BUILDKIT_IMAGE ? ['-e', `E2E_BUILDKIT_IMAGE=${process.env.E2E_BUILDKIT_IMAGE}`] : []),
    image,
    'node',
    path.join(repoRoot, 'test', 'e2e', 'runner-image', 'run-step.mjs'),
    JSON.stringify(options),
  ]);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`the runner container failed (exit ${result.status}): ${result.stderr}\n${result.stdout.slice(-2000)}`);
  return JSON.parse(line) as StepSeen;
}

describe.skipIf(!QEMU_IMAGE)(`a runner in a container, without the host's binfmt_misc${skipped}`, () => {
  beforeAll(() => {
    engine = loadEngineEnv();
    hostEntry = readEntry();
    image = buildRunnerImage();
  });
  afterAll(() => {
    restoreEmulator();
    if (image) docker(['image', 'rm', image]);
  });

  const inputs = (repository: string, tag: string): Record<string, string> => ({
    tags: `${engine.registry}/${repository}:${tag}`,
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
  });

  it('asks the engine what its host runs, installs only the missing arm64 emulator, and pushes both platforms; the next run installs nothing', async () => {
    // A fresh host: no arm64 emulator registered.
    if (existsSync(ENTRY)) writeFileSync(ENTRY, '-1');
    try {
      const repository = `e2e/in-container-${randomUUID().slice(0, 8)}`;
      const first = stepInContainer(inputs(repository, '1'));
      expect(first.exitCode, first.log).toBe(0);
      expect(first.log).toContain(`This runner does not see the host's binfmt_misc (it runs in a container?): asking ${QEMU_IMAGE} on the engine what its host can run`);
      expect(first.log).toContain("Installing QEMU emulators for arm64 (the engine's host does not run linux/arm64");
      expect(first.log).toContain(`installed emulators for arm64 with ${QEMU_IMAGE}`);
      expect(indexPlatforms((await registryManifest(engine, repository, '1')).json!)).toEqual(['linux/amd64', 'linux/arm64']);

      const second = stepInContainer(inputs(repository, '2'));
      expect(second.exitCode, second.log).toBe(0);
      expect(second.log).toContain('emulators already registered for arm64');
      expect(second.log).not.toContain('--install');
    } finally {
      restoreEmulator();
    }
  });
});
