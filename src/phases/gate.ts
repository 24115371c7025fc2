import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { lastLines, runHostCommand, type Docker } from '../docker/exec.js';
import { ActionError, errorMessage } from '../errors.js';
import type { GatePlan } from '../plan/gate.js';

// Runs the gate (see plan/gate.ts): tests and a scan on the exact image that will be pushed.

/** Replaces {image} and {oci} in each argument; nothing is ever re-split or passed to a shell. */
export function substitute(argv: readonly string[], values: { image: string; oci?: string }): string[] {
  return argv.map((arg) => arg.replaceAll('{image}', values.image).replaceAll('{oci}', values.oci ?? '{oci}'));
}

export interface GateResult {
  readonly tested: boolean;
  readonly scanned: boolean;
  /** Last lines of a failing command, for the summary. */
  readonly failureOutput?: string;
}

/**
 * Where the gate finds the image: loaded in the engine as one image (the containerd store
 * holds every platform; the classic store one), or an OCI layout of every platform, loaded
 * into a classic store one platform at a time under `layoutImageName`.
 */
export type GateSource = { readonly kind: 'engine'; readonly image: string } | { readonly kind: 'layout'; readonly dir: string; readonly localName: string; readonly nativePlatform: string };

/** The local name of one platform's image loaded from the gate's layout. */
export function layoutImageName(localName: string, platform: string): string {
  return `${localName}-${platform.replace(/\//g, '-')}`;
}

/** The local images a gate over `source` may load (for clean-up, recorded before it runs). */
export function gateImages(gate: GatePlan, source: GateSource): string[] {
  if (source.kind === 'engine') return [source.image];
  return [...new Set([...gate.testPlatforms, source.nativePlatform])].map((platform) => layoutImageName(source.localName, platform));
}

/** Gives the image to run for `platform`: the engine's, or that platform's, loaded from the layout once. */
function imageFinder(source: GateSource, docker: Docker, workDir: string, log: (line: string) => void): (platform: string) => Promise<string> {
  if (source.kind === 'engine') return async () => source.image;
  const loaded = new Map<string, Promise<string>>();
  const load = async (platform: string): Promise<string> => {
    const name = layoutImageName(source.localName, platform);
    const archive = path.join(workDir, `gate-${platform.replace(/\//g, '-')}.tar`);
    const { writeDockerArchive } = await import('../oci/archive.js');
    const imageId = await writeDockerArchive(source.dir, platform, name, archive);
    try {
      await docker.ok(['load', '--input', archive], (result) => `could not load ${platform} of the built image into the engine for the gate: ${lastLines(result.stderr, 3)}`);
    } finally {
      await rm(archive, { force: true });
    }
    log(`Loaded ${platform} of the built index as ${name} (image ID ${imageId}, its config digest in the index)`);
    return name;
  };
  return (platform) => {
    if (!loaded.has(platform)) loaded.set(platform, load(platform));
    return loaded.get(platform) as Promise<string>;
  };
}

/** Runs the test in a container per platform, then the scan; the first failure stops the gate. */
export async function runGate(gate: GatePlan, source: GateSource, docker: Docker, workDir: string, log: (line: string) => void): Promise<GateResult> {
  const imageFor = imageFinder(source, docker, workDir, log);
  let tested = false;
  if (gate.test) {
    const [entry, ...rest] = gate.test;
    for (const platform of gate.testPlatforms) {
      const image = await imageFor(platform);
      log(`Testing ${image} on ${platform}: ${gate.test.join(' ')}`);
      const result = await docker.run(['run', '--rm', '--pull', 'never', '--platform', platform, '--entrypoint', entry ?? '', image, ...rest], { live: true });
      if (result.exitCode !== 0) {
        const output = lastLines(`${result.stdout}\n${result.stderr}`, 15);
        throw new GateFailure(`the test failed on ${platform} (exit code ${result.exitCode}); nothing was pushed. Last output:\n${output}`, output, { tested: false, scanned: false });
      }
    }
    tested = true;
  }
  let scanned = false;
  if (gate.scan) {
    // {image}: the image as the engine has it (on the classic store, the native platform's).
    const wantsImage = gate.scan.some((arg) => arg.includes('{image}'));
    const image = source.kind === 'engine' ? source.image : wantsImage ? await imageFor(source.nativePlatform) : '';
    let oci: string | undefined;
    if (gate.scan.some((arg) => arg.includes('{oci}'))) {
      oci = path.join(workDir, 'image.oci.tar');
      if (source.kind === 'layout') {
        const { writeOciArchive } = await import('../oci/archive.js');
        await writeOciArchive(source.dir, oci);
      } else {
        await docker.ok(['image', 'save', '--output', oci, source.image], (saved) => `could not export ${source.image} as an OCI archive for the scan: ${lastLines(saved.stderr, 3)}`);
      }
    }
    const argv = substitute(gate.scan, { image, ...(oci ? { oci } : {}) });
    log(`Scanning: ${argv.join(' ')}`);
    const result = await runHostCommand(argv, docker.env()).catch((error: unknown) => ({ exitCode: 127, stdout: '', stderr: errorMessage(error) }));
    if (result.exitCode !== 0) {
      const output = lastLines(`${result.stdout}\n${result.stderr}`, 15);
      throw new GateFailure(`the scan failed (exit code ${result.exitCode}); nothing was pushed. Last output:\n${output}`, output, { tested, scanned: false });
    }
    scanned = true;
  }
  return { tested, scanned };
}

export class GateFailure extends ActionError {
  constructor(
    message: string,
    readonly output: string,
    readonly partial: GateResult,
  ) {
    super(message);
  }
}

/**
 * Whether what a tag holds is the image the gate saw. With the containerd image store the
 * loaded image's ID is the pushed index/manifest digest; with the classic store it is the
 * image config digest, which the pushed (single-platform) manifest must reference.
 */
export function gatedImageMatches(pushedDigest: string, pushedManifest: string, gatedImageId: string): boolean {
  if (pushedDigest === gatedImageId) return true;
  try {
    const manifest = JSON.parse(pushedManifest) as { config?: { digest?: unknown } };
    return manifest.config?.digest === gatedImageId;
  } catch {
    return false;
  }
}
