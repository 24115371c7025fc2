import { ActionError } from './errors.js';

/** What the runner tells the action about the workflow run, read once. */
export interface Context {
  readonly eventName: string;
  readonly ref: string;
  readonly sha: string;
  readonly repository: string;
  readonly actor: string;
  readonly runId: string;
  readonly serverUrl: string;
  readonly workspace: string;
  /** Where this job may write temporary files; emptied by the runner after the job. */
  readonly runnerTemp: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the context from the runner's GITHUB_* variables and the event payload file.
 * `readFile` is injected so tests can hand in fixtures.
 */
export function readContext(env: Env, readFile: (path: string) => string, cwd: string, tmpdir: string): Context {
  let payload: Record<string, unknown> = {};
  const eventPath = env.GITHUB_EVENT_PATH;
  if (eventPath) {
    let text: string;
    try {
      text = readFile(eventPath);
    } catch {
      throw new ActionError(`GITHUB_EVENT_PATH points at ${eventPath}, which cannot be read`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) payload = parsed as Record<string, unknown>;
    } catch {
      throw new ActionError(`the event payload ${eventPath} is not valid JSON`);
    }
  }
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    ref: env.GITHUB_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    repository: env.GITHUB_REPOSITORY ?? '',
    actor: env.GITHUB_ACTOR ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    workspace: env.GITHUB_WORKSPACE || cwd,
    runnerTemp: env.RUNNER_TEMP || tmpdir,
    payload,
  };
}
