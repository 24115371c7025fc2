import { describe, expect, it } from 'vitest';
import { builderCreateError, createBuilderArgs, parseBuilderInspect, parseBuildxVersion, pushesTwiceWithDockerDriver, currentBuilderName, usesContainerdStore } from '../../src/phases/builder.js';
import { builderNeeds, chooseBuilder, type BuilderInfo, type BuildRequest } from '../../src/plan/builder.js';
import { parsePlatforms } from '../../src/plan/inputs.js';

// `docker buildx inspect` on a GitHub-hosted ubuntu runner: the default builder, docker driver.
const DOCKER_DRIVER_INSPECT = `Name:          default
Driver:        docker
Last Activity: 2025-11-20 10:01:12 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.23.2
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/386
Labels:
 org.mobyproject.buildkit.worker.moby.host-gateway-ip: 172.17.0.1
GC Policy rule#0:
 All:            false
 Filters:        type==source.local,type==exec.cachemount,type==source.git.checkout
 Keep Duration:  48h0m0s
 Max Used Space: 2.764GiB
GC Policy rule#1:
 All:            false
 Keep Duration:  1440h0m0s
 Reserved Space: 9.313GiB
`;

// A docker-container builder with two nodes (created with --platform, hence the `*` marks).
const DOCKER_CONTAINER_INSPECT = `Name:          multiarch
Driver:        docker-container
Last Activity: 2025-11-20 10:05:40 +0000 UTC

Nodes:
Name:                  multiarch0
Endpoint:              unix:///var/run/docker.sock
Driver Options:        image="moby/buildkit:v0.23.2"
Status:                running
BuildKit daemon flags: --allow-insecure-entitlement=network.host
BuildKit version:      v0.23.2
Platforms:             linux/amd64*, linux/arm64*, linux/amd64/v2, linux/amd64/v3, linux/386, linux/arm/v7, linux/arm/v6
Labels:
 org.mobyproject.buildkit.worker.executor:         oci
 org.mobyproject.buildkit.worker.hostname:         0b1c2d3e4f50
 org.mobyproject.buildkit.worker.network:          host
 org.mobyproject.buildkit.worker.oci.process-mode: sandbox
 org.mobyproject.buildkit.worker.selinux.enabled:  false
 org.mobyproject.buildkit.worker.snapshotter:      overlayfs
GC Policy rule#0:
 All:            false
 Filters:        type==source.local,type==exec.cachemount,type==source.git.checkout
 Keep Duration:  48h0m0s

Name:                  multiarch1
Endpoint:              ssh://ubuntu@arm-box.example.com
Status:                running
BuildKit version:      v0.23.2
Platforms:             linux/arm64*, linux/arm/v7, linux/arm/v6, linux/riscv64
Labels:
 org.mobyproject.buildkit.worker.executor:         oci
`;

// A docker-container builder that was created but never started: no platforms yet.
const INACTIVE_INSPECT = `Name:          idle
Driver:        docker-container
Last Activity: 2025-11-19 08:00:00 +0000 UTC

Nodes:
Name:      idle0
Endpoint:  unix:///var/run/docker.sock
Status:    inactive
Platforms:
`;

describe('parseBuilderInspect', () => {
  it('reads the docker-driver default builder', () => {
    expect(parseBuilderInspect(DOCKER_DRIVER_INSPECT)).toEqual({
      name: 'default',
      driver: 'docker',
      platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/386'],
    });
  });

  it('reads a docker-container builder: builder name (not node name), union of node platforms, no `*` marks', () => {
    expect(parseBuilderInspect(DOCKER_CONTAINER_INSPECT)).toEqual({
      name: 'multiarch',
      driver: 'docker-container',
      platforms: ['linux/amd64', 'linux/arm64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/386', 'linux/arm/v7', 'linux/arm/v6', 'linux/riscv64'],
    });
  });

  it('does not take "Driver Options:" for the driver', () => {
    expect(parseBuilderInspect('Name: b\nDriver Options: image=x\nDriver: remote\n').driver).toBe('remote');
  });

  it('reads an inactive builder as having no platforms', () => {
    expect(parseBuilderInspect(INACTIVE_INSPECT)).toEqual({ name: 'idle', driver: 'docker-container', platforms: [] });
  });

  it('reads CRLF output the same', () => {
    expect(parseBuilderInspect(DOCKER_DRIVER_INSPECT.replace(/\n/g, '\r\n'))).toEqual(parseBuilderInspect(DOCKER_DRIVER_INSPECT));
  });

  it('gives empty fields for empty output', () => {
    expect(parseBuilderInspect('')).toEqual({ name: '', driver: '', platforms: [] });
  });
});

describe('usesContainerdStore', () => {
  it.each([
    ['the containerd snapshotter', '[["driver-type","io.containerd.snapshotter.v1"]]\n', true],
    ['the containerd snapshotter among other pairs', '[["Backing Filesystem","extfs"],["driver-type","io.containerd.snapshotter.v1"]]', true],
    ['overlay2 (classic store)', '[["Backing Filesystem","extfs"],["Supports d_type","true"],["Using metacopy","false"],["Native Overlay Diff","true"],["userxattr","false"]]', false],
    ['null (some storage drivers)', 'null', false],
    ['an empty list', '[]', false],
    ['a driver-type that is not containerd', '[["driver-type","overlay2"]]', false],
    ['not JSON', 'Cannot connect to the Docker daemon', false],
    ['empty output', '', false],
    ['an object', '{"driver-type":"io.containerd.snapshotter.v1"}', false],
  ])('%s → %s', (_, json, expected) => {
    expect(usesContainerdStore(json)).toBe(expected);
  });
});

/** A build of `platforms` that asks nothing else of its builder, unless `extra` says so. */
function request(platforms: string, extra: Partial<BuildRequest> = {}): BuildRequest {
  const parsed = parsePlatforms(platforms);
  return {
    platforms: parsed,
    needs: builderNeeds(
      parsed.map((platform) => platform.name),
      [],
      false,
    ),
    load: false,
    ...extra,
  };
}

describe('chooseBuilder', () => {
  const dockerDriver: BuilderInfo = { name: 'default', driver: 'docker', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/386'] };
  const container = parseBuilderInspect(DOCKER_CONTAINER_INSPECT);
  const inactive = parseBuilderInspect(INACTIVE_INSPECT);

  it.each([
    ['docker driver, the one native platform', dockerDriver, 'linux/amd64', false, 'amd64', 'current', 'builder "default" (docker driver) builds the native platform linux/amd64'],
    ['docker driver, native arm64 on an arm64 host', { ...dockerDriver, platforms: ['linux/arm64'] }, 'linux/arm64', false, 'arm64', 'current', 'builds the native platform linux/arm64'],
    [
      'docker driver with containerd store, two platforms',
      dockerDriver,
      'linux/amd64,linux/arm64',
      true,
      'amd64',
      'current',
      'builder "default" (docker driver, containerd image store) builds linux/amd64, linux/arm64',
    ],
    [
      'docker driver without containerd store, two platforms',
      dockerDriver,
      'linux/amd64,linux/arm64',
      false,
      'amd64',
      'create',
      'uses the docker driver without the containerd image store, which cannot do what this build asks (platforms linux/amd64, linux/arm64)',
    ],
    ['docker driver without containerd store, two native variants', dockerDriver, 'linux/amd64,linux/386', false, 'amd64', 'create', 'without the containerd image store'],
    [
      'docker-container builder with every platform',
      container,
      'linux/amd64,linux/arm64,linux/riscv64',
      false,
      'amd64',
      'current',
      'builder "multiarch" (docker-container driver) supports linux/amd64, linux/arm64, linux/riscv64',
    ],
    ['docker-container builder, arm without variant matches arm/v7', container, 'linux/arm', false, 'amd64', 'current', 'supports linux/arm'],
    ['docker-container builder, arm/v6 listed', container, 'linux/arm/v6', false, 'amd64', 'current', 'supports linux/arm/v6'],
    [
      'docker-container builder lacking platforms',
      container,
      'linux/amd64,linux/s390x,linux/arm/v5',
      false,
      'amd64',
      'create',
      'builder "multiarch" (docker-container driver) lacks linux/s390x, linux/arm/v5',
    ],
    ['inactive builder (no platforms reported)', inactive, 'linux/amd64', false, 'amd64', 'create', 'lacks linux/amd64'],
    [
      'remote driver treated like docker-container',
      { name: 'cloud', driver: 'remote', platforms: ['linux/amd64', 'linux/arm64'] },
      'linux/amd64,linux/arm64',
      false,
      'amd64',
      'current',
      '(remote driver) supports',
    ],
  ] as const)('%s → %s', (_, builder, platforms, containerd, host, kind, reason) => {
    const choice = chooseBuilder(builder, request(platforms), containerd, host);
    expect(choice.kind).toBe(kind);
    expect(choice.reason).toContain(reason);
    if (choice.kind === 'current') expect(choice.name).toBe(builder.name);
  });

  it('does not take linux/arm64 for linux/arm (prefix match stops at a path component)', () => {
    const builder: BuilderInfo = { name: 'b', driver: 'docker-container', platforms: ['linux/arm64'] };
    expect(chooseBuilder(builder, request('linux/arm'), false, 'amd64').kind).toBe('create');
  });

  it('does not take linux/arm/v7 for a requested linux/arm/v6', () => {
    const builder: BuilderInfo = { name: 'b', driver: 'docker-container', platforms: ['linux/arm/v7'] };
    expect(chooseBuilder(builder, request('linux/arm/v6'), false, 'amd64')).toEqual({
      kind: 'create',
      reason: 'builder "b" (docker-container driver) lacks linux/arm/v6',
    });
  });
});

describe('builderNeeds', () => {
  it.each([
    ['one platform, nothing else', ['linux/amd64'], ['buildx', 'build', '.'], false, []],
    ['two platforms', ['linux/amd64', 'linux/arm64'], ['buildx', 'build', '.'], false, ['multi-platform (platforms linux/amd64, linux/arm64)']],
    ['push-by-digest', ['linux/arm64'], ['buildx', 'build', '.'], true, ['oci-export (push-by-digest)']],
    ['an OCI exporter in outputs', ['linux/amd64'], ['buildx', 'build', '--output', 'type=oci,dest=/tmp/x.tar', '.'], false, ['oci-export (outputs type=oci,dest=/tmp/x.tar)']],
    ['a local exporter needs nothing', ['linux/amd64'], ['buildx', 'build', '--output', 'type=local,dest=out', '.'], false, []],
    ['provenance mode=min', ['linux/amd64'], ['buildx', 'build', '--provenance=mode=min', '.'], false, ['attestations (provenance mode=min)']],
    ['provenance false, sbom false', ['linux/amd64'], ['buildx', 'build', '--provenance=false', '--sbom=false', '.'], false, []],
    ['sbom and an attest flag', ['linux/amd64'], ['buildx', 'build', '--sbom=true', '--attest', 'type=provenance', '.'], false, ['attestations (sbom true, attest type=provenance)']],
    ['a cache export', ['linux/amd64'], ['buildx', 'build', '--cache-from', 'type=gha', '--cache-to', 'type=gha,mode=max', '.'], false, ['cache-export (cache export type=gha,mode=max)']],
    ['a cache that is only read', ['linux/amd64'], ['buildx', 'build', '--cache-from', 'type=gha', '.'], false, []],
  ] as const)('%s', (_, platforms, args, pushByDigest, expected) => {
    expect(builderNeeds(platforms, args, pushByDigest).map((need) => `${need.feature} (${need.why})`)).toEqual(expected);
  });
});

describe('chooseBuilder by what the build needs', () => {
  const dockerDriver: BuilderInfo = { name: 'default', driver: 'docker', platforms: ['linux/amd64'] };
  const container: BuilderInfo = { name: 'ours', driver: 'docker-container', platforms: ['linux/amd64', 'linux/arm64'] };
  const needing = (args: readonly string[], pushByDigest = false, platforms = 'linux/amd64'): BuildRequest => ({
    platforms: parsePlatforms(platforms),
    needs: builderNeeds(
      parsePlatforms(platforms).map((platform) => platform.name),
      args,
      pushByDigest,
    ),
    load: false,
  });

  it.each([
    ['push-by-digest, classic store', needing([], true), false, 'create', 'cannot do what this build asks (push-by-digest)'],
    ['push-by-digest, containerd store', needing([], true), true, 'current', 'builds the native platform linux/amd64'],
    ['provenance, classic store', needing(['--provenance=mode=min']), false, 'create', '(provenance mode=min)'],
    ['a cache export, classic store', needing(['--cache-to', 'type=registry,ref=r/x:cache']), false, 'create', '(cache export type=registry,ref=r/x:cache)'],
    ['a cache export, containerd store', needing(['--cache-to', 'type=gha']), true, 'current', 'builds the native platform'],
    ['one plain platform, classic store', needing([]), false, 'current', 'builds the native platform linux/amd64'],
  ] as const)('docker driver: %s → %s', (_, buildRequest, containerd, kind, reason) => {
    const choice = chooseBuilder(dockerDriver, buildRequest, containerd, 'amd64');
    expect(choice.kind).toBe(kind);
    expect(choice.reason).toContain(reason);
  });

  it('refuses a multi-platform load into the classic store, whatever the builder, naming the input and the fix', () => {
    for (const builder of [dockerDriver, container]) {
      const choice = chooseBuilder(builder, { ...needing([], false, 'linux/amd64,linux/arm64'), load: true }, false, 'amd64');
      expect(choice).toMatchObject({ kind: 'refuse', input: 'load' });
      expect(choice.reason).toContain('classic image store');
      expect(choice.reason).toContain('"containerd-snapshotter": true');
    }
  });

  it('allows a multi-platform load into the containerd store', () => {
    expect(chooseBuilder(dockerDriver, { ...needing([], false, 'linux/amd64,linux/arm64'), load: true }, true, 'amd64').kind).toBe('current');
  });

  it('uses a named builder as it is, even when it lacks a platform the step would have created a builder for', () => {
    const choice = chooseBuilder(
      { ...container, name: 'k8s', driver: 'kubernetes', platforms: ['linux/amd64'] },
      { ...needing([], false, 'linux/amd64,linux/arm64'), requested: 'k8s' },
      false,
      'amd64',
    );
    expect(choice).toEqual({ kind: 'current', name: 'k8s', reason: 'builder "k8s" (kubernetes driver), as the builder input asks' });
  });

  it('refuses a named docker-driver builder on the classic store that cannot do the build, naming the builder input', () => {
    const choice = chooseBuilder(dockerDriver, { ...needing(['--provenance=mode=max']), requested: 'default' }, false, 'amd64');
    expect(choice).toMatchObject({ kind: 'refuse', input: 'builder' });
    expect(choice.reason).toContain('provenance mode=max');
  });
});

describe('currentBuilderName', () => {
  it.each([
    ['BUILDX_BUILDER wins over the current file', '{"Key":"unix:///var/run/docker.sock","Name":"multiarch","Global":false}', { BUILDX_BUILDER: 'from-env' }, 'from-env'],
    ['BUILDX_BUILDER with no current file', undefined, { BUILDX_BUILDER: 'from-env' }, 'from-env'],
    ['no current file: the default builder', undefined, {}, ''],
    ['an empty BUILDX_BUILDER is ignored', undefined, { BUILDX_BUILDER: '' }, ''],
    ['the builder named in the current file', '{"Key":"unix:///var/run/docker.sock","Name":"multiarch","Global":false}', {}, 'multiarch'],
    ['a current file naming the context builder ("")', '{"Key":"unix:///var/run/docker.sock","Name":"","Global":false}', {}, ''],
    ['a current file without Name', '{"Key":"unix:///var/run/docker.sock"}', {}, undefined],
    ['a current file with a non-string Name', '{"Name":7}', {}, undefined],
    ['a current file that is not JSON', 'multiarch', {}, undefined],
    ['an empty current file', '', {}, undefined],
  ])('%s', (_, currentFile, env, expected) => {
    expect(currentBuilderName(currentFile, env)).toBe(expected);
  });
});

describe('parseBuildxVersion and pushesTwiceWithDockerDriver', () => {
  it.each([
    ['github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3', [0, 13, 1], true], // Debian
    ['github.com/docker/buildx v0.12.1 30feaa1', [0, 12, 1], true],
    ['github.com/docker/buildx v0.21.3 a2a0a96', [0, 21, 3], true],
    ['github.com/docker/buildx v0.22.0 8c40d17', [0, 22, 0], false], // pushes once itself
    ['github.com/docker/buildx v0.29.1-desktop.1 b2c5b1b', [0, 29, 1], false],
    ['github.com/docker/buildx v1.0.0 0000000', [1, 0, 0], false],
  ] as const)('%s', (text, version, twice) => {
    expect(parseBuildxVersion(text)).toEqual(version);
    expect(pushesTwiceWithDockerDriver(parseBuildxVersion(text))).toBe(twice);
  });

  it.each(['', 'buildx: command not found', 'github.com/docker/buildx v0.0.0+unknown 1234', 'something 0.13.1'])('cannot tell from %j: buildx keeps its own push', (text) => {
    expect(parseBuildxVersion(text)).toBeUndefined();
    expect(pushesTwiceWithDockerDriver(parseBuildxVersion(text))).toBe(false);
  });
});

describe('creating our docker-container builder', () => {
  it('asks for what setup-buildx-action gives by default: host network, its entitlements, started now', () => {
    expect(createBuilderArgs('build-push-1a2b3c4d', 'moby/buildkit:v0.33.1')).toEqual([
      'buildx',
      'create',
      '--name',
      'build-push-1a2b3c4d',
      '--driver',
      'docker-container',
      '--driver-opt',
      'image=moby/buildkit:v0.33.1',
      '--driver-opt',
      'network=host',
      '--buildkitd-flags',
      '--allow-insecure-entitlement security.insecure --allow-insecure-entitlement network.host',
      '--bootstrap',
    ]);
  });

  it.each([
    [
      'an engine without docker-init',
      'ERROR: failed to initialize builder x (x0): Error response from daemon: exec: "docker-init": executable file not found in $PATH',
      'the Docker engine cannot run containers with --init',
    ],
    [
      'an image that cannot be pulled',
      "ERROR: Error response from daemon: pull access denied for registry.example/buildkit, repository does not exist or may require 'docker login'",
      'the BuildKit image registry.example/buildkit:1 cannot be pulled on this runner (set buildkit-image',
    ],
    ['a registry that does not know the tag', 'ERROR: failed to resolve reference "127.0.0.1:5000/nope:1": 127.0.0.1:5000/nope:1: not found', 'cannot be pulled on this runner'],
    ['anything else: what docker said', 'ERROR: something odd', 'could not create a docker-container builder with registry.example/buildkit:1: ERROR: something odd'],
  ])('%s', (_, stderr, expected) => {
    expect(builderCreateError('registry.example/buildkit:1', stderr)).toContain(expected);
  });
});
