import { describe, expect, it } from 'vitest';
// @ts-expect-error the runner emulator is plain JavaScript (test/e2e/runner.mjs)
import { evaluateStatusCondition } from '../e2e/runner.mjs';

type Status = 'success' | 'failure' | 'cancelled';

describe('the runner emulator evaluates post-if like the runner', () => {
  it.each<[string, Status, boolean]>([
    ['always()', 'cancelled', true],
    ['success()', 'success', true],
    ['success()', 'failure', false],
    ['failure() || cancelled()', 'success', false],
    ['failure() || cancelled()', 'failure', true],
    ['failure() || cancelled()', 'cancelled', true],
    ['${{ failure() }}', 'failure', true],
    ['!success()', 'cancelled', true],
    ['success() && !cancelled()', 'success', true],
    ['(failure() || cancelled()) && !success()', 'failure', true],
  ])('%s with the job %s → %s', (expression, status, expected) => {
    expect(evaluateStatusCondition(expression, status)).toBe(expected);
  });

  it('refuses what it does not understand instead of guessing', () => {
    expect(() => evaluateStatusCondition("github.event_name == 'push'", 'success')).toThrow(/unsupported token/);
    expect(() => evaluateStatusCondition('(failure()', 'success')).toThrow(/missing \)/);
    expect(() => evaluateStatusCondition('failure() cancelled()', 'success')).toThrow(/unexpected/);
  });
});
