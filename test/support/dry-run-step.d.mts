// Types of dry-run-step.mjs.

/** Writes the file commands, event payload and a Dockerfile into `dir`; the step's environment for a dry run there (cwd `dir`). */
export function dryRunStep(dir: string): Record<string, string>;
