import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINFMT_DIR, binfmtVisible, emulationFromReport, emulationStatus, parseBinfmtEntry, readBinfmtEntries, type BinfmtEntry } from '../../src/phases/qemu.js';
import { architecturesNeedingEmulation, dockerArchitecture } from '../../src/plan/emulation.js';
import { parsePlatforms } from '../../src/plan/inputs.js';

// What the kernel shows in /proc/sys/fs/binfmt_misc/qemu-aarch64 after tonistiigi/binfmt --install.
const AARCH64_ENTRY = `enabled
interpreter /usr/bin/qemu-aarch64
flags: OCF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`;
// Ubuntu's qemu-user-static package registers without F on older releases.
const ARM_ENTRY_NO_F = `enabled
interpreter /usr/libexec/qemu-binfmt/arm-binfmt-P
flags: POC
offset 0
magic 7f454c4601010100000000000000000002002800
mask ffffffffffffff00fffffffffffffffffeffffff
`;
const RISCV_DISABLED = `disabled
interpreter /usr/bin/qemu-riscv64
flags: OCF
offset 0
magic 7f454c460201010000000000000000000200f300
mask ffffffffffffff00fffffffffffffffffeffffff
`;

const entry = (name: string, enabled: boolean, flags: string): BinfmtEntry => ({ name, enabled, interpreter: `/usr/bin/${name}`, flags });

describe('dockerArchitecture', () => {
  it.each([
    ['x64', 'amd64'],
    ['arm64', 'arm64'],
    ['arm', 'arm'],
    ['ia32', '386'],
    ['ppc64', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['loong64', 'loong64'],
    ['mips', 'mips'],
  ])('node %s → docker %s', (nodeArch, docker) => {
    expect(dockerArchitecture(nodeArch)).toBe(docker);
  });

  it('maps the architecture of the machine running the tests to a docker name', () => {
    expect(dockerArchitecture(process.arch)).toMatch(/^(amd64|arm64|arm|386|ppc64le|s390x|riscv64|loong64)$/);
  });
});

describe('architecturesNeedingEmulation', () => {
  it.each([
    ['linux/amd64', 'amd64', []],
    ['linux/amd64,linux/arm64', 'amd64', ['arm64']],
    ['linux/amd64,linux/386', 'amd64', []],
    ['linux/amd64,linux/arm64', 'arm64', ['amd64']],
    ['linux/386', 'arm64', ['386']],
    ['linux/arm/v6,linux/arm/v7,linux/arm64', 'amd64', ['arm', 'arm64']],
    ['linux/arm/v7', 'arm64', ['arm']],
    ['linux/amd64,linux/arm64,linux/ppc64le,linux/s390x,linux/riscv64', 'amd64', ['arm64', 'ppc64le', 's390x', 'riscv64']],
    ['linux/s390x', 's390x', []],
  ])('%s on a %s host needs %j', (platforms, host, expected) => {
    expect(architecturesNeedingEmulation(parsePlatforms(platforms), host)).toEqual(expected);
  });
});

describe('parseBinfmtEntry', () => {
  it('reads an enabled entry with its interpreter and flags', () => {
    expect(parseBinfmtEntry('qemu-aarch64', AARCH64_ENTRY)).toEqual({
      name: 'qemu-aarch64',
      enabled: true,
      interpreter: '/usr/bin/qemu-aarch64',
      flags: 'OCF',
    });
  });

  it('reads a disabled entry', () => {
    expect(parseBinfmtEntry('qemu-riscv64', RISCV_DISABLED)).toMatchObject({ enabled: false, interpreter: '/usr/bin/qemu-riscv64', flags: 'OCF' });
  });

  it.each([
    ['an empty file', '', { enabled: false, interpreter: '', flags: '' }],
    ['no flags', 'enabled\ninterpreter /usr/bin/qemu-arm\nflags: \noffset 0\n', { enabled: true, interpreter: '/usr/bin/qemu-arm', flags: '' }],
    ['CRLF line ends', 'enabled\r\ninterpreter /usr/bin/qemu-arm\r\nflags: F\r\n', { enabled: true, interpreter: '/usr/bin/qemu-arm', flags: 'F' }],
    ['leading spaces', '  enabled\n  interpreter /usr/bin/qemu-arm\n  flags: PF\n', { enabled: true, interpreter: '/usr/bin/qemu-arm', flags: 'PF' }],
    ['no interpreter line', 'enabled\nflags: F\n', { enabled: true, interpreter: '', flags: 'F' }],
  ])('reads %s', (_, content, expected) => {
    expect(parseBinfmtEntry('qemu-arm', content)).toEqual({ name: 'qemu-arm', ...expected });
  });

  it('does not take "interpreter-foo" for "interpreter" or "flagship" for "flags"', () => {
    expect(parseBinfmtEntry('qemu-arm', 'enabled\ninterpreterx /bad\nflagship: F\n')).toMatchObject({ interpreter: '', flags: '' });
  });
});

describe('emulationStatus', () => {
  const entries = [
    entry('qemu-aarch64', true, 'OCF'),
    entry('qemu-arm', true, 'POC'),
    entry('qemu-riscv64', false, 'OCF'),
    entry('qemu-x86_64', true, 'F'),
    entry('qemu-mips64el', true, 'OCF'),
    entry('qemu-loongarch64', true, 'OCF'),
    entry('qemu-i386', true, 'OCF'),
  ];

  it.each([
    [['arm64'], ['arm64'], []],
    [['amd64'], ['amd64'], []],
    [['386'], ['386'], []],
    [['mips64le'], ['mips64le'], []],
    [['loong64'], ['loong64'], []],
    [['arm'], [], [{ architecture: 'arm', why: 'binfmt_misc entry qemu-arm lacks the F (fix binary) flag' }]],
    [['riscv64'], [], [{ architecture: 'riscv64', why: 'binfmt_misc entry qemu-riscv64 is disabled' }]],
    [['s390x'], [], [{ architecture: 's390x', why: 'no binfmt_misc entry qemu-s390x' }]],
    [['ppc64le'], [], [{ architecture: 'ppc64le', why: 'no binfmt_misc entry qemu-ppc64le' }]],
    [
      ['arm64', 's390x', 'arm'],
      ['arm64'],
      [
        { architecture: 's390x', why: 'no binfmt_misc entry qemu-s390x' },
        { architecture: 'arm', why: 'binfmt_misc entry qemu-arm lacks the F (fix binary) flag' },
      ],
    ],
    [[], [], []],
  ])('%j → ready %j, missing %j', (architectures, ready, missing) => {
    expect(emulationStatus(architectures, entries)).toEqual({ ready, missing });
  });

  it('finds nothing ready without entries', () => {
    expect(emulationStatus(['arm64', 'amd64'], [])).toEqual({
      ready: [],
      missing: [
        { architecture: 'arm64', why: 'no binfmt_misc entry qemu-aarch64' },
        { architecture: 'amd64', why: 'no binfmt_misc entry qemu-x86_64' },
      ],
    });
  });

  it('does not take qemu-aarch64_be for qemu-aarch64', () => {
    expect(emulationStatus(['arm64'], [entry('qemu-aarch64_be', true, 'OCF')]).ready).toEqual([]);
  });
});

describe('readBinfmtEntries', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'binfmt-'));
    await writeFile(path.join(dir, 'qemu-aarch64'), AARCH64_ENTRY);
    await writeFile(path.join(dir, 'qemu-arm'), ARM_ENTRY_NO_F);
    await writeFile(path.join(dir, 'qemu-riscv64'), RISCV_DISABLED);
    // Not emulators: the kernel's control files and another handler.
    await writeFile(path.join(dir, 'register'), '');
    await writeFile(path.join(dir, 'status'), 'enabled\n');
    await writeFile(path.join(dir, 'python3.12'), 'enabled\ninterpreter /usr/bin/python3.12\nflags: \n');
    // An unreadable entry (a directory) reads as empty.
    await mkdir(path.join(dir, 'qemu-broken'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every qemu-* entry and nothing else', async () => {
    const entries = (await readBinfmtEntries(dir)).sort((a, b) => a.name.localeCompare(b.name));
    expect(entries).toEqual([
      { name: 'qemu-aarch64', enabled: true, interpreter: '/usr/bin/qemu-aarch64', flags: 'OCF' },
      { name: 'qemu-arm', enabled: true, interpreter: '/usr/libexec/qemu-binfmt/arm-binfmt-P', flags: 'POC' },
      { name: 'qemu-broken', enabled: false, interpreter: '', flags: '' },
      { name: 'qemu-riscv64', enabled: false, interpreter: '/usr/bin/qemu-riscv64', flags: 'OCF' },
    ]);
  });

  it('feeds emulationStatus', async () => {
    expect(emulationStatus(['arm64', 'arm', 'riscv64', 's390x'], await readBinfmtEntries(dir))).toEqual({
      ready: ['arm64'],
      missing: [
        { architecture: 'arm', why: 'binfmt_misc entry qemu-arm lacks the F (fix binary) flag' },
        { architecture: 'riscv64', why: 'binfmt_misc entry qemu-riscv64 is disabled' },
        { architecture: 's390x', why: 'no binfmt_misc entry qemu-s390x' },
      ],
    });
  });

  it('returns [] when the folder does not exist (binfmt_misc not mounted)', async () => {
    expect(await readBinfmtEntries(path.join(dir, 'missing'))).toEqual([]);
  });

  it('returns [] for an empty folder', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'binfmt-empty-'));
    try {
      expect(await readBinfmtEntries(empty)).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('reads the kernel folder by default', () => {
    expect(BINFMT_DIR).toBe('/proc/sys/fs/binfmt_misc');
  });
});

describe('a runner that does not see the host binfmt_misc (in a container)', () => {
  it('tells a mounted binfmt_misc (it has a status file) from an empty folder', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'binfmt-view-'));
    try {
      expect(await binfmtVisible(dir)).toBe(false);
      await writeFile(path.join(dir, 'status'), 'enabled\n');
      expect(await binfmtVisible(dir)).toBe(true);
      expect(await binfmtVisible(path.join(dir, 'missing'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // What `docker run --privileged --rm tonistiigi/binfmt` prints (trimmed).
  const REPORT = JSON.stringify({ supported: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/386', 'linux/arm/v7', 'linux/arm/v6'], emulators: ['qemu-aarch64', 'qemu-arm'] });
  const BARE = JSON.stringify({ supported: ['linux/amd64', 'linux/amd64/v2', 'linux/386'], emulators: [] });

  it.each([
    ['arm64 runs on the host', ['arm64'], REPORT, ['arm64'], []],
    ['arm matches arm/v7', ['arm'], REPORT, ['arm'], []],
    ['a fresh host: nothing but native', ['arm64', 's390x'], BARE, [], ['arm64', 's390x']],
  ])('%s', (_, architectures, report, ready, missing) => {
    const status = emulationFromReport(architectures, report, 'tonistiigi/binfmt:x');
    expect(status.ready).toEqual(ready);
    expect(status.missing.map((item) => item.architecture)).toEqual(missing);
    for (const item of status.missing) expect(item.why).toContain(`the engine's host does not run linux/${item.architecture} (tonistiigi/binfmt:x reports linux/amd64`);
  });

  it('says so when the image prints no report', () => {
    expect(() => emulationFromReport(['arm64'], 'Usage: something else', 'busybox')).toThrow(/busybox did not print a binfmt report .* is qemu-image a tonistiigi\/binfmt image\?/);
  });
});
