import { describe, expect, it } from 'vitest';
import type { PushMode } from '../../src/plan/inputs.js';
import { decidePush, NO_PUSH_EVENTS, type PushDecision } from '../../src/plan/push-decision.js';

const EVENTS = ['push', 'pull_request', 'pull_request_target', 'merge_group', 'workflow_dispatch', 'schedule', 'release'] as const;
const PULL_REQUEST_EVENTS = new Set<string>(['pull_request', 'pull_request_target', 'merge_group', 'pull_request_review', 'pull_request_review_comment']);

/** The documented rule (action.yml): auto pushes unless a pull-request event; true always; false never. */
function expected(mode: PushMode, event: string, hasTags: boolean): PushDecision {
  if (mode === 'false') return { push: false, reason: 'input push is false' };
  if (mode === 'true') return { push: true, reason: 'input push is true' };
  if (PULL_REQUEST_EVENTS.has(event)) return { push: false, reason: `event ${event} does not push (push: auto)` };
  if (!hasTags) return { push: false, reason: 'no tags to push to (push: auto)' };
  return { push: true, reason: `event ${event} pushes (push: auto)` };
}

const table = (['auto', 'true', 'false'] as const).flatMap((mode) => EVENTS.flatMap((event) => [true, false].map((hasTags) => [mode, event, hasTags, expected(mode, event, hasTags)] as const)));

describe('decidePush', () => {
  it.each(table)('push: %s, event %s, tags: %s → %j', (mode, event, hasTags, decision) => {
    expect(decidePush(mode, event, hasTags)).toEqual(decision);
  });

  it.each(['pull_request', 'pull_request_target', 'merge_group'])('never pushes %s in auto mode, even with tags', (event) => {
    expect(decidePush('auto', event, true).push).toBe(false);
  });

  it.each(['push', 'workflow_dispatch', 'schedule', 'release'])('pushes %s in auto mode when there are tags', (event) => {
    expect(decidePush('auto', event, true)).toEqual({ push: true, reason: `event ${event} pushes (push: auto)` });
  });

  it('does not push in auto mode without tags (the plan then builds only)', () => {
    expect(decidePush('auto', 'push', false)).toEqual({ push: false, reason: 'no tags to push to (push: auto)' });
  });

  it('decides to push with push: true and no tags (the plan turns that into an input error)', () => {
    expect(decidePush('true', 'push', false).push).toBe(true);
  });

  it('calls an empty event name unknown', () => {
    expect(decidePush('auto', '', true)).toEqual({ push: true, reason: 'event unknown pushes (push: auto)' });
  });

  it('lists exactly the pull-request events as never pushed', () => {
    expect([...NO_PUSH_EVENTS].sort()).toEqual([...PULL_REQUEST_EVENTS].sort());
  });
});
