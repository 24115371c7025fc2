// Regressions found in review: each pins one behaviour that protects credentials or the push decision.
import { describe, expect, it } from 'vitest';
import { childEnvironment } from '../src/docker/exec.js';
import { buildFailureDetail, isPushFailure } from '../src/phases/build.js';
import { makePlan } from '../src/plan/plan.js';
import { classifyFailure } from '../src/retry.js';
import { PRIVILEGED_PR_EVENTS } from '../src/plan/trust.js';
import { fixtureContext } from './support/context.js';
import { expectInputError, inputsFrom } from './support/inputs.js';
import { planRegistries } from '../src/registries/index.js';

const HOST = { planRegistries, architecture: 'amd64', workDir: '/w/build-push-1', env: {} };

describe('child processes', () => {
  it('never get the step inputs (registry-auth passwords, tokens, build secrets) or state', () => {
    const env = childEnvironment({ PATH: '/bin', 'INPUT_REGISTRY-AUTH': 'pw', 'INPUT_GITHUB-TOKEN': 'ghs_x', STATE_x: 'y', ACTIONS_RUNTIME_TOKEN: 'kept-for-buildx-gha-cache' });
    expect(env).toEqual({ PATH: '/bin', ACTIONS_RUNTIME_TOKEN: 'kept-for-buildx-gha-cache' });
  });
});

describe('outputs that push', () => {
  it.each(['type=registry', 'type=image,name=ghcr.io/acme/app,push=true'])('%s is refused on a run that does not push', (output) => {
    expectInputError(() => makePlan(inputsFrom({ tags: 'ghcr.io/acme/app:1', outputs: output }), fixtureContext('pull_request'), HOST), 'outputs');
  });

  it('are allowed where the run pushes', () => {
    expect(() => makePlan(inputsFrom({ tags: 'ghcr.io/acme/app:1', outputs: 'type=registry' }), fixtureContext('push'), HOST)).not.toThrow();
  });
});

describe('pull request code', () => {
  it('an unidentifiable checkout on pull_request_target is refused credentials', () => {
    expect(() => makePlan(inputsFrom({ tags: 'r.example/app:1', push: 'true' }), fixtureContext('pull_request_target'), HOST)).toThrow(/refusing to log in or push: cannot tell which commit/);
  });

  it('issue_comment runs with the base repository secrets, like pull_request_target', () => {
    expect(PRIVILEGED_PR_EVENTS.has('issue_comment')).toBe(true);
  });
});

describe('push retries', () => {
  it('are decided on buildx error lines, not on what RUN steps printed', () => {
    const output = ['#5 [2/2] RUN curl ...', '#5 0.5 Downloading 500 kB', 'ERROR: failed to push r.example/app:1: unexpected status from HEAD request: 403 Forbidden'].join('\n');
    const detail = buildFailureDetail(output);
    expect(isPushFailure(detail)).toBe(true);
    expect(classifyFailure(detail)).toBe('permanent');
  });
});
