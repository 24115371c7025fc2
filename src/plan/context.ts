import { existsSync } from 'node:fs';
import type { context as githubContext } from '@actions/github';
import { ActionError, errorMessage } from '../errors.js';

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

/** @actions/github's context: the GITHUB_* variables and the event payload, read when it is made. */
export type GitHubContext = typeof githubContext;

/**
 * Our context from @actions/github's. `make` builds the toolkit's context (it reads the
 * event payload); its failures become errors that name the file. The workspace and the
 * temp folder, which the toolkit's context does not carry, come from `env`.
 */
export function contextFrom(make: () => GitHubContext, env: Env, cwd: string, tmpdir: string): Context {
  const eventPath = env.GITHUB_EVENT_PATH;
  // The toolkit only logs a missing payload file; a run without its event is not one to guess at.
  if (eventPath && !existsSync(eventPath)) throw new ActionError(`GITHUB_EVENT_PATH points at ${eventPath}, which cannot be read`);
  let github: GitHubContext;
  try {
    github = make();
  } catch (error) {
    if (error instanceof SyntaxError) throw new ActionError(`the event payload ${eventPath ?? ''} is not valid JSON`);
    throw new ActionError(`GITHUB_EVENT_PATH points at ${eventPath ?? ''}, which cannot be read (${errorMessage(error)})`);
  }
  const payload: unknown = github.payload;
  let repository = '';
  try {
    const { owner, repo } = github.repo;
    if (owner && repo) repository = `${owner}/${repo}`;
  } catch {
    // Neither GITHUB_REPOSITORY nor a repository in the payload.
  }
  return {
    eventName: github.eventName ?? '',
    ref: github.ref ?? '',
    sha: github.sha ?? '',
    repository,
    actor: github.actor ?? '',
    runId: Number.isNaN(github.runId) ? '' : String(github.runId),
    serverUrl: github.serverUrl,
    workspace: env.GITHUB_WORKSPACE || cwd,
    runnerTemp: env.RUNNER_TEMP || tmpdir,
    payload: typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {},
  };
}

/**
 * The run's context from @actions/github, loaded here (a chunk of its own) rather than at
 * start: its Octokit comes with it, and only this phase and the repository request need it.
 */
export async function readContext(env: Env, cwd: string, tmpdir: string): Promise<Context> {
  let loaded: GitHubContext | undefined;
  let failure: unknown;
  if (!(env.GITHUB_EVENT_PATH && !existsSync(env.GITHUB_EVENT_PATH))) {
    try {
      loaded = (await import('@actions/github')).context;
    } catch (error) {
      // The toolkit reads the payload as it loads: a broken one fails the import.
      failure = error;
    }
  }
  return contextFrom(
    () => {
      if (!loaded) throw failure;
      return loaded;
    },
    env,
    cwd,
    tmpdir,
  );
}
