// docker/metadata-action's own test cases (test/fixtures/metadata-action/, see its README),
// run through the action's code path: raw inputs → parseInputs → contextFrom (the toolkit's context) → makePlan →
// the step outputs, with the environment and event payload each case names.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Env } from '../../src/plan/context.js';
import { contextIn } from './context.js';
import { parseInputs } from '../../src/plan/inputs.js';
import { makePlan, type Plan } from '../../src/plan/plan.js';
import { repositoryFromPayload } from '../../src/phases/repository.js';
import { outputsFor, type OutputName } from '../../src/report/summary.js';
import { FIXTURES, rawInputs } from './inputs.js';
import { dryRunReport } from './report.js';
import { planRegistries } from '../../src/registries/index.js';

export const PARITY_FIXTURES = path.join(FIXTURES, 'metadata-action');
const EVENTS = path.join(PARITY_FIXTURES, 'events');

/** metadata-action's suite freezes moment and Date#toISOString at this instant: {{date}}, {{commit_date}} and the created label all read it. */
export const FROZEN_CLOCK = new Date('2020-01-10T00:30:00.000Z');

export function readParityCases<T>(file: string): T[] {
  return JSON.parse(readFileSync(path.join(PARITY_FIXTURES, file), 'utf8')) as T[];
}

/** A dotenv file of the suite (KEY=value lines). */
export function readDotenv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path.join(EVENTS, file), 'utf8').split(/\r?\n/)) {
    const equals = line.indexOf('=');
    if (equals > 0 && !line.startsWith('#')) env[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return env;
}

/** Inputs as metadata-action's tests hand them to its Meta class: lists already split into lines. */
export interface SuiteInputs {
  images?: string[];
  tags?: string[];
  flavor?: string[];
  labels?: string[];
  annotations?: string[];
  sepTags?: string;
  sepLabels?: string;
  sepAnnotations?: string;
}

/**
 * One list element as a line of the input: the line that docker/actions-toolkit's
 * getInputList reads back as exactly this element. An element with a quote must be
 * quoted as a whole, quotes doubled (csv-parse would otherwise take the quotes away).
 */
export function inputLine(element: string): string {
  return element.includes('"') ? `"${element.replace(/"/g, '""')}"` : element;
}

const lines = (list: string[] | undefined): string => (list ?? []).map(inputLine).join('\n');

/** The repository the suite's mocked GitHub API returns. */
export const SUITE_REPO = repositoryFromPayload({ repository: JSON.parse(readFileSync(path.join(PARITY_FIXTURES, 'repo.json'), 'utf8')) as unknown });

export interface ParityRun {
  readonly plan: Plan;
  readonly outputs: Record<OutputName, string>;
}

/** Runs one case: `envFile` from the suite's fixtures, `extraEnv` on top (DOCKER_METADATA_*). */
export function runParityCase(envFile: string, suiteInputs: SuiteInputs, extraEnv: Env = {}): ParityRun {
  const env: Env = { ...readDotenv(envFile), ...extraEnv };
  const inputs = parseInputs(
    rawInputs({
      images: lines(suiteInputs.images),
      tags: lines(suiteInputs.tags),
      flavor: lines(suiteInputs.flavor),
      labels: lines(suiteInputs.labels),
      annotations: lines(suiteInputs.annotations),
      'sep-tags': suiteInputs.sepTags ?? '',
      'sep-labels': suiteInputs.sepLabels ?? '',
      'sep-annotations': suiteInputs.sepAnnotations ?? '',
      'dry-run': 'true',
    }),
    () => undefined,
  );
  // The event paths are relative to metadata-action's checkout: the file name is what counts.
  const context = contextIn(env.GITHUB_EVENT_PATH ? { ...env, GITHUB_EVENT_PATH: path.join(EVENTS, path.basename(env.GITHUB_EVENT_PATH)) } : env, '/work', '/tmp');
  const plan = makePlan(inputs, context, {
    planRegistries,
    architecture: 'amd64',
    workDir: '/tmp/build-push-parity',
    env,
    now: FROZEN_CLOCK,
    commitDate: FROZEN_CLOCK,
    ...(SUITE_REPO ? { repo: SUITE_REPO } : {}),
  });
  const outputs = outputsFor(dryRunReport(plan, inputs.separators));
  return { plan, outputs };
}

/** Splits an output by its separator ('' is no entries). */
export function outputList(text: string, separator = '\n'): string[] {
  return text === '' ? [] : text.split(separator);
}
