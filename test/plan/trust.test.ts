import { describe, expect, it } from 'vitest';
import { ActionError } from '../../src/errors.js';
import { makePlan } from '../../src/plan/plan.js';
import { codeTrust } from '../../src/plan/trust.js';
import type { Context } from '../../src/plan/context.js';
import { inputsFrom } from '../support/inputs.js';
import { planRegistries } from '../../src/registries/index.js';

const BASE = 'b'.repeat(40);
const HEAD = 'h'.repeat(40);
const context = (eventName: string): Context => ({
  eventName,
  ref: 'refs/heads/main',
  sha: BASE,
  repository: 'acme/app',
  actor: 'octocat',
  runId: '1',
  serverUrl: 'https://github.com',
  workspace: '/w',
  runnerTemp: '/t',
  payload: {},
});

describe('codeTrust', () => {
  it.each([
    ['push', HEAD, true],
    ['pull_request', HEAD, true],
    ['pull_request_target', BASE, true],
    ['pull_request_target', HEAD, false],
    ['workflow_run', HEAD, false],
    ['workflow_run', undefined, 'unknown'],
  ])('%s with checkout %s → %s', (event, checkedOut, trusted) => {
    expect(codeTrust(context(event), checkedOut).trusted).toBe(trusted);
  });
});

describe('makePlan on pull_request_target with pull request code', () => {
  const host = { planRegistries, architecture: 'amd64', workDir: '/t/w', env: {}, checkedOutSha: HEAD };
  const auth = '- registry: registry.example.com\n  username: u\n  password: p';

  it('refuses to log in, explaining the risk', () => {
    expect(() => makePlan(inputsFrom({ tags: 'registry.example.com/app:pr', 'registry-auth': auth }), context('pull_request_target'), host)).toThrow(ActionError);
    expect(() => makePlan(inputsFrom({ tags: 'registry.example.com/app:pr', 'registry-auth': auth }), context('pull_request_target'), host)).toThrow(
      /refusing to log in or push: this pull_request_target run checked out hhhhhhhhhhhh, not the base commit bbbbbbbbbbbb.*allow-untrusted-code: true/,
    );
  });

  it('refuses to push on workflow_run', () => {
    expect(() => makePlan(inputsFrom({ tags: 'registry.example.com/app:1' }), context('workflow_run'), host)).toThrow(/refusing to log in or push/);
  });

  it('builds without credentials', () => {
    const plan = makePlan(inputsFrom({ tags: 'registry.example.com/app:pr' }), context('pull_request_target'), host);
    expect(plan.push.push).toBe(false);
    expect(plan.untrustedCode).toContain('pull request code');
  });

  it('goes ahead when the user acknowledged it', () => {
    const plan = makePlan(inputsFrom({ tags: 'registry.example.com/app:pr', 'registry-auth': auth, 'allow-untrusted-code': 'true' }), context('pull_request_target'), host);
    expect(plan.registries[0]?.provider).toBe('registry-auth');
  });
});

describe('automatic logins with pull request code', () => {
  it('are skipped instead of refused when nothing is pushed (the default github-token for ghcr.io)', () => {
    const host = { planRegistries, architecture: 'amd64', workDir: '/t/w', env: {}, checkedOutSha: 'h'.repeat(40) };
    const plan = makePlan(inputsFrom({ tags: 'ghcr.io/acme/app:pr', 'github-token': 'ghs_x' }), context('pull_request_target'), host);
    expect(plan.registries).toEqual([{ registry: 'ghcr.io', missing: 'nothing: no login while pull request code is checked out', usedFor: 'tag' }]);
  });
});
