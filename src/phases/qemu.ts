import { access, readdir, readFile } from 'node:fs/promises';
import { ActionError } from '../errors.js';
import { QEMU_NAMES } from '../plan/architectures.js';
import { lastLines, type Docker } from '../docker/exec.js';
import type { StepLog } from './phase.js';

export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

export interface BinfmtEntry {
  readonly name: string;
  readonly enabled: boolean;
  readonly interpreter: string;
  readonly flags: string;
}

/** Parses one `/proc/sys/fs/binfmt_misc/<name>` file. */
export function parseBinfmtEntry(name: string, content: string): BinfmtEntry {
  const lines = content.split('\n').map((line) => line.trim());
  const value = (key: string): string =>
    lines
      .find((line) => line.startsWith(`${key} `) || line.startsWith(`${key}:`))
      ?.slice(key.length + 1)
      .trim() ?? '';
  return { name, enabled: lines[0] === 'enabled', interpreter: value('interpreter'), flags: value('flags') };
}

export interface EmulationStatus {
  readonly ready: string[];
  readonly missing: { architecture: string; why: string }[];
}

/**
 * Which architectures have a usable emulator. Usable means an enabled `qemu-<name>`
 * entry with the F flag: without F the interpreter is looked up inside each container,
 * where it does not exist, so RUN steps fail.
 */
export function emulationStatus(architectures: readonly string[], entries: readonly BinfmtEntry[]): EmulationStatus {
  const status: EmulationStatus = { ready: [], missing: [] };
  for (const architecture of architectures) {
    const qemuName = QEMU_NAMES[architecture] ?? architecture;
    const entry = entries.find((candidate) => candidate.name === `qemu-${qemuName}`);
    if (!entry) status.missing.push({ architecture, why: `no binfmt_misc entry qemu-${qemuName}` });
    else if (!entry.enabled) status.missing.push({ architecture, why: `binfmt_misc entry qemu-${qemuName} is disabled` });
    else if (!entry.flags.includes('F')) status.missing.push({ architecture, why: `binfmt_misc entry qemu-${qemuName} lacks the F (fix binary) flag` });
    else status.ready.push(architecture);
  }
  return status;
}

export async function readBinfmtEntries(dir = BINFMT_DIR): Promise<BinfmtEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const candidates = names.filter((name) => name.startsWith('qemu-'));
  return Promise.all(candidates.map(async (name) => parseBinfmtEntry(name, await readFile(`${dir}/${name}`, 'utf8').catch(() => ''))));
}

/**
 * Whether this process sees the host's binfmt_misc (its `status` file is there when it is
 * mounted). A runner in a container (Actions Runner Controller, docker-in-docker) usually
 * does not: its folder is empty, and says nothing about what the engine's host can run.
 */
export async function binfmtVisible(dir = BINFMT_DIR): Promise<boolean> {
  return access(`${dir}/status`).then(
    () => true,
    () => false,
  );
}

/**
 * Which architectures the engine's host runs, from the binfmt image's report (`binfmt` with
 * no argument prints `{"supported": ["linux/amd64", ...], "emulators": [...]}`); it tries
 * each platform inside a container, so "supported" means usable in containers.
 */
export function emulationFromReport(architectures: readonly string[], report: string, qemuImage: string): EmulationStatus {
  let supported: string[];
  try {
    const parsed = JSON.parse(report) as { supported?: unknown };
    supported = Array.isArray(parsed.supported) ? parsed.supported.filter((entry): entry is string => typeof entry === 'string') : [];
  } catch {
    throw new ActionError(`${qemuImage} did not print a binfmt report (JSON with "supported"): is qemu-image a tonistiigi/binfmt image? It printed: ${report.trim().slice(0, 200)}`);
  }
  const status: EmulationStatus = { ready: [], missing: [] };
  for (const architecture of architectures) {
    if (supported.some((platform) => platform === `linux/${architecture}` || platform.startsWith(`linux/${architecture}/`))) status.ready.push(architecture);
    else status.missing.push({ architecture, why: `the engine's host does not run linux/${architecture} (${qemuImage} reports ${supported.join(', ') || 'nothing'})` });
  }
  return status;
}

/**
 * Makes sure every architecture has an emulator, installing missing ones with the binfmt
 * image. Where this runner sees the host's binfmt_misc, its entries say what is there
 * (`registered` may be read ahead); where it does not (a runner in a container), the binfmt
 * image is asked, on the engine's host, before and after the install.
 */
export async function ensureEmulation(
  architectures: readonly string[],
  qemuImage: string,
  docker: Docker,
  log: StepLog,
  registered: Promise<BinfmtEntry[]> = readBinfmtEntries(),
  visible: Promise<boolean> = binfmtVisible(),
): Promise<string> {
  if (architectures.length === 0) return 'no emulation needed: every platform is native';
  const hostView = await visible;
  const askEngine = async (): Promise<EmulationStatus> => {
    const report = await docker.run(['run', '--privileged', '--rm', qemuImage]);
    if (report.exitCode !== 0) {
      throw new ActionError(
        `cannot tell whether the engine's host can emulate ${architectures.map((arch) => `linux/${arch}`).join(', ')}: this runner does not see the host's binfmt_misc (it runs in a container?), and asking ${qemuImage} failed: ${lastLines(report.stderr, 3, ' ')}. Build only native platforms, or let the runner run privileged containers.`,
      );
    }
    return emulationFromReport(architectures, report.stdout, qemuImage);
  };
  if (!hostView) log.info(`This runner does not see the host's binfmt_misc (it runs in a container?): asking ${qemuImage} on the engine what its host can run`);
  const before = hostView ? emulationStatus(architectures, await registered) : await askEngine();
  if (before.missing.length === 0) return `emulators already registered for ${before.ready.join(', ')}`;

  const toInstall = before.missing.map((item) => item.architecture);
  log.info(`Installing QEMU emulators for ${toInstall.join(', ')} (${before.missing.map((item) => item.why).join('; ')})`);
  const install = await docker.run(['run', '--privileged', '--rm', qemuImage, '--install', toInstall.join(',')], { live: true });
  const after = hostView ? emulationStatus(architectures, await readBinfmtEntries()) : await askEngine();
  if (after.missing.length > 0) {
    const detail = after.missing.map((item) => `linux/${item.architecture}: ${item.why}`).join('; ');
    if (install.exitCode === 0) {
      throw new ActionError(
        `cannot emulate ${detail}: the install with ${qemuImage} reported success, but the emulator is still not registered. Check that qemu-image is a tonistiigi/binfmt image, or build only native platforms.`,
      );
    }
    const cause = install.stderr.trim().split('\n').slice(-3).join(' ');
    throw new ActionError(`cannot emulate ${detail}. Installing with ${qemuImage} failed: ${cause} Build only native platforms, or allow privileged containers so the emulator can be installed.`);
  }
  return `installed emulators for ${toInstall.join(', ')} with ${qemuImage}`;
}
