import * as path from 'node:path';
import * as exec from '@actions/exec';
import type { Docker } from './buildx/exec.js';
import { definedOnly, lastLines } from './buildx/exec.js';
import { ActionError, errorMessage, InputError } from './errors.js';

/**
 * The gate: tests and a scan that run on the exact image that will be pushed, before
 * anything is pushed. The image is built once and loaded (containerd image store: its
 * image ID is the index digest), gated, then pushed as is, so the pushed digest is the
 * gated one.
 */
export interface GatePlan {
  /** argv run in a container of the image (entrypoint reset), or undefined. */
  readonly test?: readonly string[];
  /** Platforms the test runs on: the native one first, then `test-platforms` (emulated). */
  readonly testPlatforms: readonly string[];
  /** argv run on the host, with {image} and {oci} substituted, or undefined. */
  readonly scan?: readonly string[];
  /** A local name for the image when it has no tags. */
  readonly localName: string;
}

/**
 * Splits a command line into argv the way a POSIX shell would split words (quotes and
 * backslashes), without running a shell: `$(...)`, `;` and `|` stay literal text.
 */
export function splitCommand(input: string, text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && ['"', '\\', '$', '`'].includes(text[index + 1] ?? '')) word += text[++index];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && index + 1 < text.length) {
      word += text[++index];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new InputError(input, `the command has an unclosed ${quote} quote`, input === 'scan' ? 'trivy image --exit-code 1 {image}' : 'npm test');
  if (inWord) words.push(word);
  return words;
}

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

/** A scan on the host through @actions/exec: its output streams to the log and is kept for the summary. */
async function runHost(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number; output: string }> {
  const [command, ...args] = argv;
  if (!command) return { exitCode: 1, output: 'empty command' };
  let output = '';
  const take = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    process.stdout.write(chunk);
  };
  try {
    const exitCode = await exec.exec(command, args, { env: definedOnly(env), input: Buffer.alloc(0), silent: true, ignoreReturnCode: true, listeners: { stdout: take, stderr: take } });
    return { exitCode, output };
  } catch (error) {
    return { exitCode: 127, output: `${output}${errorMessage(error)}` };
  }
}

/** Runs the test in a container per platform, then the scan; the first failure stops the gate. */
export async function runGate(gate: GatePlan, image: string, docker: Docker, workDir: string, log: (line: string) => void): Promise<GateResult> {
  let tested = false;
  if (gate.test) {
    const [entry, ...rest] = gate.test;
    for (const platform of gate.testPlatforms) {
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
    let oci: string | undefined;
    if (gate.scan.some((arg) => arg.includes('{oci}'))) {
      oci = path.join(workDir, 'image.oci.tar');
      const saved = await docker.run(['image', 'save', '--output', oci, image]);
      if (saved.exitCode !== 0) throw new ActionError(`could not export ${image} as an OCI archive for the scan: ${lastLines(saved.stderr, 3)}`);
    }
    const argv = substitute(gate.scan, { image, ...(oci ? { oci } : {}) });
    log(`Scanning: ${argv.join(' ')}`);
    const result = await runHost(argv, docker.env());
    if (result.exitCode !== 0) {
      const output = lastLines(result.output, 15);
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
