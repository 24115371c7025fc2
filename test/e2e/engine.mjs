// Access to the real engine and registry that test/e2e/setup-engine.sh started, for
// tests, the demo and the benchmark. Everything talks to 127.0.0.1 only.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const E2E_HOME = process.env.E2E_HOME || process.env.BUILD_PUSH_E2E_HOME || '/opt/build-push-e2e';

/** Loads the env file the set-up script wrote (so tests work without `source`). */
export function loadEngineEnv() {
  const file = path.join(E2E_HOME, 'env');
  if (!existsSync(file)) throw new Error(`${file} is missing: run test/e2e/setup-engine.sh first`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match && !process.env[match[1]]) process.env[match[1]] = match[2].replace(/^"(.*)"$/, '$1');
  }
  const password = readFileSync(process.env.E2E_REGISTRY_PASSWORD_FILE, 'utf8').trim();
  return {
    registry: process.env.E2E_REGISTRY,
    username: process.env.E2E_REGISTRY_USER,
    password,
    baseImage: process.env.E2E_BASE_IMAGE,
    node24: process.env.E2E_NODE24,
  };
}

const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Reads a manifest straight from the registry's HTTP API (not through the action or docker). */
export async function registryManifest(engine, repository, reference) {
  const response = await fetch(`http://${engine.registry}/v2/${repository}/manifests/${reference}`, {
    headers: {
      Accept: INDEX_TYPES,
      Authorization: `Basic ${Buffer.from(`${engine.username}:${engine.password}`).toString('base64')}`,
    },
  });
  const body = await response.text();
  return {
    status: response.status,
    digest: response.headers.get('docker-content-digest'),
    json: response.status === 200 ? JSON.parse(body) : undefined,
  };
}

/** Reads a blob (e.g. an image config) straight from the registry's HTTP API. */
export async function registryBlob(engine, repository, digest) {
  const response = await fetch(`http://${engine.registry}/v2/${repository}/blobs/${digest}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${engine.username}:${engine.password}`).toString('base64')}` },
  });
  return { status: response.status, json: response.status === 200 ? JSON.parse(await response.text()) : undefined };
}

/** Platforms (os/arch) of the images in an index, without attestation manifests. */
export function indexPlatforms(index) {
  return (index.manifests ?? [])
    .filter((entry) => entry.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    .map((entry) => [entry.platform.os, entry.platform.architecture, entry.platform.variant].filter(Boolean).join('/'))
    .sort();
}

/** A docker config folder of the test's own, logged in to the registry (for pulls in assertions). */
export function testDockerConfig(engine) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'test-docker-config-'));
  const plugins = path.join(os.homedir(), '.docker', 'cli-plugins');
  if (existsSync(plugins)) symlinkSync(plugins, path.join(dir, 'cli-plugins'));
  execFileSync('docker', ['login', engine.registry, '--username', engine.username, '--password-stdin'], {
    input: engine.password,
    env: { ...process.env, DOCKER_CONFIG: dir },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  return dir;
}

/** Runs `docker` with the given config folder; returns status and output. */
export function docker(args, configDir) {
  const result = spawnSync('docker', args, { env: { ...process.env, ...(configDir ? { DOCKER_CONFIG: configDir } : {}) }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/**
 * `docker buildx build --push` run again (up to `attempts` times) when it fails only because
 * registry 2.8's filesystem storage answered 500 to the HEAD of the tag being written, which
 * it does now and then (the action retries that itself; raw commands in tests cannot).
 */
export function dockerPush(args, configDir, attempts = 3) {
  let result;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    result = docker(args, configDir);
    if (result.status === 0 || !/unexpected status from HEAD request to \S+\/manifests\/\S+: 500 Internal Server Error/.test(result.stderr)) break;
  }
  return result;
}

/** A login some earlier workflow step left in the user's docker config. */
export const EARLIER_LOGIN = { registry: 'earlier.example.test:5000', auth: Buffer.from('earlier:not-a-real-secret').toString('base64') };

/** A fake HOME like a runner's: ~/.docker with the buildx plugin and an earlier, unrelated login. */
export function runnerHome() {
  const home = mkdtempSync(path.join(os.tmpdir(), 'runner-home-'));
  mkdirSync(path.join(home, '.docker'));
  const plugins = path.join(os.homedir(), '.docker', 'cli-plugins');
  if (existsSync(plugins)) symlinkSync(plugins, path.join(home, '.docker', 'cli-plugins'));
  const buildx = path.join(os.homedir(), '.docker', 'buildx');
  if (existsSync(buildx)) symlinkSync(buildx, path.join(home, '.docker', 'buildx'));
  writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [EARLIER_LOGIN.registry]: { auth: EARLIER_LOGIN.auth } } }, null, 2));
  return home;
}

/** The image store of the engine under test: 'classic' (ubuntu-latest's) or 'containerd'. */
export function imageStore() {
  return process.env.E2E_IMAGE_STORE || 'containerd';
}

/**
 * Whether the action builds with --load and has the engine push (docker driver on the
 * containerd store with a buildx before 0.22, see src/plan.ts buildArgsForBuilder): then a
 * push run has a `push` phase of its own.
 */
export function enginePushesAfterBuild() {
  const [major, minor] = (process.env.E2E_BUILDX_VERSION || '').split('.').map(Number);
  return imageStore() === 'containerd' && major === 0 && minor < 22;
}

const TEST_BUILDER = 'e2e-tests-builder';
let testBuilderMade = false;

/**
 * `--builder NAME` for the tests' own raw buildx commands that need what the default builder
 * does only on the containerd store (several platforms, an OCI layout): on the classic store,
 * a docker-container builder with the BuildKit stand-in, made once per test file in the
 * user's docker config (replacing a leftover), and made visible to the test's own docker
 * config folder `configDir`. [] on the containerd store.
 */
export function testBuilderArgs(configDir) {
  if (imageStore() === 'containerd') return [];
  if (!testBuilderMade) {
    // Made anew for each test file: a builder container copies /etc/hosts when it is created,
    // and the cloud tests add the real registry hostnames there first.
    docker(['buildx', 'rm', '--force', TEST_BUILDER]);
    const image = process.env.E2E_BUILDKIT_IMAGE;
    if (!image) throw new Error('the classic image store needs a docker-container builder for this test, and no BuildKit image was loaded (../shared/images)');
    const created = docker(['buildx', 'create', '--name', TEST_BUILDER, '--driver', 'docker-container', '--driver-opt', `image=${image}`, '--driver-opt', 'network=host', '--bootstrap']);
    if (created.status !== 0) throw new Error(`creating ${TEST_BUILDER}: ${created.stderr}`);
  }
  testBuilderMade = true;
  // buildx keeps its builders in $DOCKER_CONFIG/buildx: share the user's with the test's folder
  const state = path.join(os.homedir(), '.docker', 'buildx');
  if (configDir && !existsSync(path.join(configDir, 'buildx'))) symlinkSync(state, path.join(configDir, 'buildx'));
  return ['--builder', TEST_BUILDER];
}

/**
 * A RUN step of the example app's Dockerfile (`[linux/<arch> 2/3]`) taken from a cache, in
 * BuildKit's plain progress: the step's first line after its name is CACHED, or the cached
 * layer being fetched (`sha256:... 1.0MB / 1.0MB`) or extracted; a step that ran again shows
 * `DONE` (it prints nothing) instead.
 */
export function runStepFromCache(architecture) {
  return new RegExp(`#(\\d+) \\[linux/${architecture} 2/3\\] RUN[^\\n]*\\n#\\1 (CACHED|extracting sha256:[0-9a-f]{64}|sha256:[0-9a-f]{64} [0-9.]+[kMG]?B / [0-9.]+[kMG]?B)`);
}
