// Bundles src/index.ts (which runs src/main.ts) and src/post.ts into <out>/main and <out>/post with ncc.
// Usage: node scripts/build.mjs [--out dist]. The dist test builds into a temp folder
// with this same script and compares, so dist/ can never drift from src/.
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const out = path.resolve(root, outIndex > 0 ? process.argv[outIndex + 1] : 'dist');
const run = promisify(execFile);
const ncc = path.join(root, 'node_modules', '.bin', 'ncc');

const entries = [
  ['src/index.ts', 'main', ['--license', 'licenses.txt']],
  ['src/post.ts', 'post', []],
];
// A chunk ncc no longer makes must not stay behind: each bundle's folder starts empty.
await Promise.all(entries.map(([, name]) => rm(path.join(out, name), { recursive: true, force: true })));

// Both bundles at once: the build is CPU-bound and the machine has two cores. No cache: ncc's
// (webpack's, in ~/.cache/ncc per folder) keeps module resolutions across builds without
// watching tsconfig.json's paths, so a cache from before a mapping gave a different bundle;
// without it the build costs the same here (~14 s) and depends on src/ and the lock file alone.
await Promise.all(
  entries.map(([entry, name, extra]) => run(ncc, ['build', entry, '-o', path.join(out, name), '--minify', '--no-source-map-register', '--no-cache', '--quiet', ...extra], { cwd: root })),
);

// ncc's license collection misses packages it resolves through an "exports" import
// condition (js-yaml): add any runtime dependency it left out, with its license text.
const licensesFile = path.join(out, 'main', 'licenses.txt');
const licenses = await readFile(licensesFile, 'utf8');
const listed = new Set(licenses.split('\n'));
const { dependencies } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
let missing = '';
for (const name of Object.keys(dependencies).sort()) {
  if (listed.has(name)) continue;
  const dir = path.join(root, 'node_modules', name);
  const { license } = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
  const file = (await readdir(dir)).find((entry) => /^licen[cs]e/i.test(entry));
  if (!file) throw new Error(`${name}: no license file to put in ${licensesFile}`);
  missing += `\n${name}\n${license}\n${(await readFile(path.join(dir, file), 'utf8')).trim()}\n`;
}
if (missing) await writeFile(licensesFile, `${licenses.trimEnd()}\n${missing}`);
