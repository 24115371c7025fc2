import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const fresh = mkdtempSync(path.join(os.tmpdir(), 'dist-check-'));

function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`]));
}

// The dist job of ci.yml and run-all.sh's first unit run check it; the other unit runs set
// BUILD_PUSH_DIST_CHECKED=1 (the bundle does not depend on the Node running the tests).
const checkedElsewhere = process.env.BUILD_PUSH_DIST_CHECKED === '1';

describe.skipIf(checkedElsewhere)(`dist/${checkedElsewhere ? ' (skipped: BUILD_PUSH_DIST_CHECKED=1, checked by another run)' : ''}`, () => {
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('is exactly what a fresh build of src/ produces (rebuild with npm run build and commit it)', () => {
    execFileSync('node', ['scripts/build.mjs', '--out', fresh], { cwd: root, stdio: 'inherit' });
    const committed = files(path.join(root, 'dist')).sort();
    expect(files(fresh).sort()).toEqual(committed);
    const stale = committed.filter((file) => !readFileSync(path.join(root, 'dist', file)).equals(readFileSync(path.join(fresh, file))));
    expect(stale, `stale files in dist/: ${stale.join(', ')}`).toEqual([]);
  }, 120_000);
});
