import { FAILSAFE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import { InputError } from '../errors.js';
import { KNOWN_ARCHITECTURES } from './architectures.js';
import { splitCommand } from './gate.js';
import { listEntries, splitFields } from '../tags/lines.js';
import { parseMetadataInputs, type ParsedMetadataInputs } from '../tags/metadata.js';
import { parseDuration } from '../retry.js';
import { normalizeRegistry, parseImageReference, type ImageReference } from '../tags/reference.js';

export type CacheMode = 'auto' | 'gha' | 'registry' | 'local' | 'none';

/**
 * Every input the action reads, in action.yml order. A test checks this list against
 * action.yml in both directions, so adding an input means adding it in both places.
 */
export const INPUT_NAMES = [
  'images',
  'tags',
  'flavor',
  'push',
  'dry-run',
  'registry-auth',
  'context',
  'file',
  'platforms',
  'build-args',
  'target',
  'labels',
  'annotations',
  'sep-tags',
  'sep-labels',
  'sep-annotations',
  'secrets',
  'no-cache',
  'pull',
  'load',
  'provenance',
  'sbom',
  'cache',
  'cache-write',
  'cache-from',
  'cache-to',
  'outputs',
  'qemu-image',
  'buildkit-image',
  'builder',
  'github-token',
  'dockerhub-username',
  'dockerhub-token',
  'aws-role-to-assume',
  'aws-region',
  'aws-role-session-name',
  'aws-role-duration-seconds',
  'gcp-workload-identity-provider',
  'gcp-service-account',
  'gcp-access-token',
  'retries',
  'retry-delay',
  'timeout',
  'allow-untrusted-code',
  'push-by-digest',
  'digest-dir',
  'merge-digests',
  'reproducible',
  'test',
  'test-platforms',
  'scan',
  'sign',
  'attest',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];
export type RawInputs = Readonly<Record<InputName, string>>;

export type PushMode = 'auto' | 'true' | 'false';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  /** `os/arch[/variant]`, as buildx spells it. */
  readonly name: string;
}

export interface RegistryLogin {
  readonly registry: string;
  readonly username: string;
  readonly password: string;
}

export interface BuildSecret {
  readonly id: string;
  readonly value: string;
}

export interface Inputs {
  /**
   * Full image references. With `images` set this starts empty: the tags come from
   * metadata-action's rules, computed in the plan (they depend on the event).
   */
  readonly tags: readonly ImageReference[];
  /** `images`, `tags` (as rules), `flavor`, `labels`, `annotations` as docker/metadata-action reads them, when `images` is set or `tags` holds rules. */
  readonly metadata?: ParsedMetadataInputs;
  /** `level:key=value` annotation lines passed to buildx as they are (when `images` is not set). */
  readonly annotations: readonly string[];
  readonly separators: { readonly tags: string; readonly labels: string; readonly annotations: string };
  readonly push: PushMode;
  readonly dryRun: boolean;
  readonly registryAuth: readonly RegistryLogin[];
  /** registry-auth entries whose password was empty (a secret this run cannot read, e.g. on a fork). */
  readonly registryAuthWithoutPassword: readonly string[];
  readonly context: string;
  readonly file?: string;
  readonly platforms: readonly Platform[];
  readonly buildArgs: readonly string[];
  readonly target?: string;
  readonly labels: readonly string[];
  readonly secrets: readonly BuildSecret[];
  readonly noCache: boolean;
  readonly pull: boolean;
  readonly load: boolean;
  readonly provenance?: string;
  readonly sbom?: string;
  /** Cache backend: auto (gha when the job has the cache service), gha, registry, local, none. */
  readonly cache: CacheMode;
  /** Write the cache even on a run that does not push. */
  readonly cacheWrite: boolean;
  readonly cacheFrom: readonly string[];
  readonly cacheTo: readonly string[];
  readonly outputs: readonly string[];
  readonly qemuImage: string;
  readonly buildkitImage: string;
  /** An existing buildx builder to use as it is (e.g. one docker/setup-buildx-action made). */
  readonly builder?: string;
  /** Token for ghcr.io ('' when none). */
  readonly githubToken: string;
  readonly dockerHubUsername: string;
  readonly dockerHubToken: string;
  readonly awsRoleToAssume: string;
  readonly awsRegion: string;
  readonly awsRoleSessionName: string;
  readonly awsRoleDurationSeconds: number;
  readonly gcpWorkloadIdentityProvider: string;
  readonly gcpServiceAccount: string;
  readonly gcpAccessToken: string;
  /** Retries of transient network failures (login, push, verify, token calls). */
  readonly retries: number;
  readonly retryDelayMs: number;
  /** Limit for the build phase; undefined: none. */
  readonly timeoutMs?: number;
  /** The user accepts logging in and pushing while building pull request code on pull_request_target/workflow_run. */
  readonly allowUntrustedCode: boolean;
  /** Split builds: build this runner's platform and push it by digest only. */
  readonly pushByDigest: boolean;
  /** Where push-by-digest leaves the digest file ('' → $RUNNER_TEMP/digests). */
  readonly digestDir: string;
  /** Merge run: digests (or a folder of digest files) to combine under the tags; no build. */
  readonly mergeDigests: string;
  /** SOURCE_DATE_EPOCH from the commit time, and the created label follows it. */
  readonly reproducible: boolean;
  /** A keyless Sigstore signature of the verified digest, stored next to the image (see phases/sign.ts). */
  readonly sign: boolean;
  /** SLSA build provenance of the verified digest, signed, stored with GitHub's attestations API and next to the image. */
  readonly attest: boolean;
  /** Command (argv) run in a container of the built image before any push. */
  readonly test?: readonly string[];
  /** Emulated platforms the test also runs on. */
  readonly testPlatforms: readonly Platform[];
  /** Command (argv, with {image}/{oci}) run on the host against the built image before any push. */
  readonly scan?: readonly string[];
}

// Pinned by digest: `binfmt:latest` has shipped segfaulting emulators before.
export const DEFAULT_QEMU_IMAGE = 'docker.io/tonistiigi/binfmt:qemu-v10.2.3-68@sha256:400a4873b838d1b89194d982c45e5fb3cda4593fbfd7e08a02e76b03b21166f0';
export const DEFAULT_BUILDKIT_IMAGE = 'docker.io/moby/buildkit:v0.33.1@sha256:cec9f139f45e93c5c69c60f8b07cfad9f43f4ef6b6a6cd917527fea5ff2e3dea';
export const DEFAULT_PLATFORMS = 'linux/amd64,linux/arm64';

/** Variants each architecture has, as buildx and containerd accept them. */
const VARIANTS: Readonly<Record<string, readonly string[]>> = { arm: ['v5', 'v6', 'v7', 'v8'], arm64: ['v8', 'v9'], amd64: ['v1', 'v2', 'v3', 'v4'] };
/** containerd's normalization, which BuildKit applies before pushing: what the registry will list. */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm: 'v7', arm64: 'v8', amd64: 'v1' };
const MAX_INPUT_LENGTH = 64 * 1024;

/** Called with each secret value the moment it is known, before anything could print it. */
export type MaskSecret = (secret: string) => void;

/**
 * Splits a list input the way docker's actions do: one item per line, and (unless
 * `commas` is false) also comma-separated. Blank lines and `#` comment lines are skipped.
 */
export function splitList(text: string, { commas }: { commas: boolean }): string[] {
  const lines = text.split(/\r?\n/).filter((line) => !line.trim().startsWith('#'));
  const items = commas ? lines.flatMap((line) => line.split(',')) : lines;
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

export function parseBoolean(name: InputName, text: string, fallback: boolean): boolean {
  const value = text.trim();
  if (value === '') return fallback;
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  throw new InputError(name, `"${value}" is not a boolean (use true or false)`, 'true');
}

export function parsePushMode(text: string): PushMode {
  const value = text.trim().toLowerCase() || 'auto';
  if (value === 'auto' || value === 'true' || value === 'false') return value;
  throw new InputError('push', `"${text.trim()}" is not one of auto, true, false`, 'auto');
}

export function parsePlatform(text: string, input: InputName = 'platforms'): Platform {
  const example = 'linux/amd64,linux/arm64';
  const parts = text.split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture) {
    throw new InputError(input, `"${text}" is not of the form os/arch[/variant]`, example);
  }
  if (os !== 'linux') {
    throw new InputError(input, `"${text}": only linux platforms can be built here, not "${os}"`, example);
  }
  if (!KNOWN_ARCHITECTURES.has(architecture)) {
    throw new InputError('platforms', `"${text}": unknown architecture "${architecture}" (known: ${[...KNOWN_ARCHITECTURES].join(', ')})`, example);
  }
  if (variant !== undefined && !VARIANTS[architecture]?.includes(variant)) {
    const known = VARIANTS[architecture];
    throw new InputError(input, `"${text}": "${variant}" is not a variant of ${architecture}${known ? ` (known: ${known.join(', ')})` : ''}`, 'linux/arm/v7');
  }
  // Spell it the way the pushed index will: linux/arm → linux/arm/v7, linux/arm64/v8 → linux/arm64.
  const normalizedVariant = architecture === 'arm' ? (variant ?? DEFAULT_VARIANT.arm) : variant === DEFAULT_VARIANT[architecture] ? undefined : variant;
  const name = [os, architecture, normalizedVariant].filter(Boolean).join('/');
  return { os, architecture, ...(normalizedVariant ? { variant: normalizedVariant } : {}), name };
}

export function parsePlatforms(text: string, input: InputName = 'platforms'): Platform[] {
  const names = splitList(text || DEFAULT_PLATFORMS, { commas: true });
  const platforms = names.map((name) => parsePlatform(name, input));
  return platforms.filter((platform, index) => platforms.findIndex((other) => other.name === platform.name) === index);
}

/**
 * `registry-auth`: a YAML list of {registry, username, password}. Passwords are masked as
 * soon as read. With `onEmptyPassword`, an entry whose password is empty (a secret this run
 * cannot read) is reported there and left out instead of being an error.
 */
export function parseRegistryAuth(text: string, mask: MaskSecret, onEmptyPassword?: (registry: string) => void): RegistryLogin[] {
  const example = '"- registry: ghcr.io\\n  username: ${{ github.actor }}\\n  password: ${{ secrets.GITHUB_TOKEN }}"';
  if (text.trim() === '') return [];
  let document: unknown;
  try {
    // failsafe: every scalar stays a string, so a password like 0123 or 1e3 is used verbatim.
    document = loadYaml(text, { schema: FAILSAFE_SCHEMA });
  } catch (error) {
    // Never echo the YAML source, nor the parser's message (it quotes the source): it holds passwords.
    const mark = error instanceof YAMLException ? error.mark : undefined;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    throw new InputError('registry-auth', `not valid YAML${where}`, example);
  }
  if (!Array.isArray(document)) {
    throw new InputError('registry-auth', 'must be a YAML list of entries with registry, username and password', example);
  }
  const logins = document
    .map((entry: unknown, index): RegistryLogin | undefined => {
      const where = `entry ${index + 1}`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new InputError('registry-auth', `${where} is not a mapping of registry, username and password`, example);
      }
      const record = entry as Record<string, unknown>;
      // Mask first: an error about a later field must not be the first place the password shows up.
      if (typeof record.password === 'string' && record.password !== '') mask(record.password);
      for (const key of Object.keys(record)) {
        if (!['registry', 'username', 'password'].includes(key)) {
          throw new InputError('registry-auth', `${where} has an unknown key "${key.slice(0, 40)}"`, example);
        }
      }
      const field = (key: 'registry' | 'username' | 'password'): string => {
        const value = record[key];
        if (typeof value !== 'string' && typeof value !== 'number') {
          throw new InputError('registry-auth', `${where} has no ${key} (or it is not a string)`, example);
        }
        const stringValue = String(value).trim();
        if (stringValue === '') throw new InputError('registry-auth', `${where} has an empty ${key}`, example);
        if (/[\r\n]/.test(stringValue)) throw new InputError('registry-auth', `${where}: ${key} contains a line break`, example);
        return stringValue;
      };
      const registry = field('registry');
      const host = registry
        .replace(/^https?:\/\//, '')
        .replace(/\/v[12]\/?$/, '')
        .replace(/\/+$/, '');
      if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) {
        throw new InputError(
          'registry-auth',
          `${where}: registry "${registry.slice(0, 100)}" is not a registry host: write host[:port] without a path (logins are per registry, not per repository)`,
          example,
        );
      }
      const username = field('username');
      // A secret the run cannot read (pull requests from forks) arrives as an empty string.
      if (onEmptyPassword && typeof record.password !== 'number' && String(record.password ?? '').trim() === '' && 'password' in record) {
        onEmptyPassword(normalizeRegistry(registry));
        return undefined;
      }
      const password = field('password');
      mask(password);
      mask(Buffer.from(`${username}:${password}`).toString('base64'));
      return { registry: normalizeRegistry(registry), username, password };
    })
    .filter((login): login is RegistryLogin => login !== undefined);
  const seen = new Set<string>();
  for (const login of logins) {
    if (seen.has(login.registry)) {
      throw new InputError('registry-auth', `registry "${login.registry}" is listed twice`, example);
    }
    seen.add(login.registry);
  }
  return logins;
}

const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*=/;
const ANNOTATION = /^(?:(?:manifest|index|manifest-descriptor|index-descriptor)(?:\[[a-z0-9/,]+\])?:)?[^=\s:][^=]*=/;

/** Output separators keep their whitespace (a lone space is a valid separator); default newline. */
function separator(text: string): string {
  return text === '' ? '\n' : text;
}
const LABEL = /^[^=\s][^=]*=/;

function parseKeyValueLines(name: InputName, text: string, pattern: RegExp, example: string): string[] {
  const lines = splitList(text, { commas: false });
  for (const line of lines) {
    if (!pattern.test(line)) {
      throw new InputError(name, `"${line.slice(0, 100)}" is not KEY=value`, example);
    }
  }
  return lines;
}

/**
 * True when `tags` holds metadata-action's rules rather than image references: some line
 * has a `key=value` field. A plain line beside them is a raw tag, as in metadata-action,
 * but one with a `/` is an image reference in the wrong place.
 */
export function tagsAreRules(text: string): boolean {
  const entries = listEntries(text);
  if (!Array.isArray(entries)) return true; // the rule parser reports the quoting problem
  const isRule = (entry: string): boolean => {
    const fields = splitFields(entry);
    return !Array.isArray(fields) || fields.some((field) => field.includes('='));
  };
  if (!entries.some(isRule)) return false;
  const reference = entries.find((entry) => !isRule(entry) && entry.includes('/'));
  if (reference !== undefined) {
    throw new InputError(
      'tags',
      `"${reference.slice(0, 100)}" is an image reference among tag rules: put image names in images, or write every line as an image reference`,
      'type=ref,event=branch (with images: ghcr.io/acme/app)',
    );
  }
  return true;
}

/** `secrets`: `id=value` lines; values are masked at once and written to files later, never put in argv. */
export function parseSecrets(text: string, mask: MaskSecret): BuildSecret[] {
  const secrets = splitList(text, { commas: false }).map((line, index) => {
    const equals = line.indexOf('=');
    const id = equals > 0 ? line.slice(0, equals).trim() : '';
    const value = equals > 0 ? line.slice(equals + 1) : '';
    if (value !== '') mask(value);
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || value === '') {
      throw new InputError('secrets', `line ${index + 1} is not id=value`, 'NPM_TOKEN=${{ secrets.NPM_TOKEN }}');
    }
    return { id, value };
  });
  const duplicate = secrets.find((secret, index) => secrets.findIndex((other) => other.id === secret.id) !== index);
  if (duplicate) throw new InputError('secrets', `the id "${duplicate.id}" is given twice`, 'NPM_TOKEN=${{ secrets.NPM_TOKEN }}');
  return secrets;
}

function optional(text: string): string | undefined {
  const value = text.trim();
  return value === '' ? undefined : value;
}

function singleLine(name: InputName, text: string, example: string): string | undefined {
  const value = optional(text);
  if (value !== undefined && /[\r\n]/.test(value)) {
    throw new InputError(name, 'must be a single line', example);
  }
  return value;
}

/**
 * Parses and validates every input once. `mask` receives each secret before any
 * other validation can fail, so no error message can carry one unmasked.
 */
export function parseInputs(raw: RawInputs, mask: MaskSecret): Inputs {
  // Secrets first: everything after this point may print.
  const registryAuthWithoutPassword: string[] = [];
  const registryAuth = parseRegistryAuth(raw['registry-auth'], mask, (registry) => registryAuthWithoutPassword.push(registry));
  const secrets = parseSecrets(raw.secrets, mask);
  for (const name of ['github-token', 'dockerhub-token', 'gcp-access-token'] as const) {
    const value = raw[name].trim();
    if (value) mask(value);
    if (/[\r\n\s]/.test(value)) throw new InputError(name, 'contains whitespace or a line break', name === 'github-token' ? '${{ github.token }}' : '${{ secrets.TOKEN }}');
  }

  for (const name of INPUT_NAMES) {
    if (raw[name].length > MAX_INPUT_LENGTH) {
      throw new InputError(name, `is ${raw[name].length} characters long, more than the ${MAX_INPUT_LENGTH} allowed`, 'a shorter value');
    }
  }

  // With `images`, `tags` is metadata-action's rule list; without, full image references,
  // unless its lines are rules (a `key=value` field, which no image reference has).
  const metadata =
    raw.images.trim() || tagsAreRules(raw.tags) ? parseMetadataInputs({ images: raw.images, tags: raw.tags, flavor: raw.flavor, labels: raw.labels, annotations: raw.annotations }) : undefined;
  if (!metadata && raw.flavor.trim()) throw new InputError('flavor', 'only applies together with images (the tag rules)', 'latest=auto');
  const tagExample = 'ghcr.io/acme/app:1.2.3';
  const tags = metadata ? [] : [...new Set(splitList(raw.tags, { commas: true }))].map((tag) => parseImageReference(tag, 'tags', tagExample));

  const file = singleLine('file', raw.file, 'docker/Dockerfile');
  const target = singleLine('target', raw.target, 'runtime');
  if (target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target)) {
    throw new InputError('target', `"${target.slice(0, 100)}" is not a build stage name`, 'runtime');
  }

  return {
    tags,
    push: parsePushMode(raw.push),
    dryRun: parseBoolean('dry-run', raw['dry-run'], false),
    registryAuth,
    registryAuthWithoutPassword,
    context: parseContext(raw.context),
    ...(file === undefined ? {} : { file }),
    platforms: parsePlatforms(raw.platforms),
    buildArgs: parseKeyValueLines('build-args', raw['build-args'], BUILD_ARG, 'NODE_VERSION=20'),
    ...(target === undefined ? {} : { target }),
    labels: metadata ? [] : parseKeyValueLines('labels', raw.labels, LABEL, 'org.opencontainers.image.vendor=Acme'),
    ...(metadata ? { metadata } : {}),
    annotations: metadata ? [] : parseKeyValueLines('annotations', raw.annotations, ANNOTATION, 'index:org.opencontainers.image.vendor=Acme'),
    separators: { tags: separator(raw['sep-tags']), labels: separator(raw['sep-labels']), annotations: separator(raw['sep-annotations']) },
    secrets,
    noCache: parseBoolean('no-cache', raw['no-cache'], false),
    pull: parseBoolean('pull', raw.pull, false),
    load: parseBoolean('load', raw.load, false),
    ...optionalField('provenance', singleLine('provenance', raw.provenance, 'mode=max')),
    ...optionalField('sbom', singleLine('sbom', raw.sbom, 'true')),
    cache: parseCacheMode(raw.cache),
    cacheWrite: parseBoolean('cache-write', raw['cache-write'], false),
    cacheFrom: splitList(raw['cache-from'], { commas: false }),
    cacheTo: splitList(raw['cache-to'], { commas: false }),
    outputs: splitList(raw.outputs, { commas: false }),
    qemuImage: singleLine('qemu-image', raw['qemu-image'], DEFAULT_QEMU_IMAGE) ?? DEFAULT_QEMU_IMAGE,
    buildkitImage: singleLine('buildkit-image', raw['buildkit-image'], DEFAULT_BUILDKIT_IMAGE) ?? DEFAULT_BUILDKIT_IMAGE,
    ...optionalField('builder', matching('builder', raw.builder, /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'a buildx builder name', 'builder-1a2b3c') || undefined),
    githubToken: raw['github-token'].trim(),
    dockerHubUsername: matching('dockerhub-username', raw['dockerhub-username'], /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/, 'a Docker ID', 'acme'),
    dockerHubToken: raw['dockerhub-token'].trim(),
    awsRoleToAssume: matching(
      'aws-role-to-assume',
      raw['aws-role-to-assume'],
      /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
      'an IAM role ARN',
      'arn:aws:iam::123456789012:role/github-push',
    ),
    awsRegion: matching('aws-region', raw['aws-region'], /^[a-z]{2}(?:-[a-z]+)+-\d$/, 'an AWS region', 'us-east-1'),
    awsRoleSessionName:
      matching('aws-role-session-name', raw['aws-role-session-name'], /^[\w+=,.@-]{2,64}$/, 'a role session name (2-64 of letters, digits and +=,.@_-)', 'build-push') || 'build-push',
    awsRoleDurationSeconds: parseInteger('aws-role-duration-seconds', raw['aws-role-duration-seconds'], 3600, 900, 43200),
    gcpWorkloadIdentityProvider: matching(
      'gcp-workload-identity-provider',
      raw['gcp-workload-identity-provider'],
      /^projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]+\/providers\/[a-z0-9-]+$/,
      'the full workload identity provider resource name',
      'projects/123456789/locations/global/workloadIdentityPools/github/providers/my-repo',
    ),
    gcpServiceAccount: matching(
      'gcp-service-account',
      raw['gcp-service-account'],
      /^[a-z0-9-]+@[a-z0-9.-]+\.iam\.gserviceaccount\.com$/,
      'a service account email',
      'pusher@my-project.iam.gserviceaccount.com',
    ),
    gcpAccessToken: raw['gcp-access-token'].trim(),
    retries: parseInteger('retries', raw.retries, 3, 0, 10),
    retryDelayMs: parseDurationInput('retry-delay', raw['retry-delay'], 2000, 0, 5 * 60_000) ?? 2000,
    ...optionalNumber('timeoutMs', parseDurationInput('timeout', raw.timeout, undefined, 1000, 6 * 3_600_000)),
    allowUntrustedCode: parseBoolean('allow-untrusted-code', raw['allow-untrusted-code'], false),
    reproducible: parseBoolean('reproducible', raw.reproducible, false),
    sign: parseBoolean('sign', raw.sign, false),
    attest: parseBoolean('attest', raw.attest, false),
    pushByDigest: parseBoolean('push-by-digest', raw['push-by-digest'], false),
    digestDir: singleLine('digest-dir', raw['digest-dir'], '${{ runner.temp }}/digests') ?? '',
    mergeDigests: raw['merge-digests'].trim(),
    ...optionalArgv('test', raw.test),
    testPlatforms: raw['test-platforms'].trim() ? parsePlatforms(raw['test-platforms'], 'test-platforms') : [],
    ...optionalArgv('scan', raw.scan),
  };
}

/** An optional single-token input that must match `pattern`; '' when unset. */
function matching(name: InputName, text: string, pattern: RegExp, what: string, example: string): string {
  const value = text.trim();
  if (value !== '' && !pattern.test(value)) throw new InputError(name, `"${value.slice(0, 200)}" is not ${what}`, example);
  return value;
}

function parseInteger(name: InputName, text: string, fallback: number, min: number, max: number): number {
  const value = text.trim();
  if (value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(name, `"${value.slice(0, 50)}" is not a whole number from ${min} to ${max}`, String(fallback));
  }
  return Number(value);
}

function parseDurationInput(name: InputName, text: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const value = text.trim();
  if (value === '') return fallback;
  const milliseconds = parseDuration(value);
  if (milliseconds === undefined || milliseconds < min || milliseconds > max) {
    throw new InputError(name, `"${value.slice(0, 50)}" is not a duration from ${min} ms to ${max / 60_000} minutes (a number with ms, s, m or h)`, name === 'timeout' ? '30m' : '2s');
  }
  return milliseconds;
}

function parseCacheMode(text: string): CacheMode {
  const value = text.trim().toLowerCase() || 'auto';
  if (['auto', 'gha', 'registry', 'local', 'none'].includes(value)) return value as CacheMode;
  throw new InputError('cache', `"${text.trim().slice(0, 50)}" is not one of auto, gha, registry, local, none`, 'gha');
}

function optionalArgv<K extends 'test' | 'scan'>(name: K, text: string): { [P in K]?: string[] } {
  const value = singleLine(name, text, name === 'test' ? 'npm test' : 'trivy image --exit-code 1 --severity CRITICAL {image}');
  if (value === undefined) return {};
  const argv = splitCommand(name, value);
  if (argv.length === 0) return {};
  if (name === 'scan' && !argv.some((arg) => arg.includes('{image}') || arg.includes('{oci}'))) {
    throw new InputError('scan', 'must name the image to scan with {image} (a loaded image reference) or {oci} (an OCI archive path)', 'trivy image --exit-code 1 --severity CRITICAL {image}');
  }
  return { [name]: argv } as { [P in K]?: string[] };
}

function optionalNumber<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

function parseContext(text: string): string {
  const context = singleLine('context', text, '.') ?? '.';
  if (context.startsWith('-')) throw new InputError('context', `"${context.slice(0, 100)}" looks like a command-line flag, not a folder`, './app');
  return context;
}

function optionalField<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
