// Contexts built by the real readContext from the env and event payload fixtures.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readContext, type Context, type Env } from '../../src/context.js';
import { FIXTURES } from './inputs.js';

export const EVENTS = ['push', 'pull_request', 'pull_request_target', 'merge_group', 'workflow_dispatch', 'schedule', 'release'] as const;
export type EventName = (typeof EVENTS)[number];

/** pull_request_target carries the same payload as pull_request. */
const PAYLOAD_FILE: Record<EventName, string> = {
  push: 'push.json',
  pull_request: 'pull_request.json',
  pull_request_target: 'pull_request.json',
  merge_group: 'merge_group.json',
  workflow_dispatch: 'workflow_dispatch.json',
  schedule: 'schedule.json',
  release: 'release.json',
};

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function eventPayloadPath(event: EventName): string {
  return path.join(FIXTURES, 'events', PAYLOAD_FILE[event]);
}

/** The environment the runner gives a step for `event`. */
export function fixtureEnv(event: EventName): Env {
  const base = readJson<Record<string, string>>(path.join(FIXTURES, 'env', 'github.json'));
  const perEvent = readJson<Record<EventName, Record<string, string>>>(path.join(FIXTURES, 'env', 'events.json'));
  return { ...base, ...perEvent[event], GITHUB_EVENT_PATH: eventPayloadPath(event) };
}

export function fixtureContext(event: EventName): Context {
  return readContext(fixtureEnv(event), (file) => readFileSync(file, 'utf8'), '/cwd', '/tmp');
}
