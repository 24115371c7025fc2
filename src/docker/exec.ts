import { spawn } from 'node:child_process';
import { access, constants, open, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as core from '@actions/core';
import * as exec from '@actions/exec';
import { ActionError, errorMessage } from '../errors.js';

export interface DockerResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DockerRunOptions {
  /** Written to the child's stdin (how passwords reach `docker login`). */
  readonly input?: string;
  /** Stream the child's output to the log as it comes (builds). Otherwise it is only captured. */
  readonly live?: boolean;
  /** Aborting it kills the child (time limits). */
  readonly signal?: AbortSignal;
  /** Extra environment for this command only (never secrets: a child could print its env). */
  readonly env?: Readonly<Record<string, string>>;
  /** A clean-up command: it still runs after the step was stopped (see refuseNewChildren). */
  readonly cleanUp?: boolean;
}

/** A docker child still running: a cancel waits for it to end, and stops it where it can. */
interface RunningChild {
  readonly ended: Promise<unknown>;
  /** Only for children spawnStoppable started: @actions/exec gives no handle on its own. */
  readonly kill?: (signal: NodeJS.Signals) => void;
}

/** Children still running, so a cancelled step can stop them (see stopChildren). */
const running = new Set<RunningChild>();
let refusing = false;

function track<T>(ended: Promise<T>, kill?: (signal: NodeJS.Signals) => void): Promise<T> {
  const child: RunningChild = { ended: ended.catch(() => undefined), ...(kill ? { kill } : {}) };
  running.add(child);
  void child.ended.then(() => running.delete(child));
  return ended;
}

/**
 * Once the runner stops the step, no docker command but clean-up may start: a retry
 * waiting for its turn must not log in again (after the config was deleted) or push.
 */
export function refuseNewChildren(): void {
  refusing = true;
}

/** True once every docker child running now has ended, false if `ms` pass first. */
function childrenEnd(ms: number): Promise<boolean> {
  const ended = Promise.all([...running].map((child) => child.ended));
  return Promise.race([ended.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
}

/**
 * Sends `signal` to every stoppable docker child still running (buildx cancels its build on
 * SIGINT) and resolves when all children have ended; a stoppable one still running after
 * `graceMs` is killed, so none outlives the step (a buildx left behind could finish a push
 * after a cancel). Short queries run by @actions/exec cannot be signalled: they are waited for.
 */
export async function stopChildren(signal: NodeJS.Signals, graceMs: number): Promise<void> {
  for (const child of running) child.kill?.(signal);
  if (await childrenEnd(graceMs)) return;
  for (const child of running) child.kill?.('SIGKILL');
  await childrenEnd(1_000);
}

/**
 * Waits up to `graceMs` for docker children still running (an engine probe after a failed
 * phase), then interrupts the rest: none may write to the private config after clean-up.
 */
export async function settleChildren(graceMs: number): Promise<void> {
  if (running.size > 0 && !(await childrenEnd(graceMs))) await stopChildren('SIGINT', graceMs);
}

/**
 * The one place this action spawns a process itself. @actions/exec takes no abort signal and
 * gives no handle on its child, and a build, a push or a container must stop with the step
 * (a cancel, a time limit) so nothing is pushed after it: buildx cancels its build on SIGINT.
 */
function spawnStoppable(command: string, args: readonly string[], env: NodeJS.ProcessEnv, options: DockerRunOptions, missing: ActionError): Promise<DockerResult> {
  let kill: ((signal: NodeJS.Signals) => void) | undefined;
  const ended = new Promise<DockerResult>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    kill = (signal) => child.kill(signal);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const take = (into: Buffer[]) => (chunk: Buffer) => {
      into.push(chunk);
      if (options.live) process.stdout.write(chunk);
    };
    child.stdout.on('data', take(stdout));
    child.stderr.on('data', take(stderr));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') reject(missing);
      // Aborted (time limit): the child is being killed; 'close' reports how it ended.
      else if (error.name !== 'AbortError') reject(error);
    });
    child.on('close', (code, signal) => {
      resolve({ exitCode: code ?? (signal ? 128 : 1), stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
  return track(ended, kill);
}

/**
 * A command of the user's on the runner (the gate's scan), its output shown live and kept:
 * stoppable with the step like a build, and with stdin closed so it never waits on it.
 */
export function runHostCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<DockerResult> {
  const [command = '', ...args] = argv;
  return spawnStoppable(command, args, env, { live: true }, new ActionError(`"${command}" was not found on PATH: install it in an earlier step`));
}

/** A short docker command through @actions/exec: it finds the binary, passes stdin, captures the output. */
function execCaptured(command: string, args: readonly string[], env: NodeJS.ProcessEnv, options: DockerRunOptions, missing: ActionError): Promise<DockerResult> {
  const ended = exec
    .getExecOutput(command, [...args], {
      env: definedOnly(env),
      // No `input`: @actions/exec leaves an error writing it unhandled, so a command that
      // exits before reading its stdin would crash the step (EPIPE). Commands fed on stdin
      // run through spawnStoppable (see Docker.run).
      silent: true,
      ignoreReturnCode: true,
    })
    .catch((error: unknown) => {
      throw /Unable to locate executable file/.test(errorMessage(error)) ? missing : error;
    });
  return track(ended);
}

/** @actions/exec's env type: variables without a value left out. */
export function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * The one way this action runs `docker`: argv only (never a shell), our private
 * DOCKER_CONFIG, output captured for error messages. No secret ever goes in argv or env.
 * Builds, pushes, containers, anything with a time limit and anything fed on stdin (a
 * login's password) run through spawnStoppable; the short queries through @actions/exec.
 */
export class Docker {
  constructor(
    readonly configDir: string,
    private readonly command = 'docker',
    /** The buildx plugin binary, run directly for `buildx ...` (see findBuildxPlugin). */
    private readonly buildxPlugin?: string,
  ) {}

  env(): NodeJS.ProcessEnv {
    return { ...childEnvironment(), DOCKER_CONFIG: this.configDir };
  }

  run(dockerArgs: readonly string[], options: DockerRunOptions = {}): Promise<DockerResult> {
    if (refusing && !options.cleanUp) return Promise.resolve({ exitCode: 130, stdout: '', stderr: `the step was stopped: docker ${dockerArgs[0] ?? ''} was not started` });
    const [command, args] = this.buildxPlugin && dockerArgs[0] === 'buildx' ? [this.buildxPlugin, dockerArgs.slice(1)] : [this.command, dockerArgs];
    if (options.live) core.info(`[command]${command} ${args.join(' ')}`);
    else core.debug(`[command]${command} ${args.join(' ')}`);
    const env = { ...this.env(), ...options.env };
    const stoppable = dockerArgs[0] === 'buildx' || options.live === true || options.signal !== undefined || options.input !== undefined;
    const missing = new ActionError(`"${command}" was not found${command === this.command ? ' on PATH: is Docker installed on this runner?' : ''}`);
    return stoppable ? spawnStoppable(command, args, env, options, missing) : execCaptured(command, args, env, options, missing);
  }

  /**
   * Runs docker and fails with an ActionError when it exits non-zero: `what` failed (exit
   * code, last lines), or the message `failure` makes of the result.
   */
  async ok(args: readonly string[], failure: string | ((result: DockerResult) => string), options: DockerRunOptions = {}): Promise<DockerResult> {
    const result = await this.run(args, options);
    if (result.exitCode === 0) return result;
    throw new ActionError(typeof failure === 'string' ? `${failure} failed (exit code ${result.exitCode}): ${lastLines(result.stderr || result.stdout, 5)}` : failure(result));
  }
}

/**
 * The environment for child processes: the step's, minus its inputs and state. The runner
 * puts every input (registry-auth passwords, tokens, build secrets) in INPUT_* variables;
 * no child, least of all a user's scanner, needs them.
 */
export function childEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('INPUT_') && !key.startsWith('STATE_')));
}

export function lastLines(text: string, count: number, separator = '\n'): string {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  return lines.slice(-count).join(separator) || '(no output)';
}

/** The folders docker searches for CLI plugins, in its order: config.json's cliPluginsExtraDirs, the config folder's cli-plugins, the system folders. */
export function pluginDirs(configDir: string, configJson: string | undefined): string[] {
  let extra: string[] = [];
  try {
    const parsed = (JSON.parse(configJson ?? '') as { cliPluginsExtraDirs?: unknown }).cliPluginsExtraDirs;
    if (Array.isArray(parsed)) extra = parsed.filter((dir): dir is string => typeof dir === 'string' && dir !== '');
  } catch {
    // No or broken config: docker itself would ignore it the same way.
  }
  const system = ['/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins'];
  return [...extra, path.join(configDir, 'cli-plugins'), ...system];
}

/** Whether the first `docker` on PATH is a script (starts with #!) rather than the Docker CLI binary. */
export async function dockerIsScript(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'docker');
    if (
      !(await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      continue;
    const file = await open(candidate, 'r').catch(() => undefined);
    if (!file) return false;
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(2), 0, 2, 0);
      return bytesRead === 2 && buffer.toString('latin1') === '#!';
    } finally {
      await file.close();
    }
  }
  return false;
}

/**
 * The buildx binary `docker buildx` would run. Running it directly does the same work
 * (buildx reads the same DOCKER_CONFIG, contexts and builders) without the docker CLI
 * start and its plugin handshake (~40 ms per call). Undefined: let `docker` find it.
 */
export async function findBuildxPlugin(configDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  // A `docker` that is a script (podman-docker, a sudo or --context wrapper) may do more
  // than start the plugin: then go through it.
  if (await dockerIsScript(env)) return undefined;
  const configJson = await readFile(path.join(configDir, 'config.json'), 'utf8').catch(() => undefined);
  for (const dir of pluginDirs(configDir, configJson)) {
    const candidate = path.join(dir, 'docker-buildx');
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}
