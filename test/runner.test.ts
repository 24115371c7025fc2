// The runner protocol as the action speaks it: through @actions/core.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { EOL } from 'node:os';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@actions/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { INPUT_NAMES } from '../src/plan/inputs.js';
import { maskSecret } from '../src/mask.js';

/** What @actions/core writes to stdout while `work` runs. */
function written(work: () => void): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    work();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('workflow-command data escaping (core)', () => {
  it.each([
    ['plain', 'plain'],
    ['100%', '100%25'],
    ['a\nb', 'a%0Ab'],
    ['a\r\nb', 'a%0D%0Ab'],
    ['%0A', '%250A'],
    ['::set-output name=x::y', '::set-output name=x::y'],
  ])('%j → %j', (text, escaped) => {
    expect(written(() => core.warning(text))).toBe(`::warning::${escaped}${EOL}`);
  });

  it('leaves no raw line break, so a message cannot start a new workflow command', () => {
    expect(written(() => core.error('x\n::add-mask::y\r\n::error::z')).trimEnd()).not.toMatch(/[\r\n]/);
  });
});

describe('getInput (core), as main reads the inputs', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  it.each([
    ['tags', { INPUT_TAGS: 'ghcr.io/acme/app:1' }, 'ghcr.io/acme/app:1'],
    ['dry-run', { 'INPUT_DRY-RUN': 'true' }, 'true'],
    ['registry-auth', { 'INPUT_REGISTRY-AUTH': '  - registry: ghcr.io\n' }, '- registry: ghcr.io'],
    ['my input', { INPUT_MY_INPUT: 'x' }, 'x'],
    ['tags', {}, ''],
  ])('%s from %j is %j', (name, env: Record<string, string>, value) => {
    for (const [key, text] of Object.entries(env)) vi.stubEnv(key, text);
    expect(core.getInput(name)).toBe(value);
  });

  it('reads every action input from its INPUT_* variable as the runner names it', () => {
    for (const name of INPUT_NAMES) vi.stubEnv(`INPUT_${name.toUpperCase()}`, `value of ${name}`);
    for (const name of INPUT_NAMES) expect(core.getInput(name)).toBe(`value of ${name}`);
  });

  it('keeps the whitespace of a separator when asked', () => {
    vi.stubEnv('INPUT_SEP-TAGS', ' ');
    expect(core.getInput('sep-tags', { trimWhitespace: false })).toBe(' ');
  });
});

describe('file commands (core.setOutput)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'file-command-'));
    file = path.join(dir, 'output');
    writeFileSync(file, '');
    vi.stubEnv('GITHUB_OUTPUT', file);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    rmSync(dir, { recursive: true, force: true });
  });

  // core draws its delimiter from crypto.randomUUID: fixed here, to see the whole block.
  const fixDelimiter = (uuid: string): void => {
    vi.spyOn(createRequire(import.meta.url)('node:crypto') as { randomUUID: () => string }, 'randomUUID').mockReturnValue(uuid as ReturnType<typeof crypto.randomUUID>);
    syncBuiltinESMExports();
  };

  it('writes name<<delimiter, the value and the delimiter, each on its own line', () => {
    fixDelimiter('DELIM');
    core.setOutput('tags', 'a\nb');
    expect(readFileSync(file, 'utf8')).toBe(`tags<<ghadelimiter_DELIM${EOL}a\nb${EOL}ghadelimiter_DELIM${EOL}`);
  });

  it('writes an empty value', () => {
    fixDelimiter('DELIM');
    core.setOutput('digest', '');
    expect(readFileSync(file, 'utf8')).toBe(`digest<<ghadelimiter_DELIM${EOL}${EOL}ghadelimiter_DELIM${EOL}`);
  });

  it('uses a fresh random delimiter by default', () => {
    core.setOutput('x', 'v');
    core.setOutput('x', 'v');
    const [first, second] = readFileSync(file, 'utf8')
      .split(EOL)
      .filter((line) => line.startsWith('x<<'));
    expect(first).toMatch(/^x<<ghadelimiter_[0-9a-f-]{36}$/);
    expect(first).not.toBe(second);
  });

  it.each([
    ['value', 'x', 'a\nghadelimiter_DELIM\nb'],
    ['name', 'xghadelimiter_DELIM', 'v'],
  ])('refuses a %s that contains the delimiter (it could inject other outputs)', (what, name, value) => {
    fixDelimiter('DELIM');
    expect(() => core.setOutput(name, value)).toThrow(`${what} should not contain the delimiter`);
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});

describe('maskSecret', () => {
  it('masks the secret, then each line of a multi-line one, before anything prints it', () => {
    expect(written(() => maskSecret('line one\r\nline two\n\n'))).toBe(['::add-mask::line one%0D%0Aline two%0A%0A', '::add-mask::line one', '::add-mask::line two', ''].join(EOL));
  });

  it('masks nothing for an empty value', () => {
    expect(written(() => maskSecret(''))).toBe('');
  });
});
