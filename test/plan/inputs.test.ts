import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  DEFAULT_BUILDKIT_IMAGE,
  DEFAULT_PLATFORMS,
  DEFAULT_QEMU_IMAGE,
  INPUT_NAMES,
  parseBoolean,
  parseInputs,
  parsePlatform,
  parsePlatforms,
  parsePushMode,
  parseRegistryAuth,
  parseSecrets,
  splitList,
  type InputName,
  type Inputs,
  type Platform,
} from '../../src/plan/inputs.js';
import { expectInputError, inputsFrom, rawInputs, rawInputsWithDefaults, readActionYml, recordingMask } from '../support/inputs.js';

const base64 = (text: string): string => Buffer.from(text).toString('base64');
const noMask = (): void => undefined;

const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64', name: 'linux/amd64' };
const LINUX_ARM64: Platform = { os: 'linux', architecture: 'arm64', name: 'linux/arm64' };

/** What parseInputs returns when the workflow sets nothing. */
const DEFAULT_INPUTS: Inputs = {
  tags: [],
  push: 'auto',
  dryRun: false,
  registryAuth: [],
  context: '.',
  platforms: [LINUX_AMD64, LINUX_ARM64],
  buildArgs: [],
  labels: [],
  secrets: [],
  noCache: false,
  pull: false,
  load: false,
  cacheFrom: [],
  cacheTo: [],
  outputs: [],
  qemuImage: DEFAULT_QEMU_IMAGE,
  buildkitImage: DEFAULT_BUILDKIT_IMAGE,
  githubToken: '',
  dockerHubUsername: '',
  dockerHubToken: '',
  awsRoleToAssume: '',
  awsRegion: '',
  awsRoleSessionName: 'build-push',
  awsRoleDurationSeconds: 3600,
  gcpWorkloadIdentityProvider: '',
  gcpServiceAccount: '',
  gcpAccessToken: '',
  retries: 3,
  retryDelayMs: 2000,
  allowUntrustedCode: false,
  testPlatforms: [],
  annotations: [],
  separators: { tags: '\n', labels: '\n', annotations: '\n' },
  cache: 'auto',
  cacheWrite: false,
  reproducible: false,
  sign: false,
  attest: false,
  pushByDigest: false,
  digestDir: '',
  mergeDigests: '',
  registryAuthWithoutPassword: [],
};

describe('INPUT_NAMES and action.yml', () => {
  const action = readActionYml();

  it('lists exactly the inputs of action.yml, in the same order', () => {
    expect([...INPUT_NAMES]).toEqual(Object.keys(action.inputs));
  });

  it('has no input that action.yml lacks, and action.yml has none that INPUT_NAMES lacks', () => {
    const declared = new Set(Object.keys(action.inputs));
    const known = new Set<string>(INPUT_NAMES);
    expect(INPUT_NAMES.filter((name) => !declared.has(name))).toEqual([]);
    expect([...declared].filter((name) => !known.has(name))).toEqual([]);
  });

  it.each([
    ['platforms', DEFAULT_PLATFORMS],
    ['qemu-image', DEFAULT_QEMU_IMAGE],
    ['buildkit-image', DEFAULT_BUILDKIT_IMAGE],
    ['push', 'auto'],
    ['context', '.'],
  ])('the %s default in action.yml is the one the code falls back to (%s)', (name, value) => {
    expect(String(action.inputs[name]?.default)).toBe(value);
  });

  it('marks no input as required (the runner would then reject a workflow that omits it)', () => {
    expect(
      Object.entries(action.inputs)
        .filter(([, input]) => input.required === true)
        .map(([name]) => name),
    ).toEqual([]);
  });

  it('pins the default images by digest', () => {
    expect(DEFAULT_QEMU_IMAGE).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(DEFAULT_BUILDKIT_IMAGE).toMatch(/@sha256:[0-9a-f]{64}$/);
  });
});

describe('parseInputs with nothing set', () => {
  it('with the action.yml defaults (what the runner passes) gives the documented defaults', () => {
    expect(parseInputs(rawInputsWithDefaults(), noMask)).toStrictEqual(DEFAULT_INPUTS);
  });

  it("with '' for every input gives the same result as the action.yml defaults", () => {
    expect(parseInputs(rawInputs(), noMask)).toStrictEqual(DEFAULT_INPUTS);
  });

  it('calls mask for nothing when there are no secrets', () => {
    const { masked, mask } = recordingMask();
    parseInputs(rawInputsWithDefaults(), mask);
    expect(masked).toEqual([]);
  });

  it('leaves the optional fields out rather than setting them to undefined or empty', () => {
    const inputs = parseInputs(rawInputsWithDefaults(), noMask);
    for (const key of ['file', 'target', 'provenance', 'sbom']) expect(key in inputs, key).toBe(false);
  });
});

describe('parseInputs with every input set', () => {
  const registryAuth = [
    '- registry: ghcr.io',
    '  username: octocat',
    '  password: ghp_secretTOKEN123',
    '- registry: https://index.docker.io/v1/',
    '  username: acmebot',
    '  password: "dckr_pat_s3cr3t"',
  ].join('\n');
  const raw = rawInputsWithDefaults({
    tags: 'ghcr.io/acme/app:1.2.3\nghcr.io/acme/app:latest, docker.io/acme/app:1.2.3\nghcr.io/acme/app:1.2.3',
    push: 'true',
    'dry-run': 'True',
    'registry-auth': registryAuth,
    context: './app',
    file: './app/Dockerfile.prod',
    platforms: 'linux/amd64\nlinux/arm64, linux/arm/v7',
    'build-args': 'NODE_VERSION=20\n# a comment\nAPP_ENV=prod=yes\n\n',
    target: 'runtime',
    labels: 'org.opencontainers.image.vendor=Acme\norg.opencontainers.image.title=App, with a comma',
    secrets: 'NPM_TOKEN=npm_abc123\ngithub.token=ghs_xyz==',
    'no-cache': 'TRUE',
    pull: 'false',
    load: 'true',
    provenance: 'mode=max',
    sbom: 'true',
    'cache-from': 'type=gha\ntype=registry,ref=ghcr.io/acme/app:cache',
    'cache-to': 'type=gha,mode=max',
    outputs: 'type=image,name=ghcr.io/acme/app,push=false',
    'qemu-image': 'docker.io/tonistiigi/binfmt:latest',
    'buildkit-image': '  moby/buildkit:buildx-stable-1  ',
  });

  it('parses each input into its typed field', () => {
    expect(parseInputs(raw, noMask)).toStrictEqual({
      tags: [
        { full: 'ghcr.io/acme/app:1.2.3', registry: 'ghcr.io', repository: 'acme/app', tag: '1.2.3' },
        { full: 'ghcr.io/acme/app:latest', registry: 'ghcr.io', repository: 'acme/app', tag: 'latest' },
        { full: 'docker.io/acme/app:1.2.3', registry: 'docker.io', repository: 'acme/app', tag: '1.2.3' },
      ],
      push: 'true',
      dryRun: true,
      registryAuth: [
        { registry: 'ghcr.io', username: 'octocat', password: 'ghp_secretTOKEN123' },
        { registry: 'docker.io', username: 'acmebot', password: 'dckr_pat_s3cr3t' },
      ],
      context: './app',
      file: './app/Dockerfile.prod',
      platforms: [LINUX_AMD64, LINUX_ARM64, { os: 'linux', architecture: 'arm', variant: 'v7', name: 'linux/arm/v7' }],
      buildArgs: ['NODE_VERSION=20', 'APP_ENV=prod=yes'],
      target: 'runtime',
      labels: ['org.opencontainers.image.vendor=Acme', 'org.opencontainers.image.title=App, with a comma'],
      secrets: [
        { id: 'NPM_TOKEN', value: 'npm_abc123' },
        { id: 'github.token', value: 'ghs_xyz==' },
      ],
      noCache: true,
      pull: false,
      load: true,
      provenance: 'mode=max',
      sbom: 'true',
      cacheFrom: ['type=gha', 'type=registry,ref=ghcr.io/acme/app:cache'],
      cacheTo: ['type=gha,mode=max'],
      outputs: ['type=image,name=ghcr.io/acme/app,push=false'],
      qemuImage: 'docker.io/tonistiigi/binfmt:latest',
      buildkitImage: 'moby/buildkit:buildx-stable-1',
      githubToken: '',
      dockerHubUsername: '',
      dockerHubToken: '',
      awsRoleToAssume: '',
      awsRegion: '',
      awsRoleSessionName: 'build-push',
      awsRoleDurationSeconds: 3600,
      gcpWorkloadIdentityProvider: '',
      gcpServiceAccount: '',
      gcpAccessToken: '',
      retries: 3,
      retryDelayMs: 2000,
      allowUntrustedCode: false,
      testPlatforms: [],
      annotations: [],
      separators: { tags: '\n', labels: '\n', annotations: '\n' },
      cache: 'auto',
      cacheWrite: false,
      reproducible: false,
      sign: false,
      attest: false,
      pushByDigest: false,
      digestDir: '',
      mergeDigests: '',
      registryAuthWithoutPassword: [],
    } satisfies Inputs);
  });

  it('masks every registry password, every base64(username:password) and every build secret value', () => {
    const { masked, mask } = recordingMask();
    parseInputs(raw, mask);
    for (const secret of ['ghp_secretTOKEN123', base64('octocat:ghp_secretTOKEN123'), 'dckr_pat_s3cr3t', base64('acmebot:dckr_pat_s3cr3t'), 'npm_abc123', 'ghs_xyz==']) {
      expect(masked, secret).toContain(secret);
    }
  });

  it('masks nothing that is not a secret (usernames, registries, ids)', () => {
    const { masked, mask } = recordingMask();
    parseInputs(raw, mask);
    for (const notSecret of ['octocat', 'acmebot', 'ghcr.io', 'docker.io', 'NPM_TOKEN', 'github.token']) {
      expect(masked).not.toContain(notSecret);
    }
  });
});

describe('splitList', () => {
  it.each([
    ['', true, []],
    ['a', true, ['a']],
    ['a,b', true, ['a', 'b']],
    ['a, b ,c', true, ['a', 'b', 'c']],
    ['a\nb', true, ['a', 'b']],
    ['a\r\nb\r\n', true, ['a', 'b']],
    ['a,\n\n,b,', true, ['a', 'b']],
    ['# comment\na\n  # indented comment\nb', true, ['a', 'b']],
    ['a,b\nc', false, ['a,b', 'c']],
    ['  type=gha,mode=max  \n\n', false, ['type=gha,mode=max']],
    ['KEY=value # not a comment', false, ['KEY=value # not a comment']],
  ])('splitList(%j, commas: %s) is %j', (text, commas, expected) => {
    expect(splitList(text, { commas })).toEqual(expected);
  });
});

describe('parseBoolean', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    [' true\n', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('%j is %s', (text, expected) => {
    expect(parseBoolean('load', text, !expected)).toBe(expected);
  });

  it.each([true, false])("'' gives the fallback (%s)", (fallback) => {
    expect(parseBoolean('load', '', fallback)).toBe(fallback);
    expect(parseBoolean('load', '   ', fallback)).toBe(fallback);
  });

  it.each(['yes', 'no', '1', '0', 'on', 'off', 'tRUE', 'y', 'enabled'])('%j is rejected with an InputError naming the input', (text) => {
    const error = expectInputError(() => parseBoolean('no-cache', text, false), 'no-cache');
    expect(error.message).toContain(`"${text}" is not a boolean`);
  });
});

describe('parsePushMode', () => {
  it.each([
    ['auto', 'auto'],
    ['', 'auto'],
    ['  ', 'auto'],
    ['true', 'true'],
    ['false', 'false'],
    [' True ', 'true'],
    ['FALSE', 'false'],
    ['AUTO', 'auto'],
  ])('%j is %s', (text, expected) => {
    expect(parsePushMode(text)).toBe(expected);
  });

  it.each(['maybe', 'yes', 'no', '1', 'always', 'never'])('%j is rejected', (text) => {
    const error = expectInputError(() => parsePushMode(text), 'push');
    expect(error.message).toContain(`"${text}" is not one of auto, true, false`);
  });
});

describe('parsePlatform', () => {
  it.each<[string, Platform]>([
    ['linux/amd64', LINUX_AMD64],
    ['linux/arm64', LINUX_ARM64],
    ['linux/386', { os: 'linux', architecture: '386', name: 'linux/386' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7', name: 'linux/arm/v7' }],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v6', name: 'linux/arm/v6' }],
    ['linux/arm/v5', { os: 'linux', architecture: 'arm', variant: 'v5', name: 'linux/arm/v5' }],
    // Normalized as BuildKit pushes them, so verification compares like with like.
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', name: 'linux/arm64' }],
    ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v7', name: 'linux/arm/v7' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3', name: 'linux/amd64/v3' }],
    ['linux/ppc64le', { os: 'linux', architecture: 'ppc64le', name: 'linux/ppc64le' }],
    ['linux/s390x', { os: 'linux', architecture: 's390x', name: 'linux/s390x' }],
    ['linux/riscv64', { os: 'linux', architecture: 'riscv64', name: 'linux/riscv64' }],
    ['linux/mips64le', { os: 'linux', architecture: 'mips64le', name: 'linux/mips64le' }],
    ['linux/loong64', { os: 'linux', architecture: 'loong64', name: 'linux/loong64' }],
  ])('%s', (text, expected) => {
    expect(parsePlatform(text)).toStrictEqual(expected);
  });

  it.each([
    ['linux', 'is not of the form os/arch[/variant]'],
    ['amd64', 'is not of the form os/arch[/variant]'],
    ['linux/', 'is not of the form os/arch[/variant]'],
    ['/amd64', 'is not of the form os/arch[/variant]'],
    ['linux/arm/v7/extra', 'is not of the form os/arch[/variant]'],
    ['windows/amd64', 'only linux platforms can be built here, not "windows"'],
    ['darwin/arm64', 'only linux platforms can be built here, not "darwin"'],
    ['Linux/amd64', 'only linux platforms can be built here'],
    ['linux/sparc64', 'unknown architecture "sparc64"'],
    ['linux/x86_64', 'unknown architecture "x86_64"'],
    ['linux/aarch64', 'unknown architecture "aarch64"'],
    ['linux/arm/v9', '"v9" is not a variant of arm'],
    ['linux/arm/7', '"7" is not a variant of arm'],
    ['linux/386/v7', '"v7" is not a variant of 386'],
    ['linux/s390x/v1', '"v1" is not a variant of s390x'],
    ['linux/arm/', '"" is not a variant of arm'],
  ])('%j is rejected: %s', (text, problem) => {
    const error = expectInputError(() => parsePlatform(text), 'platforms');
    expect(error.message).toContain(problem);
  });
});

describe('parsePlatforms', () => {
  it.each([
    ['', ['linux/amd64', 'linux/arm64']],
    ['linux/amd64', ['linux/amd64']],
    ['linux/amd64,linux/arm64', ['linux/amd64', 'linux/arm64']],
    ['linux/arm64\nlinux/amd64\n', ['linux/arm64', 'linux/amd64']],
    ['linux/amd64, linux/amd64,linux/arm/v7', ['linux/amd64', 'linux/arm/v7']],
    ['# emulated too\nlinux/amd64\nlinux/s390x', ['linux/amd64', 'linux/s390x']],
  ])('%j gives %j', (text, names) => {
    expect(parsePlatforms(text).map((platform) => platform.name)).toEqual(names);
  });

  it('fails on the first bad platform of a list', () => {
    const error = expectInputError(() => parsePlatforms('linux/amd64,windows/amd64'), 'platforms');
    expect(error.message).toContain('windows/amd64');
  });
});

describe('parseRegistryAuth', () => {
  it('returns [] for empty text without masking anything', () => {
    const { masked, mask } = recordingMask();
    expect(parseRegistryAuth('', mask)).toEqual([]);
    expect(parseRegistryAuth('  \n ', mask)).toEqual([]);
    expect(masked).toEqual([]);
  });

  it.each([
    ['ghcr.io', 'ghcr.io'],
    ['GHCR.IO', 'ghcr.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['registry.example.com:5000', 'registry.example.com:5000'],
    ['localhost:5000', 'localhost:5000'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
  ])('normalizes the registry %j to %j', (registry, normalized) => {
    const logins = parseRegistryAuth(`- registry: ${registry}\n  username: bob\n  password: pw`, noMask);
    expect(logins).toEqual([{ registry: normalized, username: 'bob', password: 'pw' }]);
  });

  it('trims values and accepts quoted YAML strings', () => {
    const yaml = `- registry: ' ghcr.io '\n  username: "octo cat"\n  password: 'p@ss: word #1'`;
    expect(parseRegistryAuth(yaml, noMask)).toEqual([{ registry: 'ghcr.io', username: 'octo cat', password: 'p@ss: word #1' }]);
  });

  it('masks each password and base64(username:password), entry by entry', () => {
    const { masked, mask } = recordingMask();
    parseRegistryAuth('- registry: ghcr.io\n  username: a\n  password: pw-one\n- registry: quay.io\n  username: b\n  password: pw-two', mask);
    expect(masked).toEqual(expect.arrayContaining(['pw-one', base64('a:pw-one'), 'pw-two', base64('b:pw-two')]));
    expect(masked.indexOf('pw-one')).toBeLessThan(masked.indexOf('pw-two'));
  });

  it.each([
    ['an unknown key', '- registry: ghcr.io\n  username: bob\n  password: pw-later-field\n  email: bob@example.com', 'unknown key "email"'],
    ['a bad registry host', '- registry: "ghcr io"\n  username: bob\n  password: pw-later-field', 'is not a registry host'],
    ['an empty username', '- registry: ghcr.io\n  username: ""\n  password: pw-later-field', 'entry 1 has an empty username'],
    ['a missing username', '- registry: ghcr.io\n  password: pw-later-field', 'entry 1 has no username'],
    ['a missing registry', '- username: bob\n  password: pw-later-field', 'entry 1 has no registry'],
    ['a username with a line break', '- registry: ghcr.io\n  username: |\n    bob\n    alice\n  password: pw-later-field', 'username contains a line break'],
    ['an unknown key written before the password', '- registry: ghcr.io\n  usernme: bob\n  password: pw-later-field', 'unknown key "usernme"'],
  ])('masks the password even when the entry has %s, and does not print it', (_, yaml, problem) => {
    const { masked, mask } = recordingMask();
    const error = expectInputError(() => parseRegistryAuth(yaml, mask), 'registry-auth');
    expect(error.message).toContain(problem);
    expect(masked).toContain('pw-later-field');
    expect(error.message).not.toContain('pw-later-field');
  });

  it('masks the passwords of every entry when the error is about a later entry', () => {
    const { masked, mask } = recordingMask();
    const yaml = '- registry: ghcr.io\n  username: a\n  password: pw-first\n- registry: quay.io\n  username: b\n  password: pw-second\n  extra: x';
    expectInputError(() => parseRegistryAuth(yaml, mask), 'registry-auth');
    expect(masked).toEqual(expect.arrayContaining(['pw-first', base64('a:pw-first'), 'pw-second']));
  });

  it('masks both passwords of a duplicated registry', () => {
    const { masked, mask } = recordingMask();
    const yaml = '- registry: ghcr.io\n  username: a\n  password: pw-first\n- registry: ghcr.io\n  username: b\n  password: pw-second';
    const error = expectInputError(() => parseRegistryAuth(yaml, mask), 'registry-auth');
    expect(error.message).toContain('registry "ghcr.io" is listed twice');
    expect(masked).toEqual(expect.arrayContaining(['pw-first', 'pw-second']));
  });

  it('detects duplicates after normalization (docker.io and index.docker.io are one registry)', () => {
    const yaml = '- registry: docker.io\n  username: a\n  password: x\n- registry: https://index.docker.io/v1/\n  username: b\n  password: y';
    const error = expectInputError(() => parseRegistryAuth(yaml, noMask), 'registry-auth');
    expect(error.message).toContain('registry "docker.io" is listed twice');
  });

  it.each([
    ['an unterminated quote', '- registry: ghcr.io\n  username: bob\n  password: "hunter2-TOPSECRET'],
    ['an unterminated flow sequence', '- registry: ghcr.io\n  username: bob\n  password: [hunter2-TOPSECRET'],
    ['a tab indentation', '- registry: ghcr.io\n\tusername: bob\n\tpassword: hunter2-TOPSECRET'],
    ['a nested mapping', '- registry: ghcr.io\n  username: bob\n  password: hunter2-TOPSECRET: more'],
    ['a duplicate key', '- registry: ghcr.io\n  password: hunter2-TOPSECRET\n  password: hunter2-TOPSECRET'],
  ])('rejects invalid YAML (%s) without echoing the YAML', (_, yaml) => {
    const error = expectInputError(() => parseRegistryAuth(yaml, noMask), 'registry-auth');
    expect(error.message).toContain('not valid YAML');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('TOPSECRET');
    expect(error.message).not.toContain('bob');
  });

  it('names the line and column of a YAML error', () => {
    const error = expectInputError(() => parseRegistryAuth('- registry: ghcr.io\n  username: bob\n  password: "unterminated', noMask), 'registry-auth');
    expect(error.message).toMatch(/not valid YAML at line 3, column \d+/);
    expect(error.message).not.toContain('unterminated');
  });

  it.each([
    ['a mapping', 'registry: ghcr.io\nusername: bob\npassword: hunter2-TOPSECRET'],
    ['a string', 'ghcr.io'],
    ['a number', '42'],
  ])('rejects a document that is %s instead of a list, without echoing it', (_, yaml) => {
    const error = expectInputError(() => parseRegistryAuth(yaml, noMask), 'registry-auth');
    expect(error.message).toContain('must be a YAML list');
    expect(error.message).not.toContain('TOPSECRET');
  });

  it.each([
    ['a string', '- ghcr.io'],
    ['null', '-'],
    ['a list', '- - ghcr.io'],
  ])('rejects an entry that is %s', (_, yaml) => {
    const error = expectInputError(() => parseRegistryAuth(yaml, noMask), 'registry-auth');
    expect(error.message).toContain('entry 1 is not a mapping');
  });

  it.each([
    ['missing', '- registry: ghcr.io\n  username: bob', 'entry 1 has no password'],
    ['empty', '- registry: ghcr.io\n  username: bob\n  password: ""', 'entry 1 has an empty password'],
    ['blank', "- registry: ghcr.io\n  username: bob\n  password: '   '", 'entry 1 has an empty password'],
    ['null', '- registry: ghcr.io\n  username: bob\n  password:', 'entry 1 has an empty password'],
    ['a list', '- registry: ghcr.io\n  username: bob\n  password: [a, b]', 'entry 1 has no password'],
  ])('rejects a password that is %s', (_, yaml, problem) => {
    const error = expectInputError(() => parseRegistryAuth(yaml, noMask), 'registry-auth');
    expect(error.message).toContain(problem);
  });

  it('leaves out (and reports) an entry whose password is empty when asked to: a secret forks cannot read', () => {
    const empty: string[] = [];
    const logins = parseRegistryAuth('- registry: ghcr.io\n  username: bob\n  password: ""\n- registry: quay.io\n  username: a\n  password: x', noMask, (registry) => empty.push(registry));
    expect(logins.map((login) => login.registry)).toEqual(['quay.io']);
    expect(empty).toEqual(['ghcr.io']);
  });

  it('keeps a password that looks like a boolean as the text it is', () => {
    expect(parseRegistryAuth('- registry: ghcr.io\n  username: bob\n  password: true', noMask)[0]?.password).toBe('true');
  });

  it('names the entry that is wrong', () => {
    const yaml = '- registry: ghcr.io\n  username: a\n  password: x\n- registry: quay.io\n  username: b';
    const error = expectInputError(() => parseRegistryAuth(yaml, noMask), 'registry-auth');
    expect(error.message).toContain('entry 2 has no password');
  });

  it.each(['ghcr.io?x=1', 'ghcr io', 'user@ghcr.io', 'ghcr.io/org name'])('rejects the registry %j', (registry) => {
    const error = expectInputError(() => parseRegistryAuth(`- registry: "${registry}"\n  username: a\n  password: x`, noMask), 'registry-auth');
    expect(error.message).toContain('is not a registry host');
  });

  it('cuts a long unknown key short in the message', () => {
    const key = 'k'.repeat(200);
    const error = expectInputError(() => parseRegistryAuth(`- registry: ghcr.io\n  ${key}: v`, noMask), 'registry-auth');
    expect(error.message).toContain(`unknown key "${'k'.repeat(40)}"`);
    expect(error.message).not.toContain('k'.repeat(41));
  });

  // BUG (src/inputs.ts:154,179-182): YAML's core schema turns unquoted numeric-looking
  // scalars into numbers, and String(number) is not the text the user's secret holds.
  // The documented usage `password: ${{ secrets.X }}` is unquoted, so a secret such as
  // 0123 logs in with "123" (and 1e3 with "1000"), and the real text is never masked.
  it('uses (and masks) a numeric-looking password verbatim', () => {
    const { masked, mask } = recordingMask();
    const logins = parseRegistryAuth('- registry: ghcr.io\n  username: bob\n  password: 0123', mask);
    expect(logins[0]?.password).toBe('0123');
    expect(masked).toContain('0123');
  });
});

describe('parseSecrets', () => {
  it.each([
    ['', []],
    ['NPM_TOKEN=abc', [{ id: 'NPM_TOKEN', value: 'abc' }]],
    [
      'a=1\nb.c-d_e=2',
      [
        { id: 'a', value: '1' },
        { id: 'b.c-d_e', value: '2' },
      ],
    ],
    ['TOKEN=a=b==', [{ id: 'TOKEN', value: 'a=b==' }]],
    ['TOKEN=a,b', [{ id: 'TOKEN', value: 'a,b' }]],
    ['# the npm token\nNPM=x\n\n', [{ id: 'NPM', value: 'x' }]],
  ])('%j gives %j', (text, expected) => {
    expect(parseSecrets(text, noMask)).toEqual(expected);
  });

  it('masks each value, and only the values', () => {
    const { masked, mask } = recordingMask();
    parseSecrets('NPM_TOKEN=npm-secret\nPIP_TOKEN=pip-secret', mask);
    expect(masked).toEqual(['npm-secret', 'pip-secret']);
  });

  it.each([
    ['a line without "="', 'NPM_TOKEN', 'line 1 is not id=value'],
    ['an empty id', '=value-TOPSECRET', 'line 1 is not id=value'],
    ['an empty value', 'NPM_TOKEN=', 'line 1 is not id=value'],
    ['an id with spaces', 'npm token=value-TOPSECRET', 'line 1 is not id=value'],
    ['an id with a bad character', 'npm/token=value-TOPSECRET', 'line 1 is not id=value'],
    ['a bad second line', 'A=1\nB', 'line 2 is not id=value'],
  ])('rejects %s without echoing the line', (_, text, problem) => {
    const error = expectInputError(() => parseSecrets(text, noMask), 'secrets');
    expect(error.message).toContain(problem);
    expect(error.message).not.toContain('TOPSECRET');
  });

  it('masks a value even when its id is invalid', () => {
    const { masked, mask } = recordingMask();
    expectInputError(() => parseSecrets('bad id!=value-TOPSECRET', mask), 'secrets');
    expect(masked).toContain('value-TOPSECRET');
  });

  it('masks earlier values when a later line is invalid', () => {
    const { masked, mask } = recordingMask();
    expectInputError(() => parseSecrets('A=first-secret\nnot a secret line', mask), 'secrets');
    expect(masked).toContain('first-secret');
  });
});

describe('parseInputs rejects bad input with an InputError that names the input and shows a valid value', () => {
  const cases: [string, Partial<Record<InputName, string>>, InputName, string][] = [
    ['tags separated by spaces', { tags: 'ghcr.io/acme/app:1.2.3 ghcr.io/acme/app:latest' }, 'tags', 'contains whitespace'],
    ['a tag with a space', { tags: 'ghcr.io/acme/app:1.2 3' }, 'tags', 'contains whitespace'],
    ['an uppercase repository', { tags: 'ghcr.io/Acme/App:1.2.3' }, 'tags', 'repository names must be lowercase'],
    ['an uppercase Docker Hub repository', { tags: 'Acme/app:1' }, 'tags', 'repository names must be lowercase'],
    ['a digest in a tag', { tags: `ghcr.io/acme/app@sha256:${'a'.repeat(64)}` }, 'tags', 'a digest (@sha256:...) cannot be a tag'],
    ['a tag and digest', { tags: `ghcr.io/acme/app:1@sha256:${'a'.repeat(64)}` }, 'tags', 'a digest'],
    ['a "+" in the tag', { tags: 'ghcr.io/acme/app:1.2.3+build.4' }, 'tags', 'the tag "1.2.3+build.4" must be 1 to 128'],
    ['a tag starting with "-"', { tags: 'ghcr.io/acme/app:-rc1' }, 'tags', 'the tag "-rc1"'],
    ['a tag starting with "."', { tags: 'ghcr.io/acme/app:.1' }, 'tags', 'the tag ".1"'],
    ['an empty tag after ":"', { tags: 'ghcr.io/acme/app:' }, 'tags', 'the tag ""'],
    ['a 129-character tag', { tags: `ghcr.io/acme/app:${'a'.repeat(129)}` }, 'tags', 'must be 1 to 128'],
    ['a bad tag among good ones', { tags: 'ghcr.io/acme/app:ok\nghcr.io/acme/app:not/ok' }, 'tags', 'is not a valid image reference'],
    ['an empty path component', { tags: 'ghcr.io/acme//app:1' }, 'tags', '"" is not a valid path component'],
    ['push=maybe', { push: 'maybe' }, 'push', '"maybe" is not one of auto, true, false'],
    ['dry-run=yes', { 'dry-run': 'yes' }, 'dry-run', '"yes" is not a boolean'],
    ['no-cache=1', { 'no-cache': '1' }, 'no-cache', '"1" is not a boolean'],
    ['pull=on', { pull: 'on' }, 'pull', '"on" is not a boolean'],
    ['load=enabled', { load: 'enabled' }, 'load', '"enabled" is not a boolean'],
    ['an unknown platform', { platforms: 'linux/amd64,linux/sparc64' }, 'platforms', 'unknown architecture "sparc64"'],
    ['a windows platform', { platforms: 'windows/amd64' }, 'platforms', 'only linux platforms'],
    ['a bad variant', { platforms: 'linux/arm/v9' }, 'platforms', '"v9" is not a variant of arm'],
    ['a variant of a non-arm architecture', { platforms: 'linux/386/v7' }, 'platforms', 'is not a variant of 386'],
    ['a platform without os', { platforms: 'arm64' }, 'platforms', 'is not of the form os/arch[/variant]'],
    ['registry-auth not a list', { 'registry-auth': 'registry: ghcr.io' }, 'registry-auth', 'must be a YAML list'],
    ['registry-auth without password', { 'registry-auth': '- registry: ghcr.io\n  username: bob' }, 'registry-auth', 'has no password'],
    ['registry-auth with an unknown key', { 'registry-auth': '- registry: ghcr.io\n  username: bob\n  password: x\n  token: y' }, 'registry-auth', 'unknown key "token"'],
    [
      'registry-auth listing a registry twice',
      { 'registry-auth': '- registry: ghcr.io\n  username: a\n  password: x\n- registry: ghcr.io\n  username: b\n  password: y' },
      'registry-auth',
      'listed twice',
    ],
    ['registry-auth that is not YAML', { 'registry-auth': '- registry: "ghcr.io' }, 'registry-auth', 'not valid YAML'],
    ['build-args without "="', { 'build-args': 'NODE_VERSION' }, 'build-args', '"NODE_VERSION" is not KEY=value'],
    ['build-args with a bad key', { 'build-args': '1NODE=20' }, 'build-args', 'is not KEY=value'],
    ['build-args with an empty key', { 'build-args': '=20' }, 'build-args', 'is not KEY=value'],
    ['build-args with a space in the key', { 'build-args': 'NODE VERSION=20' }, 'build-args', 'is not KEY=value'],
    ['labels without "="', { labels: 'org.opencontainers.image.vendor' }, 'labels', 'is not KEY=value'],
    ['labels with an empty key', { labels: '=Acme' }, 'labels', 'is not KEY=value'],
    ['secrets without "="', { secrets: 'NPM_TOKEN' }, 'secrets', 'line 1 is not id=value'],
    ['a target with spaces', { target: 'build stage' }, 'target', '"build stage" is not a build stage name'],
    ['a target starting with "-"', { target: '-runtime' }, 'target', 'is not a build stage name'],
    ['a multi-line target', { target: 'a\nb' }, 'target', 'must be a single line'],
    ['a context starting with "-"', { context: '--push' }, 'context', 'looks like a command-line flag'],
    ['the context "-" (stdin)', { context: '-' }, 'context', 'looks like a command-line flag'],
    ['a multi-line context', { context: './a\n./b' }, 'context', 'must be a single line'],
    ['a multi-line file', { file: 'Dockerfile\nDockerfile.prod' }, 'file', 'must be a single line'],
    ['a multi-line file (CRLF)', { file: 'Dockerfile\r\nDockerfile.prod' }, 'file', 'must be a single line'],
    ['a multi-line provenance', { provenance: 'mode=max\nfalse' }, 'provenance', 'must be a single line'],
    ['a multi-line sbom', { sbom: 'true\nfalse' }, 'sbom', 'must be a single line'],
    ['a multi-line qemu-image', { 'qemu-image': 'a\nb' }, 'qemu-image', 'must be a single line'],
    ['a multi-line buildkit-image', { 'buildkit-image': 'a\nb' }, 'buildkit-image', 'must be a single line'],
    ['labels longer than 64 KiB', { labels: `a=${'x'.repeat(64 * 1024)}` }, 'labels', `is ${64 * 1024 + 2} characters long, more than the 65536 allowed`],
    ['cache-from longer than 64 KiB', { 'cache-from': 'type=gha\n'.repeat(8000) }, 'cache-from', 'more than the 65536 allowed'],
  ];

  it.each(cases)('%s', (_, overrides, input, problem) => {
    const error = expectInputError(() => parseInputs(rawInputsWithDefaults(overrides), noMask), input);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(problem);
  });

  it('keeps a very long value out of the message', () => {
    const error = expectInputError(() => parseInputs(rawInputs({ 'build-args': `A=${'q'.repeat(70_000)}` }), noMask), 'build-args');
    expect(error.message.length).toBeLessThan(300);
  });

  it('accepts a value of exactly 64 KiB', () => {
    const value = `A=${'x'.repeat(64 * 1024 - 2)}`;
    expect(value.length).toBe(65536);
    expect(inputsFrom({ 'build-args': value }).buildArgs).toEqual([value]);
  });

  it('cuts a long bad line short in the message', () => {
    const error = expectInputError(() => inputsFrom({ labels: 'z'.repeat(500) }), 'labels');
    expect(error.message).toContain(`"${'z'.repeat(100)}" is not KEY=value`);
    expect(error.message).not.toContain('z'.repeat(101));
  });
});

describe('parseInputs masking', () => {
  const registryAuth = '- registry: ghcr.io\n  username: octocat\n  password: ghp_TOPSECRET\n- registry: quay.io\n  username: robot\n  password: quay-TOPSECRET';

  it('masks registry passwords and secrets even when a later input is invalid', () => {
    const { masked, mask } = recordingMask();
    expectInputError(() => parseInputs(rawInputs({ 'registry-auth': registryAuth, secrets: 'NPM=npm-TOPSECRET', tags: 'Bad Tag' }), mask), 'tags');
    expect(masked).toEqual(expect.arrayContaining(['ghp_TOPSECRET', base64('octocat:ghp_TOPSECRET'), 'quay-TOPSECRET', base64('robot:quay-TOPSECRET'), 'npm-TOPSECRET']));
  });

  it('masks secrets before the length check can fail', () => {
    const { masked, mask } = recordingMask();
    const longPassword = `pw-${'s'.repeat(70_000)}`;
    const error = expectInputError(
      () => parseInputs(rawInputs({ 'registry-auth': `- registry: ghcr.io\n  username: bob\n  password: ${longPassword}`, secrets: 'NPM=npm-TOPSECRET' }), mask),
      'registry-auth',
    );
    expect(error.message).toContain('characters long');
    expect(error.message).not.toContain('pw-sss');
    expect(masked).toEqual(expect.arrayContaining([longPassword, 'npm-TOPSECRET']));
  });

  it('masks a registry password whose entry has an invalid later field, through parseInputs', () => {
    const { masked, mask } = recordingMask();
    expectInputError(() => parseInputs(rawInputs({ 'registry-auth': '- registry: ghcr.io\n  password: only-TOPSECRET\n  username: ""' }), mask), 'registry-auth');
    expect(masked).toContain('only-TOPSECRET');
  });

  it('never puts a secret in an error message', () => {
    const attempts: Partial<Record<InputName, string>>[] = [
      { 'registry-auth': registryAuth, secrets: 'NPM=npm-TOPSECRET', platforms: 'windows/amd64' },
      { 'registry-auth': registryAuth, secrets: 'NPM=npm-TOPSECRET\nbroken' },
      { 'registry-auth': `${registryAuth}\n  extra: 1`, secrets: 'NPM=npm-TOPSECRET' },
    ];
    for (const overrides of attempts) {
      let message = '';
      try {
        parseInputs(rawInputs(overrides), noMask);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('TOPSECRET');
    }
  });
});

describe('parseInputs details', () => {
  it('drops duplicate tags and keeps their order', () => {
    expect(inputsFrom({ tags: 'b/app:2,a/app:1\nb/app:2' }).tags.map((tag) => tag.full)).toEqual(['b/app:2', 'a/app:1']);
  });

  it.each([
    ['', '.'],
    ['  ', '.'],
    ['./app', './app'],
    [' app/ ', 'app/'],
    ['https://github.com/acme/app.git#main', 'https://github.com/acme/app.git#main'],
  ])('context %j is %j', (text, context) => {
    expect(inputsFrom({ context: text }).context).toBe(context);
  });

  it('accepts a file with a trailing newline (as YAML block scalars leave)', () => {
    expect(inputsFrom({ file: 'docker/Dockerfile\n' }).file).toBe('docker/Dockerfile');
  });

  it.each([
    ['runtime', 'runtime'],
    ['build-stage_2.final', 'build-stage_2.final'],
    ['  Runtime  ', 'Runtime'],
  ])('target %j is %j', (text, target) => {
    expect(inputsFrom({ target: text }).target).toBe(target);
  });

  it.each([
    ['false', 'false'],
    ['mode=max', 'mode=max'],
    ['  generator=docker/buildkit-syft-scanner  ', 'generator=docker/buildkit-syft-scanner'],
  ])('provenance and sbom keep %j as %j', (text, value) => {
    const inputs = inputsFrom({ provenance: text, sbom: text });
    expect(inputs.provenance).toBe(value);
    expect(inputs.sbom).toBe(value);
  });

  it('keeps commas inside cache-from, cache-to, outputs and labels (one item per line)', () => {
    const inputs = inputsFrom({
      'cache-from': 'type=registry,ref=ghcr.io/acme/app:cache',
      'cache-to': 'type=registry,ref=ghcr.io/acme/app:cache,mode=max',
      outputs: 'type=local,dest=out',
      labels: 'description=a, b',
    });
    expect(inputs.cacheFrom).toEqual(['type=registry,ref=ghcr.io/acme/app:cache']);
    expect(inputs.cacheTo).toEqual(['type=registry,ref=ghcr.io/acme/app:cache,mode=max']);
    expect(inputs.outputs).toEqual(['type=local,dest=out']);
    expect(inputs.labels).toEqual(['description=a, b']);
  });

  it('accepts build-arg values that are empty or contain "="', () => {
    expect(inputsFrom({ 'build-args': 'EMPTY=\n_UNDERSCORE=x=y' }).buildArgs).toEqual(['EMPTY=', '_UNDERSCORE=x=y']);
  });
});
