// Contexts built by the real contextFrom, from @actions/github's context of the env and event payload fixtures.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { context as loadedContext } from '@actions/github';
import { contextFrom, type Context, type Env, type GitHubContext } from '../../src/plan/context.js';
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

/** @actions/github's Context class: each instance reads the environment and payload anew. */
const GitHubContextClass = loadedContext.constructor as new () => GitHubContext;

/** A fresh @actions/github context made in exactly `env` (the process environment is put back after). */
export function githubContextIn(env: Env): GitHubContext {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('GITHUB_')) delete process.env[key];
  Object.assign(process.env, env);
  try {
    const made = new GitHubContextClass();
    // Its repo getter reads GITHUB_REPOSITORY when called: answer it now, in `env`.
    let repo: GitHubContext['repo'] | Error;
    try {
      repo = made.repo;
    } catch (error) {
      repo = error as Error;
    }
    Object.defineProperty(made, 'repo', {
      get: () => {
        if (repo instanceof Error) throw repo;
        return repo;
      },
    });
    return made;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/** Our context for `env`, as main reads it (the toolkit's context, the workspace and temp folder). */
export function contextIn(env: Env, cwd = '/cwd', tmpdir = '/tmp'): Context {
  return contextFrom(() => githubContextIn(env), env, cwd, tmpdir);
}

export function fixtureContext(event: EventName): Context {
  return contextIn(fixtureEnv(event));
}
