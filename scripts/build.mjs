// Bundles src/main.ts and src/post.ts into <out>/main and <out>/post with ncc.
// Usage: node scripts/build.mjs [--out dist]. The dist test builds into a temp folder
// with this same script and compares, so dist/ can never drift from src/.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const out = path.resolve(root, outIndex > 0 ? process.argv[outIndex + 1] : 'dist');
const run = promisify(execFile);
const ncc = path.join(root, 'node_modules', '.bin', 'ncc');

const entries = [
  ['src/main.ts', 'main', ['--license', 'licenses.txt']],
  ['src/post.ts', 'post', []],
];
// Both bundles at once: the build is CPU-bound and the machine has two cores.
await Promise.all(
  entries.map(([entry, name, extra]) =>
    run(ncc, ['build', entry, '-o', path.join(out, name), '--minify', '--no-source-map-register', '--quiet', ...extra], { cwd: root }),
  ),
);
