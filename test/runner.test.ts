import { EOL } from 'node:os';
import { describe, expect, it } from 'vitest';
import { escapeData, fileCommand, getInput } from '../src/runner.js';
import { INPUT_NAMES } from '../src/inputs.js';

describe('escapeData', () => {
  it.each([
    ['plain', 'plain'],
    ['100%', '100%25'],
    ['a\nb', 'a%0Ab'],
    ['a\r\nb', 'a%0D%0Ab'],
    ['%0A', '%250A'],
    ['::set-output name=x::y', '::set-output name=x::y'],
  ])('%j → %j', (text, escaped) => {
    expect(escapeData(text)).toBe(escaped);
  });

  it('leaves no raw line break, so a message cannot start a new workflow command', () => {
    expect(escapeData('x\n::add-mask::y\r\n::error::z')).not.toMatch(/[\r\n]/);
  });
});

describe('getInput', () => {
  it.each([
    ['tags', { INPUT_TAGS: 'ghcr.io/acme/app:1' }, 'ghcr.io/acme/app:1'],
    ['dry-run', { 'INPUT_DRY-RUN': 'true' }, 'true'],
    ['registry-auth', { 'INPUT_REGISTRY-AUTH': '  - registry: ghcr.io\n' }, '- registry: ghcr.io'],
    ['my input', { INPUT_MY_INPUT: 'x' }, 'x'],
    ['tags', {}, ''],
  ])('%s from %j is %j', (name, env, value) => {
    expect(getInput(name, env)).toBe(value);
  });

  it('reads every action input from its INPUT_* variable as the runner names it', () => {
    const env = Object.fromEntries(INPUT_NAMES.map((name) => [`INPUT_${name.toUpperCase()}`, `value of ${name}`]));
    for (const name of INPUT_NAMES) expect(getInput(name, env)).toBe(`value of ${name}`);
  });
});

describe('fileCommand', () => {
  it('writes name<<delimiter, the value and the delimiter, each on its own line', () => {
    expect(fileCommand('tags', 'a\nb', 'DELIM')).toBe(`tags<<DELIM${EOL}a\nb${EOL}DELIM${EOL}`);
  });

  it('writes an empty value', () => {
    expect(fileCommand('digest', '', 'DELIM')).toBe(`digest<<DELIM${EOL}${EOL}DELIM${EOL}`);
  });

  it('uses a fresh random delimiter by default', () => {
    const first = fileCommand('x', 'v').split(EOL)[0];
    const second = fileCommand('x', 'v').split(EOL)[0];
    expect(first).toMatch(/^x<<ghadelimiter_[0-9a-f-]{36}$/);
    expect(first).not.toBe(second);
  });

  it.each([
    ['value', 'x', 'a\nDELIM\nb'],
    ['name', 'xDELIM', 'v'],
  ])('refuses a %s that contains the delimiter (it could inject other outputs)', (_, name, value) => {
    expect(() => fileCommand(name, value, 'DELIM')).toThrow(`the value of ${name} contains the delimiter`);
  });
});
