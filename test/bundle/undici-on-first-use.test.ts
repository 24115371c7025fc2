// undici is evaluated only when something reads it (src/bundle/undici-on-first-use.cjs):
// undici sets globalThis[Symbol.for('undici.globalDispatcher.1')] as it is evaluated, so a
// child process that never read it ends without that property.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dryRunStep } from '../support/dry-run-step.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const temp = mkdtempSync(path.join(os.tmpdir(), 'undici-on-first-use-'));
const probe = path.join(temp, 'probe.mjs');
writeFileSync(probe, "process.on('exit', () => process.stderr.write(`undici evaluated: ${globalThis[Symbol.for('undici.globalDispatcher.1')] !== undefined}\\n`));\n");

/** What the probe saw in a child Node run with `args`, and the child's stdout. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): { undiciEvaluated: boolean; stdout: string } {
  const { stderr, stdout } = spawnSync(process.execPath, ['--import', probe, ...args], { cwd: temp, env: { PATH: process.env.PATH ?? '', HOME: temp, ...env }, encoding: 'utf8' });
  const line = /undici evaluated: (true|false)\n$/.exec(stderr);
  if (!line) throw new Error(`no probe line from node ${args.join(' ')}: ${stderr}`);
  return { undiciEvaluated: line[1] === 'true', stdout };
}

afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('undici on first use', () => {
  const shim = path.join(root, 'src/bundle/undici-on-first-use.cjs');

  it('requiring the stand-in does not evaluate undici; reading one export does', () => {
    expect(run(['-e', `require(${JSON.stringify(shim)})`]).undiciEvaluated).toBe(false);
    expect(run(['-e', `process.stdout.write(typeof require(${JSON.stringify(shim)}).ProxyAgent)`])).toEqual({ undiciEvaluated: true, stdout: 'function' });
  });

  it('the bundled step runs a whole dry run without evaluating undici (@actions/core imports it at start)', () => {
    const step = dryRunStep(temp);
    const dryRun = run([path.join(root, 'dist/main/index.js')], step);
    expect(dryRun.stdout).toContain('build-push: dry run');
    expect(dryRun.undiciEvaluated).toBe(false);
  });
});
