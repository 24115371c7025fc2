// Types of engine.mjs, the tests' access to the engine and registry test/e2e/setup-engine.sh
// started (the .mjs stays plain JavaScript: scripts/ run it with node).
import type { ImageIndex, ImageManifest } from '../../src/oci/model.js';

/** The engine set-up's state folder (E2E_HOME, BUILD_PUSH_E2E_HOME or /opt/build-push-e2e). */
export const E2E_HOME: string;

/**
 * The local registry and what the set-up script loaded, as its env file gives them
 * (process.env values, typed as strings: setup-engine.sh always writes every one of them).
 */
export interface Engine {
  /** host:port of the plain-HTTP registry on 127.0.0.1. */
  registry: string;
  username: string;
  password: string;
  /** The base image the example app builds FROM (in that registry). */
  baseImage: string;
  /** The node 24 binary (E2E_NODE24). */
  node24: string;
}

/** What the registry helpers read of an Engine: where the registry is and how to log in. */
export type RegistryLogin = Pick<Engine, 'registry' | 'username' | 'password'>;

/** Loads the env file the set-up script wrote into process.env (so tests work without `source`); throws when it is missing. */
export function loadEngineEnv(): Engine;

/** An image manifest as a registry serves it: src's model plus the annotations an image manifest may carry. */
export interface RegistryImageManifest extends ImageManifest {
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What the registry answers a manifest request with: an index (manifest list) or an image manifest. */
export type RegistryManifestDocument = ImageIndex | RegistryImageManifest;

/** Reads a manifest straight from the registry's HTTP API (not through the action or docker); `json` only when 200. */
export function registryManifest(engine: RegistryLogin, repository: string, reference: string): Promise<{ status: number; digest: string | null; json: RegistryManifestDocument | undefined }>;

/** An image config blob (OCI image config / Docker's), the parts tests read. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: { Labels?: Record<string, string>; Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; User?: string };
  rootfs: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** Reads a blob (an image config) straight from the registry's HTTP API; `json` only when 200. */
export function registryBlob(engine: RegistryLogin, repository: string, digest: string): Promise<{ status: number; json: ImageConfig | undefined }>;

/** Platforms (os/arch[/variant]) of the images in an index, sorted, without attestation manifests ([] for an image manifest). */
export function indexPlatforms(index: Partial<ImageIndex>): string[];

/** A docker config folder of the test's own, logged in to the registry (for pulls in assertions). */
export function testDockerConfig(engine: RegistryLogin): string;

/** What a `docker` command did. */
export interface DockerResult {
  /** The exit status (null when killed by a signal). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `docker` with the given config folder (DOCKER_CONFIG); returns status and output. */
export function docker(args: string[], configDir?: string): DockerResult;

/**
 * `docker buildx build --push` run again (up to `attempts` times, default 3) while it fails
 * only because registry 2.8 answered 500 to the HEAD of the tag being written.
 */
export function dockerPush(args: string[], configDir?: string, attempts?: number): DockerResult;

/** A login some earlier workflow step left in the user's docker config (runnerHome writes it). */
export const EARLIER_LOGIN: { registry: string; auth: string };

/** A fake HOME like a runner's: ~/.docker with the buildx plugin and EARLIER_LOGIN. Returns its path. */
export function runnerHome(): string;

/** The image store of the engine under test (E2E_IMAGE_STORE, default 'containerd'). */
export function imageStore(): string;

/** Whether the action builds with --load and has the engine push (containerd store, buildx before 0.22). */
export function enginePushesAfterBuild(): boolean;

/**
 * `--builder NAME` for the tests' own raw buildx commands on the classic store (a
 * docker-container builder, made once per test file and made visible to `configDir`);
 * [] on the containerd store.
 */
export function testBuilderArgs(configDir?: string): string[];

/** Matches BuildKit's plain progress when the example app's RUN step for `architecture` came from a cache. */
export function runStepFromCache(architecture: string): RegExp;
