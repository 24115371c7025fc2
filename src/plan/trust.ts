import type { Context } from './context.js';

/** Events that run with the base repository's secrets even when triggered by a pull request. */
export const PRIVILEGED_PR_EVENTS: ReadonlySet<string> = new Set(['pull_request_target', 'workflow_run', 'issue_comment']);

export type CodeTrust = { readonly trusted: true } | { readonly trusted: false; readonly reason: string } | { readonly trusted: 'unknown'; readonly reason: string };

/**
 * On pull_request_target and workflow_run, GITHUB_SHA is the base repository's commit;
 * a checkout of anything else is (most likely) pull request code, which the build runs
 * while our registry credentials sit in its docker config.
 */
export function codeTrust(context: Context, checkedOutSha: string | undefined): CodeTrust {
  if (!PRIVILEGED_PR_EVENTS.has(context.eventName)) return { trusted: true };
  if (!checkedOutSha) return { trusted: 'unknown', reason: `cannot tell which commit is checked out (not a git work tree) on ${context.eventName}` };
  if (checkedOutSha === context.sha) return { trusted: true };
  return {
    trusted: false,
    reason: `this ${context.eventName} run checked out ${checkedOutSha.slice(0, 12)}, not the base commit ${context.sha.slice(0, 12)}: that is pull request code`,
  };
}

export function untrustedCodeError(reason: string): string {
  return (
    `refusing to log in or push: ${reason}. Code from a pull request runs during the build (RUN steps) ` +
    'while the registry credentials are available to it, so it could steal them or push anything. ' +
    'Build it without credentials (push: false and no registry credentials), or, if you have reviewed the code, set allow-untrusted-code: true.'
  );
}
