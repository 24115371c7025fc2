// Types of runner.mjs, the GitHub Actions runner emulator (the .mjs stays plain JavaScript:
// scripts/ run it with node).

/** The repository's root folder (the default action folder and workspace). */
export const REPO_ROOT: string;

/** Parses the runner's file-command format (`name=value` or `name<<DELIM ... DELIM`). */
export function parseFileCommands(text: string): Record<string, string>;

/** The Node version action.yml declares (`node24` → 24). */
export function declaredNodeMajor(actionDir?: string): number;

/** The node binary for the declared runtime: E2E_NODE24 (etc.) from the engine set-up, else `node`. */
export function nodeForAction(actionDir?: string): string;

/** A job's status as status functions (success(), failure(), cancelled()) see it. */
export type JobStatus = 'success' | 'failure' | 'cancelled';

/**
 * Evaluates an action's post-if the way the runner does (always(), success(), failure(),
 * cancelled(), !, &&, ||, parentheses, optionally inside ${{ }}); throws on anything else.
 */
export function evaluateStatusCondition(expression: string, jobStatus: JobStatus): boolean;

/**
 * The cache service a step is given: `v2` (a github.com runner, the v2 service's URL) or `v1`
 * (a GHES runner, the v1 REST API's URL), with the runtime token. cacheServiceEnv throws
 * when the token or both URLs are missing.
 */
export interface CacheServiceRef {
  v2?: string;
  v1?: string;
  token?: string;
}

/**
 * The cache variables the runner gives a JavaScript action's step: ACTIONS_RESULTS_URL,
 * ACTIONS_RUNTIME_TOKEN and ACTIONS_CACHE_SERVICE_V2 for v2; ACTIONS_CACHE_URL and
 * ACTIONS_RUNTIME_TOKEN for v1; none without a service.
 */
export function cacheServiceEnv(service?: CacheServiceRef): Record<string, string>;

/** What runAction does (everything optional; defaults are a push to main of acme/app). */
export interface RunActionOptions {
  /** The action's inputs (each made a string); undeclared ones throw. Unset inputs get action.yml's defaults. */
  inputs?: Record<string, string | number | boolean>;
  /** GITHUB_EVENT_NAME (default 'push'). */
  eventName?: string;
  /** The event payload, written as GITHUB_EVENT_PATH (default {}). */
  payload?: unknown;
  ref?: string;
  sha?: string;
  repository?: string;
  actor?: string;
  runId?: string;
  /** `${{ github.token }}` for input defaults. */
  githubToken?: string;
  /** GITHUB_WORKSPACE and the steps' working folder (default REPO_ROOT). */
  workspace?: string;
  /** The step's PATH and HOME (default this process's). */
  path?: string;
  home?: string;
  /** Extra environment, over everything else the runner sets. */
  env?: Record<string, string | undefined>;
  /** The folder with action.yml (default REPO_ROOT). */
  actionDir?: string;
  /** The node binary (default nodeForAction). */
  node?: string;
  /** Where the run's temporary root is made (default the OS temp folder). */
  tmpRoot?: string;
  /** Called with each line main prints and the milliseconds since it started. */
  onLine?: (line: string, elapsedMs: number) => void;
  /** Do not run the post step. */
  skipPost?: boolean;
  cacheService?: CacheServiceRef;
  /** Cancel the job when a line of main makes this true (SIGINT, SIGTERM, SIGKILL as the runner). */
  cancelWhen?: (line: string) => boolean;
  /** The step's timeout-minutes passes when a line of main makes this true. */
  timeOutWhen?: (line: string) => boolean;
  /** The step's timeout-minutes, by the clock (main and post each). */
  timeoutMinutes?: number;
  /** continue-on-error: a failed main leaves the job successful. */
  continueOnError?: boolean;
}

/** One step (main or post) as the emulator ran it. */
export interface StepResult {
  /** The exit code (1 when killed by a signal). */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** Whether the emulator stopped it (cancelWhen, timeOutWhen or timeoutMinutes). */
  stopped: boolean;
  /** Raw output, workflow commands included. */
  stdout: string;
  stderr: string;
  milliseconds: number;
  /** stdout as the runner's log shows it: ::add-mask:: lines gone, masked values as ***. */
  log: string;
}

/** What runAction returns: everything the run printed and wrote. */
export interface ActionRun {
  main: StepResult & {
    /** Whether cancelWhen cancelled the job. */
    cancelled: boolean;
  };
  /** Absent when action.yml's post-if (or skipPost) skipped it. */
  post?: StepResult;
  jobStatus: JobStatus;
  /** GITHUB_OUTPUT after main. */
  outputs: Record<string, string>;
  /** GITHUB_STATE after main (given to post as STATE_*). */
  state: Record<string, string>;
  /** GITHUB_STEP_SUMMARY after main. */
  summary: string;
  /** Every ::add-mask:: value, main's and post's. */
  masks: string[];
  /** The run's temporary root (RUNNER_TEMP, file commands and event file are under it). */
  root: string;
  runnerTemp: string;
  files: { output: string; state: string; env: string; path: string; summary: string; event: string };
  /** The inputs as given to the step (defaults applied). */
  inputs: Record<string, string>;
  /** main exited with 0. */
  succeeded: boolean;
}

/** Runs the action's main step, then its post step when action.yml's post-if holds for the job's status. */
export function runAction(options?: RunActionOptions): Promise<ActionRun>;

/** Every file under `dir` (recursively), for secret scans; [] when it does not exist. */
export function listFiles(dir: string): string[];
