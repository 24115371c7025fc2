// Same warm-cache build of example/app for linux/amd64 + linux/arm64, pushed to the
// local registry, done alternately by
//   action: the bundled action through the runner emulator (main, and post when post-if holds), and
//   raw:    docker login --password-stdin; docker buildx build --push; docker logout
// Prints medians, the ratio action/raw, and the action's own time before buildx starts.
// Then, in the same run: cold-cache times (no-cache) for both and their ratio, and the QEMU
// slowdown of a CPU-bound RUN step (arm64 emulated vs amd64 native) that split builds avoid.
// Usage: npm run bench -- [--rounds N] [--cold-rounds N]   (defaults 21 and 3; the build varies by ±150 ms here, so more rounds steady the medians)
import { spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { imageStore, loadEngineEnv } from '../test/e2e/engine.mjs';
import { runAction, REPO_ROOT } from '../test/e2e/runner.mjs';

const roundsIndex = process.argv.indexOf('--rounds');
const rounds = roundsIndex > 0 ? Number(process.argv[roundsIndex + 1]) : 21;
const coldIndex = process.argv.indexOf('--cold-rounds');
const coldRounds = coldIndex > 0 ? Number(process.argv[coldIndex + 1]) : 3;
const engine = loadEngineEnv();
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const ms = (value) => `${Math.round(value)} ms`;

function exec(command, args, { input, env } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...process.env, ...env }, cwd: REPO_ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} ${args.join(' ')}: exit ${code}\n${stderr.slice(-500)}`))));
    child.stdin.end(input ?? '');
  });
}

const buildArgs = (tag, cold = false) => [
  'buildx',
  'build',
  '--platform',
  'linux/amd64,linux/arm64',
  '--build-arg',
  `BASE_IMAGE=${engine.baseImage}`,
  '--tag',
  tag,
  '--push',
  ...(cold ? ['--no-cache'] : []),
  'example/app',
];

// A fresh tag per run: registry 2.8's filesystem storage can serve a half-written tag link
// (HTTP 500) when one push reads a tag while another rewrites it.
let runNumber = 0;
const nextTag = (repository) => `${engine.registry}/bench/${repository}:run-${process.pid}-${++runNumber}`;

// On the classic image store the default builder cannot build two platforms: the raw
// commands do what setup-buildx-action does in each job (create a docker-container builder,
// build with it, remove it), as the action does.
const classic = imageStore() === 'classic';
const createBuilder = (name) => [
  'buildx',
  'create',
  '--name',
  name,
  '--driver',
  'docker-container',
  '--driver-opt',
  `image=${process.env.E2E_BUILDKIT_IMAGE}`,
  '--driver-opt',
  'network=host',
  '--buildkitd-flags',
  '--allow-insecure-entitlement security.insecure --allow-insecure-entitlement network.host',
  '--bootstrap',
];
if (classic && !process.env.E2E_BUILDKIT_IMAGE) throw new Error('the classic image store needs the moby/buildkit stand-in (../shared/images) for a two-platform build');

async function raw(cold = false) {
  const config = mkdtempSync(path.join(os.tmpdir(), 'bench-raw-'));
  const plugins = path.join(os.homedir(), '.docker', 'cli-plugins');
  if (existsSync(plugins)) symlinkSync(plugins, path.join(config, 'cli-plugins'));
  const env = { DOCKER_CONFIG: config };
  const builder = `bench-raw-${process.pid}-${runNumber}`;
  const started = performance.now();
  await exec('docker', ['login', engine.registry, '--username', engine.username, '--password-stdin'], { input: engine.password, env });
  if (classic) await exec('docker', createBuilder(builder), { env });
  const tag = nextTag('raw');
  const build = await exec('docker', classic ? [...buildArgs(tag, cold).slice(0, 2), '--builder', builder, ...buildArgs(tag, cold).slice(2)] : buildArgs(tag, cold), { env });
  if (classic) await exec('docker', ['buildx', 'rm', '--force', builder], { env });
  await exec('docker', ['logout', engine.registry], { env });
  const total = performance.now() - started;
  return { total, build };
}

async function action(cold = false) {
  const tag = nextTag('action');
  let buildxStartedAt;
  let buildMs;
  let pushMs = 0;
  const started = performance.now();
  const result = await runAction({
    eventName: 'push',
    inputs: {
      tags: tag,
      context: 'example/app',
      'build-args': `BASE_IMAGE=${engine.baseImage}`,
      'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
      ...(cold ? { 'no-cache': 'true' } : {}),
    },
    onLine: (line, at) => {
      // buildx runs as `docker buildx` or as its plugin binary directly (see src/buildx/exec.ts).
      if (/^\[command\]\S*docker[ -]buildx build /.test(line)) buildxStartedAt = at;
      const build = /^build: done in (\d+) ms/.exec(line);
      if (build) buildMs = Number(build[1]);
      // With the docker driver on the containerd store the engine pushes after buildx (src/plan.ts buildArgsForBuilder).
      const push = /^push: done in (\d+) ms/.exec(line);
      if (push) pushMs = Number(push[1]);
    },
  });
  if (!result.succeeded || result.outputs.pushed !== 'true') throw new Error(`action failed:\n${result.main.log.slice(-2000)}`);
  const total = performance.now() - started;
  return { total, main: result.main.milliseconds, post: result.post?.milliseconds ?? 0, beforeBuildx: buildxStartedAt, build: buildMs, push: pushMs };
}

console.error(`warm-up (fills the build cache for both) ...`);
await measured('action');
await measured('raw');

// registry 2.8 now and then answers 500 to buildx's own HEAD of a tag it is writing (see
// above). The action retries that; the raw commands cannot. A failed run is run again and
// not counted, either side, and the count is reported.
let rerun = 0;
async function measured(which, cold = false) {
  for (let attempt = 1; ; attempt++) {
    try {
      return which === 'action' ? await action(cold) : await raw(cold);
    } catch (error) {
      if (attempt === 3) throw error;
      rerun++;
      console.error(
        `${which} run failed, run again (not counted): ${
          String(error.message)
            .split('\n')
            .filter((line) => /ERROR|failed/.test(line))
            .pop() ?? ''
        }`,
      );
    }
  }
}

const results = { action: [], raw: [] };
for (let round = 1; round <= rounds; round++) {
  // Alternate which goes first, so neither always benefits from the other's warm caches.
  const order = round % 2 ? ['action', 'raw'] : ['raw', 'action'];
  for (const which of order) results[which].push(await measured(which));
  const [a, r] = [results.action.at(-1), results.raw.at(-1)];
  console.error(`round ${round}/${rounds} (${order[0]} first): action ${ms(a.total)} (build ${ms(a.build)}), raw ${ms(r.total)} (build ${ms(r.build)})`);
}

const actionTotal = median(results.action.map((r) => r.total));
const rawTotal = median(results.raw.map((r) => r.total));
const actionOverhead = median(results.action.map((r) => r.total - r.build - r.push));
const rawOverhead = median(results.raw.map((r) => r.total - r.build));
console.log(`\nwarm-cache multi-platform build + push of example/app, ${rounds} rounds each (medians)`);
console.log(`  action (main; post runs only after a failure): ${ms(actionTotal)}`);
console.log(`  raw (login + buildx build + logout): ${ms(rawTotal)}`);
console.log(`  ratio action/raw:                  ${(actionTotal / rawTotal).toFixed(3)}`);
// Each round's two runs are back to back: their ratio is not moved by the engine slowing down or speeding up over the run.
const paired = results.action.map((entry, index) => entry.total / results.raw[index].total);
console.log(`  per-round ratio, median (min-max): ${median(paired).toFixed(3)} (${Math.min(...paired).toFixed(2)}-${Math.max(...paired).toFixed(2)})`);
console.log(`  action before buildx starts:       ${ms(median(results.action.map((r) => r.beforeBuildx)))} (node start, bundle load, inputs, plan, login, qemu, builder)`);
console.log(`  action time outside build + push:  ${ms(actionOverhead)} (raw: ${ms(rawOverhead)}; includes verify + clean-up)`);
const enginePushed = results.action.some((r) => r.push > 0);
console.log(
  `  build + push, action / raw:        ${ms(median(results.action.map((r) => r.build)))}${enginePushed ? ` + ${ms(median(results.action.map((r) => r.push)))} (buildx --load, then the engine pushes)` : ' (buildx --push)'} / ${ms(median(results.raw.map((r) => r.build)))} (buildx --push)`,
);
console.log(`  action main / post:                ${ms(median(results.action.map((r) => r.main)))} / ${ms(median(results.action.map((r) => r.post)))}`);
if (rerun) console.log(`  runs failed by the registry and run again (not counted): ${rerun}`);

// Cold cache: every step rebuilt (no-cache), both platforms, pushed.
const cold = { action: [], raw: [] };
for (let round = 1; round <= coldRounds; round++) {
  const order = round % 2 ? ['action', 'raw'] : ['raw', 'action'];
  for (const which of order) cold[which].push(await measured(which, true));
  console.error(`cold round ${round}/${coldRounds}: action ${ms(cold.action.at(-1).total)}, raw ${ms(cold.raw.at(-1).total)}`);
}
if (coldRounds > 0) {
  const coldAction = median(cold.action.map((r) => r.total));
  const coldRaw = median(cold.raw.map((r) => r.total));
  console.log(`\ncold cache (no-cache), ${coldRounds} rounds each (medians)`);
  console.log(`  action: ${ms(coldAction)}   raw: ${ms(coldRaw)}   ratio action/raw: ${(coldAction / coldRaw).toFixed(3)}`);
}

// QEMU slowdown of a CPU-bound RUN step: what building arm64 on an arm64 runner (split builds) saves.
const cpuConfig = mkdtempSync(path.join(os.tmpdir(), 'bench-cpu-'));
if (existsSync(path.join(os.homedir(), '.docker', 'cli-plugins'))) symlinkSync(path.join(os.homedir(), '.docker', 'cli-plugins'), path.join(cpuConfig, 'cli-plugins'));
await exec('docker', ['login', engine.registry, '--username', engine.username, '--password-stdin'], { input: engine.password, env: { DOCKER_CONFIG: cpuConfig } });
async function cpuBuild(platform) {
  return exec('docker', ['buildx', 'build', '--platform', platform, '--no-cache', '--build-arg', `BASE_IMAGE=${engine.baseImage}`, '--build-arg', `NONCE=${Date.now()}`, 'test/fixtures/cpu-app'], {
    env: { DOCKER_CONFIG: cpuConfig },
  });
}
const native = [];
const emulated = [];
for (let round = 0; round < 3; round++) {
  native.push(await cpuBuild('linux/amd64'));
  emulated.push(await cpuBuild('linux/arm64'));
}
console.log(`\nCPU-bound RUN step (200,000 shell loop iterations), 3 builds each (medians)`);
console.log(`  amd64 native: ${ms(median(native))}   arm64 under QEMU: ${ms(median(emulated))}   slowdown: ${(median(emulated) / median(native)).toFixed(1)}x`);
