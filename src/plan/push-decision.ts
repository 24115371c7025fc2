import type { PushMode } from './inputs.js';

export interface PushDecision {
  readonly push: boolean;
  readonly reason: string;
}

/**
 * Events whose code comes from a pull request (or its merge queue): never pushed unless
 * asked. The review events run on the pull request's merge commit too.
 */
export const NO_PUSH_EVENTS: ReadonlySet<string> = new Set(['pull_request', 'pull_request_target', 'merge_group', 'pull_request_review', 'pull_request_review_comment']);

export function decidePush(mode: PushMode, eventName: string, hasTags: boolean): PushDecision {
  if (mode === 'false') return { push: false, reason: 'input push is false' };
  if (mode === 'true') return { push: true, reason: 'input push is true' };
  if (NO_PUSH_EVENTS.has(eventName)) {
    return { push: false, reason: `event ${eventName} does not push (push: auto)` };
  }
  if (!hasTags) return { push: false, reason: 'no tags to push to (push: auto)' };
  return { push: true, reason: `event ${eventName || 'unknown'} pushes (push: auto)` };
}
