// The docker-container builder the step creates where the engine's classic image store
// cannot do the build (ubuntu-latest), run for real with the moby/buildkit stand-in built
// from its source (../shared/images): what it is made with, that it is gone after the step
// on success, failure and cancel, and its two failure modes on a self-hosted engine.
import { renameSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, imageStore, indexPlatforms, loadEngineEnv, registryManifest, runnerHome, type Engine } from './engine.mjs';
import { runAction, type ActionRun, type RunActionOptions } from './runner.mjs';

const why = process.env.E2E_BUILDKIT_IMAGE
  ? imageStore() === 'classic'
    ? ''
    : " (skipped: the containerd image store needs no builder of the step's own)"
  : ' (skipped: no moby/buildkit stand-in was loaded; ../shared/images is absent)';

let engine: Engine;
let home: string;

function inputs(repository: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    tags: `${engine.registry}/${repository}:1`,
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    ...extra,
  };
}

const run = async (options: RunActionOptions): Promise<ActionRun> => await runAction({ home, ...options });
const errorLine = (result: ActionRun): string =>
  result.main.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .join('\n');
/** The builder the step named in its log. */
const createdBuilder = (result: ActionRun): string => /Creating docker-container builder (build-push-[0-9a-f]{8})/.exec(result.main.log)?.[1] ?? '';

/** What a builder leaves in the engine and in buildx while it exists: its container, its state volume, its buildx entry. */
function leftovers(name: string): string[] {
  const found: string[] = [];
  const containers = docker(['ps', '--all', '--filter', `name=buildx_buildkit_${name}`, '--format', '{{.Names}}']).stdout.trim();
  if (containers) found.push(`container ${containers}`);
  const volumes = docker(['volume', 'ls', '--filter', `name=buildx_buildkit_${name}`, '--format', '{{.Name}}']).stdout.trim();
  if (volumes) found.push(`volume ${volumes}`);
  if (docker(['buildx', 'inspect', name]).status === 0) found.push(`builder ${name}`);
  return found;
}

describe.skipIf(why !== '')(`the docker-container builder on the classic image store${why}`, () => {
  beforeAll(() => {
    engine = loadEngineEnv();
    home = runnerHome();
  });

  it('is made as setup-buildx-action makes it, builds both platforms, and is gone after a successful step', async () => {
    const repository = `e2e/builder-${randomUUID().slice(0, 8)}`;
    const result = await run({ inputs: inputs(repository) });
    expect(result.main.exitCode, result.main.log).toBe(0);
    const name = createdBuilder(result);
    expect(name, result.main.log).not.toBe('');
    expect(result.main.log).toContain(
      `--driver docker-container --driver-opt image=${process.env.E2E_BUILDKIT_IMAGE} --driver-opt network=host --buildkitd-flags --allow-insecure-entitlement security.insecure --allow-insecure-entitlement network.host --bootstrap`,
    );
    expect(indexPlatforms((await registryManifest(engine, repository, '1')).json!)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(result.main.log).toContain(`Removed builder ${name}`);
    expect(leftovers(name)).toEqual([]);
  });

  it('is gone after a failed build', async () => {
    const repository = `e2e/builder-${randomUUID().slice(0, 8)}`;
    const result = await run({ inputs: inputs(repository, { context: 'test/fixtures/broken-app' }) });
    expect(result.main.exitCode).toBe(1);
    const name = createdBuilder(result);
    expect(name, result.main.log).not.toBe('');
    expect(leftovers(name)).toEqual([]);
  });

  it('is gone after a cancel during the build, and nothing is pushed', async () => {
    const repository = `e2e/builder-${randomUUID().slice(0, 8)}`;
    const result = await run({ inputs: inputs(repository, { 'no-cache': 'true' }), cancelWhen: (line: string) => /^\[command\]\S*docker[ -]buildx build /.test(line) });
    expect(result.main.cancelled).toBe(true);
    const name = createdBuilder(result);
    expect(name, result.main.log).not.toBe('');
    expect(leftovers(name)).toEqual([]);
    expect(readdirSync(result.runnerTemp).filter((entry) => entry.startsWith('build-push-'))).toEqual([]);
    expect((await registryManifest(engine, repository, '1')).status).toBe(404);
  });

  it('says so when the BuildKit image cannot be pulled, and leaves nothing behind', async () => {
    const repository = `e2e/builder-${randomUUID().slice(0, 8)}`;
    const missing = `${engine.registry}/e2e/no-such-buildkit:1`;
    const result = await run({ inputs: inputs(repository, { 'buildkit-image': missing }) });
    expect(result.main.exitCode).toBe(1);
    expect(errorLine(result)).toContain(`builder: could not create a docker-container builder: the BuildKit image ${missing} cannot be pulled on this runner (set buildkit-image`);
    expect(leftovers(createdBuilder(result))).toEqual([]);
  });

  it('says so when the engine has no docker-init (a self-hosted engine without tini)', async () => {
    const init = process.env.E2E_DOCKER_INIT as string;
    const repository = `e2e/builder-${randomUUID().slice(0, 8)}`;
    // dockerd looks docker-init up each time it starts a container with --init.
    renameSync(init, `${init}.away`);
    let result: ActionRun;
    try {
      result = await run({ inputs: inputs(repository) });
    } finally {
      renameSync(`${init}.away`, init);
    }
    expect(result.main.exitCode).toBe(1);
    expect(errorLine(result)).toContain('builder: could not start the docker-container builder: the Docker engine cannot run containers with --init (no docker-init in its PATH');
    expect(leftovers(createdBuilder(result))).toEqual([]);
  });
});
