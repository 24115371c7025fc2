// A small emulator of the GitHub Actions runner for JavaScript actions: it runs the
// bundled dist/ the way the runner does (INPUT_* with action.yml defaults, GITHUB_*
// context, event payload file, GITHUB_OUTPUT/STATE/ENV/STEP_SUMMARY files, workflow
// commands, then the post step with STATE_*), and returns everything it saw.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Parses the runner's file-command format (`name=value` or `name<<DELIM ... DELIM`). */
export function parseFileCommands(text) {
  const values = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i]);
      if (i >= lines.length) throw new Error(`unterminated value for ${name} (delimiter ${delimiter})`);
      values[name] = body.join('\n');
    } else {
      const equals = line.indexOf('=');
      if (equals <= 0) throw new Error(`malformed file command line: ${line}`);
      values[line.slice(0, equals)] = line.slice(equals + 1);
    }
  }
  return values;
}

const actionYmls = new Map();

/** action.yml, parsed once per content (tests may run against other action folders). */
function readActionYml(actionDir) {
  const text = readFileSync(path.join(actionDir, 'action.yml'), 'utf8');
  if (!actionYmls.has(text)) actionYmls.set(text, parseYaml(text));
  return actionYmls.get(text);
}

/** The Node version action.yml declares (`node24` → 24). */
export function declaredNodeMajor(actionDir = REPO_ROOT) {
  const action = readActionYml(actionDir);
  const match = /^node(\d+)$/.exec(action.runs.using);
  if (!match) throw new Error(`action.yml runs.using is ${action.runs.using}, not nodeNN`);
  return Number(match[1]);
}

// Asked once per binary: the real runner does not start node an extra time per step, and
// neither should the emulator (the benchmark times whole runs).
const nodeVersions = new Map();

/** The node binary for the declared runtime: E2E_NODE24 (etc.) from the engine set-up. */
export function nodeForAction(actionDir = REPO_ROOT) {
  const major = declaredNodeMajor(actionDir);
  const binary = process.env[`E2E_NODE${major}`] || 'node';
  if (!nodeVersions.has(binary)) nodeVersions.set(binary, execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim());
  const version = nodeVersions.get(binary);
  if (!version.startsWith(`v${major}.`)) {
    throw new Error(`action.yml declares node${major}, but ${binary} is ${version}: run test/e2e/setup-engine.sh and source its env file`);
  }
  return binary;
}

/**
 * Evaluates an action's post-if the way the runner does for what such conditions can use:
 * always(), success(), failure(), cancelled(), with !, &&, || and parentheses, optionally
 * inside ${{ }}. jobStatus: 'success' | 'failure' | 'cancelled'. Anything else throws, so
 * a condition the emulator does not understand never passes silently.
 */
export function evaluateStatusCondition(expression, jobStatus) {
  const source = String(expression)
    .trim()
    .replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const tokens = source.match(/\s*(always\(\)|success\(\)|failure\(\)|cancelled\(\)|!|&&|\|\||\(|\)|\S+)/g)?.map((token) => token.trim()) ?? [];
  let position = 0;
  const fail = (why) => {
    throw new Error(`post-if "${expression}": ${why}`);
  };
  const primary = () => {
    const token = tokens[position++];
    if (token === '!') return !primary();
    if (token === '(') {
      const value = or();
      if (tokens[position++] !== ')') fail('missing )');
      return value;
    }
    const functions = { 'always()': true, 'success()': jobStatus === 'success', 'failure()': jobStatus === 'failure', 'cancelled()': jobStatus === 'cancelled' };
    if (token in functions) return functions[token];
    return fail(`unsupported token ${token ?? '(end)'}`);
  };
  const and = () => {
    let value = primary();
    while (tokens[position] === '&&') {
      position++;
      value = primary() && value;
    }
    return value;
  };
  const or = () => {
    let value = and();
    while (tokens[position] === '||') {
      position++;
      value = and() || value;
    }
    return value;
  };
  const value = or();
  if (position !== tokens.length) fail(`unexpected ${tokens[position]}`);
  return value;
}

/** `${{ github.token }}`-style defaults, for the few expressions our defaults use. */
function evaluateDefault(text, expressions) {
  return String(text ?? '').replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression) => expressions[expression] ?? '');
}

/** Applies workflow commands from stdout the way the runner does; returns the log it would show. */
function processWorkflowCommands(stdout, masks) {
  const shown = [];
  for (const line of stdout.split('\n')) {
    const mask = /^::add-mask::(.*)$/.exec(line);
    if (mask) {
      if (mask[1]) masks.push(mask[1]);
      continue;
    }
    shown.push(line);
  }
  let log = shown.join('\n');
  for (const secret of [...masks].sort((a, b) => b.length - a.length)) log = log.split(secret).join('***');
  return log;
}

/**
 * The cache variables the runner gives a JavaScript action's step. `{ v2: url, token }`: a
 * github.com runner (the v2 service: ACTIONS_RESULTS_URL, ACTIONS_CACHE_SERVICE_V2, no
 * ACTIONS_CACHE_URL); `{ v1: url, token }`: a GHES runner (the v1 REST API).
 */
export function cacheServiceEnv(service) {
  if (!service) return {};
  if (!service.token) throw new Error('cacheService needs the runtime token');
  if (service.v2) return { ACTIONS_RESULTS_URL: service.v2, ACTIONS_RUNTIME_TOKEN: service.token, ACTIONS_CACHE_SERVICE_V2: 'true' };
  if (service.v1) return { ACTIONS_CACHE_URL: service.v1, ACTIONS_RUNTIME_TOKEN: service.token };
  throw new Error('cacheService needs v2 (github.com) or v1 (GHES): the service URL');
}

/**
 * `stopWhen(line)`: stop the step when it returns true, the way the runner stops a cancelled
 * or timed-out step: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that. `timeoutMs`:
 * stop it the same way when it runs that long (the step's timeout-minutes).
 */
function runNode(node, script, env, cwd, onLine, stopWhen, timeoutMs) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stopped = false;
    const cancel = () => {
      if (stopped) return;
      stopped = true;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGTERM'), 7_500).unref();
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    };
    const timer = timeoutMs ? setTimeout(cancel, timeoutMs) : undefined;
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk) => {
      const text = chunk.toString('utf8');
      stdout += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        onLine?.(line, performance.now() - started);
        if (stopWhen?.(line)) cancel();
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 1, signal, stopped, stdout, stderr, milliseconds: performance.now() - started });
    });
  });
}

/**
 * Runs the action's main and post steps.
 * options: { inputs, eventName, payload, ref, sha, repository, actor, workspace, env, actionDir, node, onLine, skipPost,
 *            cacheService ({ v2: url, token } or { v1: url, token }: see cacheServiceEnv),
 *            cancelWhen (line => boolean: cancel the job there), timeOutWhen (line => boolean: the
 *            step's timeout-minutes passes there), timeoutMinutes (the step's timeout-minutes,
 *            by the clock), continueOnError }
 * The post step runs when action.yml's post-if (default always()) holds for the job's status.
 */
export async function runAction(options = {}) {
  const actionDir = options.actionDir ?? REPO_ROOT;
  const action = readActionYml(actionDir);
  const node = options.node ?? nodeForAction(actionDir);
  const root = mkdtempSync(path.join(options.tmpRoot ?? os.tmpdir(), 'runner-'));
  const runnerTemp = path.join(root, 'temp');
  const fileCommands = path.join(root, 'file-commands');
  mkdirSync(runnerTemp);
  mkdirSync(fileCommands);
  const files = {
    output: path.join(fileCommands, 'output'),
    state: path.join(fileCommands, 'state'),
    env: path.join(fileCommands, 'env'),
    path: path.join(fileCommands, 'path'),
    summary: path.join(fileCommands, 'step_summary'),
    event: path.join(root, 'event.json'),
  };
  for (const file of [files.output, files.state, files.env, files.path, files.summary]) writeFileSync(file, '');
  const payload = options.payload ?? {};
  writeFileSync(files.event, JSON.stringify(payload, null, 2));

  const token = options.githubToken ?? '';
  const expressions = { 'github.token': token };
  const inputs = {};
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    inputs[name] = name in (options.inputs ?? {}) ? String(options.inputs[name]) : evaluateDefault(spec?.default, expressions);
  }
  // The official BuildKit and binfmt images cannot be pulled here: where the engine set-up
  // loaded the stand-ins built from their source (../shared/images), they take the defaults'
  // place, as the pulled images would on a hosted runner. A test that sets the input wins.
  const standIns = { 'buildkit-image': process.env.E2E_BUILDKIT_IMAGE, 'qemu-image': process.env.E2E_QEMU_IMAGE };
  for (const [name, image] of Object.entries(standIns)) {
    if (image && !(name in (options.inputs ?? {})) && name in inputs) inputs[name] = image;
  }
  for (const name of Object.keys(options.inputs ?? {})) {
    if (!(name in inputs)) throw new Error(`input ${name} is not declared in action.yml`);
  }

  const workspace = options.workspace ?? REPO_ROOT;
  const baseEnv = {
    PATH: options.path ?? process.env.PATH,
    HOME: options.home ?? process.env.HOME,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: os.arch() === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REF: options.ref ?? 'refs/heads/main',
    GITHUB_SHA: options.sha ?? '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REPOSITORY: options.repository ?? 'acme/app',
    GITHUB_ACTOR: options.actor ?? 'octocat',
    GITHUB_RUN_ID: options.runId ?? '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_ACTION: '__self',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    ...cacheServiceEnv(options.cacheService),
    ...options.env,
  };
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]));

  const masks = [];
  const stopWhen = options.cancelWhen ?? options.timeOutWhen;
  const timeoutMs = options.timeoutMinutes ? options.timeoutMinutes * 60_000 : undefined;
  const main = await runNode(node, path.join(actionDir, action.runs.main), { ...baseEnv, ...inputEnv }, workspace, options.onLine, stopWhen, timeoutMs);
  main.cancelled = Boolean(options.cancelWhen && main.stopped);
  main.log = processWorkflowCommands(main.stdout, masks);
  const outputs = parseFileCommands(readFileSync(files.output, 'utf8'));
  const state = parseFileCommands(readFileSync(files.state, 'utf8'));
  const summary = readFileSync(files.summary, 'utf8');

  // A timed-out step fails (the job too, unless continue-on-error); a cancel cancels the job.
  const stepFailed = main.exitCode !== 0 || main.stopped;
  const jobStatus = main.cancelled ? 'cancelled' : !stepFailed || options.continueOnError ? 'success' : 'failure';
  let post;
  if (action.runs.post && !options.skipPost && evaluateStatusCondition(action.runs['post-if'] ?? 'always()', jobStatus)) {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]));
    post = await runNode(node, path.join(actionDir, action.runs.post), { ...baseEnv, ...inputEnv, ...stateEnv }, workspace, undefined, undefined, timeoutMs);
    post.log = processWorkflowCommands(post.stdout, masks);
  }
  return { main, post, jobStatus, outputs, state, summary, masks, root, runnerTemp, files, inputs, succeeded: main.exitCode === 0 };
}

/** Every file under `dir` (recursively), for secret scans. */
export function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (current) => {
    for (const entry of readdirSafe(current)) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
