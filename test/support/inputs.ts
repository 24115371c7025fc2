// Shared helpers for unit tests: raw inputs as the runner hands them over, and action.yml.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../src/errors.js';
import { INPUT_NAMES, parseInputs, type InputName, type Inputs, type RawInputs } from '../../src/plan/inputs.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

export interface ActionYml {
  readonly inputs: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  readonly outputs: Record<string, { description?: string }>;
  readonly runs: Record<string, unknown>;
}

export function readActionYml(): ActionYml {
  return parseYaml(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionYml;
}

/** What the runner passes: every input present, '' when it has no value. */
export function rawInputs(overrides: Partial<Record<InputName, string>> = {}): RawInputs {
  const empty = Object.fromEntries(INPUT_NAMES.map((name) => [name, ''])) as Record<InputName, string>;
  return { ...empty, ...overrides };
}

/** The raw inputs a workflow gets when it sets only `overrides`: action.yml defaults for the rest. */
export function rawInputsWithDefaults(overrides: Partial<Record<InputName, string>> = {}): RawInputs {
  const action = readActionYml();
  const defaults = Object.fromEntries(
    // The runner evaluates expressions in defaults; `${{ github.token }}` is '' in these tests.
    INPUT_NAMES.map((name) => [name, action.inputs[name]?.default === undefined ? '' : String(action.inputs[name]?.default).replace(/\$\{\{[^}]*\}\}/g, '')]),
  ) as Record<InputName, string>;
  return { ...defaults, ...overrides };
}

/** A mask callback that records what it was given. */
export function recordingMask(): { masked: string[]; mask: (secret: string) => void } {
  const masked: string[] = [];
  return { masked, mask: (secret: string) => masked.push(secret) };
}

/** Parsed inputs from overrides on top of '' for everything else. */
export function inputsFrom(overrides: Partial<Record<InputName, string>> = {}): Inputs {
  return parseInputs(rawInputs(overrides), () => undefined);
}

/** Runs `action`, which must throw an InputError about `input`; returns the error for more checks. */
export function expectInputError(action: () => unknown, input: string): InputError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InputError about "${input}"`).toBeInstanceOf(InputError);
  const error = caught as InputError;
  expect(error.input).toBe(input);
  expect(error.message).toContain(`input "${input}"`);
  expect(error.message).toContain('Example of a valid value');
  return error;
}
