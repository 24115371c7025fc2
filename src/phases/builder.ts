import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Env } from '../plan/context.js';
import { ActionError, InputError } from '../errors.js';
import { chooseBuilder, type BuilderInfo, type BuildRequest } from '../plan/builder.js';
import { currentContextOf, driverStatusFromSocket, engineSocket } from '../docker/engine-api.js';
import { Docker, findBuildxPlugin, lastLines } from '../docker/exec.js';

/** Parses the text `docker buildx inspect` prints. */
export function parseBuilderInspect(text: string): BuilderInfo {
  const lines = text.split('\n');
  const first = (key: string): string =>
    lines
      .find((line) => line.startsWith(`${key}:`))
      ?.slice(key.length + 1)
      .trim() ?? '';
  const platforms = lines
    .filter((line) => line.startsWith('Platforms:'))
    .flatMap((line) => line.slice('Platforms:'.length).split(','))
    .map((platform) => platform.trim().replace(/\*$/, ''))
    .filter((platform) => platform !== '');
  return { name: first('Name'), driver: first('Driver'), platforms: [...new Set(platforms)] };
}

/** True when `docker info`'s DriverStatus shows the containerd image store (needed for multi-platform images with the docker driver). */
export function usesContainerdStore(driverStatusJson: string): boolean {
  try {
    const status: unknown = JSON.parse(driverStatusJson);
    return Array.isArray(status) && status.some((pair) => Array.isArray(pair) && pair[0] === 'driver-type' && String(pair[1]).includes('containerd.snapshotter'));
  } catch {
    return false;
  }
}

/**
 * The builder buildx will use, from `BUILDX_BUILDER` or buildx's own `buildx/current`
 * record: '' means the docker context's default builder (docker driver), undefined
 * means we cannot tell without asking buildx.
 */
export function currentBuilderName(currentFile: string | undefined, env: Env): string | undefined {
  if (env.BUILDX_BUILDER) return env.BUILDX_BUILDER;
  // buildx keeps its state elsewhere: only buildx itself can tell.
  if (env.BUILDX_CONFIG) return undefined;
  if (currentFile === undefined) return '';
  try {
    const current = JSON.parse(currentFile) as { Name?: unknown };
    return typeof current.Name === 'string' ? current.Name : undefined;
  } catch {
    return undefined;
  }
}

const DEFAULT_BUILDER: BuilderInfo = { name: 'default', driver: 'docker', platforms: [] };

/**
 * What the engine and the current builder can do. `docker buildx inspect` costs a
 * buildx start, so it is skipped when the default docker-driver builder is selected;
 * the engine's image store comes from its API socket when that is certain, else `docker info`.
 */
export async function inspectEngine(docker: Docker, dockerConfigDir: string, env: Env, requested?: string): Promise<{ builder: BuilderInfo; containerdStore: boolean }> {
  const [currentFile, configJson] = await Promise.all(
    [path.join(dockerConfigDir, 'buildx', 'current'), path.join(dockerConfigDir, 'config.json')].map((file) => readFile(file, 'utf8').catch(() => undefined)),
  );
  const selected = requested ?? currentBuilderName(currentFile, env);
  const socket = engineSocket(env, currentContextOf(configJson));
  const [inspect, driverStatus] = await Promise.all([
    selected === '' ? undefined : docker.run(['buildx', 'inspect', ...(requested ? [requested] : [])]),
    (async () => {
      const fromSocket = socket ? await driverStatusFromSocket(socket) : undefined;
      if (fromSocket !== undefined) return fromSocket;
      const info = await docker.run(['info', '--format', '{{json .DriverStatus}}']);
      if (info.exitCode !== 0) {
        throw new ActionError(`the Docker engine does not answer (docker info: ${info.stderr.trim().split('\n').pop() ?? ''}). Is the Docker daemon running on this runner?`);
      }
      return info.stdout;
    })(),
  ]);
  if (inspect && inspect.exitCode !== 0 && requested) {
    throw new InputError(
      'builder',
      `there is no usable buildx builder "${requested}" on this runner (${inspect.stderr.trim().split('\n').pop() ?? ''})`,
      'the name docker/setup-buildx-action gives as its "name" output, or a name `docker buildx ls` lists',
    );
  }
  if (inspect && inspect.exitCode !== 0) {
    throw new ActionError(`docker buildx is not usable (${inspect.stderr.trim().split('\n').pop() ?? ''}). Install the buildx plugin on the runner.`);
  }
  return { builder: inspect ? parseBuilderInspect(inspect.stdout) : DEFAULT_BUILDER, containerdStore: usesContainerdStore(driverStatus) };
}

/** `docker buildx version` as [major, minor, patch]; undefined when unreadable, and for source builds (v0.0.0). */
export function parseBuildxVersion(text: string): readonly [number, number, number] | undefined {
  const match = /^github\.com\/docker\/buildx\s+v?(\d+)\.(\d+)\.(\d+)/m.exec(text.trim());
  if (!match) return undefined;
  const version = [Number(match[1]), Number(match[2]), Number(match[3])] as const;
  return version.every((part) => part === 0) ? undefined : version;
}

/**
 * The BuildKit version `docker buildx inspect` prints for the builder's first node
 * (`BuildKit version:` since buildx 0.13, `Buildkit:` before); undefined when absent or a
 * development build (v0.0.0).
 */
export function parseBuildkitVersion(inspectText: string): readonly [number, number, number] | undefined {
  const match = /^(?:BuildKit version|Buildkit):\s*v?(\d+)\.(\d+)\.(\d+)/m.exec(inspectText);
  if (!match) return undefined;
  const version = [Number(match[1]), Number(match[2]), Number(match[3])] as const;
  return version.every((part) => part === 0) ? undefined : version;
}

/**
 * Whether buildx pushes a `--push` build twice with the docker driver on the containerd image
 * store: before 0.22 BuildKit pushes it, then buildx has the engine push it again and asks
 * the registry for its digest (fixed by docker/buildx 4f7d145). Unknown versions: no.
 */
export function pushesTwiceWithDockerDriver(version: readonly [number, number, number] | undefined): boolean {
  return version !== undefined && version[0] === 0 && version[1] < 22;
}

export interface BuildxVersion {
  /** What `docker buildx version` printed; empty when it could not be asked. */
  readonly text: string;
  readonly version?: readonly [number, number, number];
}

/**
 * The version of the buildx the user's docker config finds (the private config links the
 * same plugins), asked while the step sets up and logs in. Never fails: unknown is an answer.
 */
export async function readBuildxVersion(userConfigDir: string): Promise<BuildxVersion> {
  const docker = new Docker(userConfigDir, 'docker', await findBuildxPlugin(userConfigDir));
  // A `docker` wrapper that hangs must not hold the build up: then buildx keeps its own push.
  const result = await docker.run(['buildx', 'version'], { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  const text = result?.exitCode === 0 ? result.stdout.trim() : '';
  const version = parseBuildxVersion(text);
  return { text, ...(version ? { version } : {}) };
}

/** The BuildKit version of a builder (the current one without a name); undefined when it cannot be told. Never fails. */
export async function readBuildkitVersion(docker: Docker, builder: string | undefined): Promise<readonly [number, number, number] | undefined> {
  const result = await docker.run(['buildx', 'inspect', ...(builder ? [builder] : [])], { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  return result?.exitCode === 0 ? parseBuildkitVersion(result.stdout) : undefined;
}

/**
 * `docker buildx create` for our docker-container builder, as setup-buildx-action makes it:
 * started now (--bootstrap), on the host network (registries on localhost, service
 * containers), with the entitlements it allows by default (`RUN --network=host`,
 * `--allow security.insecure` still need the build to ask for them).
 */
export function createBuilderArgs(name: string, buildkitImage: string): string[] {
  return [
    'buildx',
    'create',
    '--name',
    name,
    '--driver',
    'docker-container',
    '--driver-opt',
    `image=${buildkitImage}`,
    '--driver-opt',
    'network=host',
    '--buildkitd-flags',
    '--allow-insecure-entitlement security.insecure --allow-insecure-entitlement network.host',
    '--bootstrap',
  ];
}

/** What went wrong creating the builder, in terms of what the user can change. */
export function builderCreateError(buildkitImage: string, stderr: string): string {
  const said = lastLines(stderr, 3, ' ');
  if (/docker-init/.test(stderr)) {
    return `could not start the docker-container builder: the Docker engine cannot run containers with --init (no docker-init in its PATH; GitHub's runners have it, a self-hosted engine needs it: Debian's tini package, tini-static linked as docker-init). Docker said: ${said}`;
  }
  if (/pull access denied|manifest unknown|not found|failed to resolve|unauthorized|no such host|connection refused|i\/o timeout/i.test(stderr)) {
    return `could not create a docker-container builder: the BuildKit image ${buildkitImage} cannot be pulled on this runner (set buildkit-image to an image it can pull, for example a mirror, or log in to its registry in an earlier step). Docker said: ${said}`;
  }
  return `could not create a docker-container builder with ${buildkitImage}: ${said}`;
}

export async function createBuilder(docker: Docker, name: string, buildkitImage: string): Promise<void> {
  const result = await docker.run(createBuilderArgs(name, buildkitImage), { live: true });
  if (result.exitCode !== 0) {
    // A half-created builder would outlive the job: remove it now, ignore errors.
    await docker.run(['buildx', 'rm', '--force', name]);
    throw new ActionError(builderCreateError(buildkitImage, result.stderr));
  }
}

/** The builder phase: keep the current (or named) builder, or create ours (`onCreate` records it for post first). */
export async function setUpBuilder(
  engine: { builder: BuilderInfo; containerdStore: boolean },
  request: BuildRequest,
  hostArch: string,
  buildkitImage: string,
  docker: Docker,
  onCreate: (name: string) => void,
  log: (line: string) => void,
): Promise<{ name?: string; description: string; driver: string; containerdStore: boolean }> {
  const choice = chooseBuilder(engine.builder, request, engine.containerdStore, hostArch);
  if (choice.kind === 'refuse') throw new InputError(choice.input, choice.reason, choice.example);
  log(choice.reason);
  if (choice.kind === 'current') return { ...(request.requested ? { name: choice.name } : {}), description: choice.reason, driver: engine.builder.driver, containerdStore: engine.containerdStore };
  const name = `build-push-${randomUUID().slice(0, 8)}`;
  onCreate(name);
  log(`Creating docker-container builder ${name} with ${buildkitImage}`);
  await createBuilder(docker, name, buildkitImage);
  return { name, description: `${name} (docker-container, created because ${choice.reason})`, driver: 'docker-container', containerdStore: engine.containerdStore };
}
