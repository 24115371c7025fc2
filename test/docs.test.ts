// README.md's inputs and outputs tables are generated from action.yml by scripts/docs.mjs
// (`npm run docs`). These tests fail when README.md differs from what the script would
// write, and check that the script only ever rewrites the text between its markers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const script = path.join(root, 'scripts', 'docs.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'docs-test-'));

function docs(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The first column (`name`) of each table row between a pair of markers. */
function tableNames(markdown: string, section: 'inputs' | 'outputs'): string[] {
  const start = markdown.indexOf(`<!-- ${section}:start -->`);
  const end = markdown.indexOf(`<!-- ${section}:end -->`);
  expect(start, `<!-- ${section}:start --> marker`).toBeGreaterThanOrEqual(0);
  expect(end, `<!-- ${section}:end --> marker`).toBeGreaterThan(start);
  return markdown
    .slice(start, end)
    .split('\n')
    .flatMap((line) => /^\|\s*`([^`]+)`/.exec(line)?.[1] ?? []);
}

const README = `# title

intro

## Inputs

<!-- inputs:start -->
| stale | table |
<!-- inputs:end -->

text between the tables, kept as it is

## Outputs

<!-- outputs:start -->
<!-- outputs:end -->

## After
the end, kept as it is
`;

const ACTION = `name: x
description: x
inputs:
  first:
    description: A plain description with a | pipe.
    default: 'a|b'
  second:
    description: |
      Two lines
      of prose.
      Example:
        - key: value
          other: <thing>
    required: true
  third:
    description: No default.
outputs:
  out:
    description: An output.
runs:
  using: node24
  main: index.js
`;

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README.md inputs and outputs tables', () => {
  it('are what scripts/docs.mjs generates from action.yml (run `npm run docs` and commit README.md)', () => {
    const result = docs('--check');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('list every input and output of action.yml, in its order', () => {
    const action = parseYaml(readFileSync(path.join(root, 'action.yml'), 'utf8')) as { inputs: object; outputs: object };
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(tableNames(readme, 'inputs')).toEqual(Object.keys(action.inputs));
    expect(tableNames(readme, 'outputs')).toEqual(Object.keys(action.outputs));
  });
});

describe('scripts/docs.mjs', () => {
  const readmePath = path.join(tmp, 'README.md');
  const actionPath = path.join(tmp, 'action.yml');
  const files = ['--readme', readmePath, '--action', actionPath];

  it('--check exits 1 on drift and names the fix; a run rewrites only between the markers', () => {
    writeFileSync(readmePath, README);
    writeFileSync(actionPath, ACTION);

    const drift = docs('--check', ...files);
    expect(drift.status).toBe(1);
    expect(drift.stderr).toContain('npm run docs');
    expect(readFileSync(readmePath, 'utf8')).toBe(README); // --check writes nothing

    expect(docs(...files).status).toBe(0);
    const written = readFileSync(readmePath, 'utf8');
    expect(docs('--check', ...files).status).toBe(0);

    // outside the markers: byte for byte what was there
    const outside = (text: string) => [
      text.slice(0, text.indexOf('<!-- inputs:start -->')),
      text.slice(text.indexOf('<!-- inputs:end -->'), text.indexOf('<!-- outputs:start -->')),
      text.slice(text.indexOf('<!-- outputs:end -->')),
    ];
    expect(outside(written)).toEqual(outside(README));
    expect(written).not.toContain('stale');

    expect(tableNames(written, 'inputs')).toEqual(['first', 'second', 'third']);
    expect(tableNames(written, 'outputs')).toEqual(['out']);
    expect(written).toContain('| Input | Default | Description |');
    expect(written).toContain('| `first` | `a\\|b` | A plain description with a \\| pipe. |');
    expect(written).toContain('| `second` (required) |  | Two lines of prose. Example:<br><code>- key: value</code><br><code>&nbsp;&nbsp;other: &lt;thing&gt;</code> |');
    expect(written).toContain('| `third` |  | No default. |');
    expect(written).toContain('| `out` | An output. |');

    // a run on an up-to-date README changes nothing
    expect(docs(...files).status).toBe(0);
    expect(readFileSync(readmePath, 'utf8')).toBe(written);
  });

  it('--check fails when action.yml changes after the README was generated', () => {
    writeFileSync(readmePath, README);
    writeFileSync(actionPath, ACTION);
    expect(docs(...files).status).toBe(0);
    writeFileSync(actionPath, ACTION.replace('  third:\n', '  added:\n    description: New.\n  third:\n'));
    expect(docs('--check', ...files).status).toBe(1);
    expect(docs(...files).status).toBe(0);
    expect(tableNames(readFileSync(readmePath, 'utf8'), 'inputs')).toEqual(['first', 'second', 'added', 'third']);
  });

  it('refuses a README without its markers (exit 2) and leaves it alone', () => {
    const noMarkers = README.replace('<!-- outputs:end -->\n', '');
    writeFileSync(readmePath, noMarkers);
    writeFileSync(actionPath, ACTION);
    const result = docs(...files);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('<!-- outputs:end -->');
    expect(readFileSync(readmePath, 'utf8')).toBe(noMarkers);
  });
});
