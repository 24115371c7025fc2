import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readContext, type Env } from '../../src/plan/context.js';
import { ActionError } from '../../src/errors.js';
import { contextIn, eventPayloadPath, EVENTS, fixtureContext, fixtureEnv } from '../support/context.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'context-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** A payload file holding `text`. */
const payloadFile = (text: string): string => {
  const file = path.join(dir, `event-${++files}.json`);
  writeFileSync(file, text);
  return file;
};

describe('readContext from the runner environment and event payload fixtures', () => {
  it('reads a push event', () => {
    const context = fixtureContext('push');
    expect(context).toMatchObject({
      eventName: 'push',
      ref: 'refs/heads/main',
      sha: '0ab3b6c1e6f3a1d8f0e1bd2b5b3d1c4a7e9f2d10',
      repository: 'acme/app',
      actor: 'octocat',
      runId: '11846317592',
      serverUrl: 'https://github.com',
      workspace: '/home/runner/work/app/app',
      runnerTemp: '/home/runner/work/_temp',
    });
    expect(context.payload.ref).toBe('refs/heads/main');
    expect(context.payload.after).toBe(context.sha);
    expect((context.payload.repository as { full_name: string }).full_name).toBe('acme/app');
  });

  it('reads a pull_request event', () => {
    const context = fixtureContext('pull_request');
    expect(context.eventName).toBe('pull_request');
    expect(context.ref).toBe('refs/pull/42/merge');
    expect(context.payload.number).toBe(42);
    const pullRequest = context.payload.pull_request as { head: { sha: string; repo: { fork: boolean } }; merge_commit_sha: string };
    expect(pullRequest.head.repo.fork).toBe(true);
    expect(pullRequest.merge_commit_sha).toBe(context.sha);
  });

  it.each(EVENTS)('reads the %s fixture with its event name and a non-empty payload', (event) => {
    const context = fixtureContext(event);
    expect(context.eventName).toBe(event);
    expect(Object.keys(context.payload).length).toBeGreaterThan(0);
  });

  it('reads the payload file named by GITHUB_EVENT_PATH', () => {
    expect(contextIn(fixtureEnv('release')).payload).toEqual(JSON.parse(readFileSync(eventPayloadPath('release'), 'utf8')));
  });

  it('main reads it through @actions/github, loaded on demand, from the process environment', async () => {
    const context = await readContext({ ...process.env }, '/cwd', '/tmp');
    expect(context.workspace).toBe(process.env.GITHUB_WORKSPACE || '/cwd');
  });
});

describe('readContext defaults', () => {
  it('works with an empty environment, reading no file', () => {
    expect(contextIn({}, '/work/dir', '/tmp/x')).toStrictEqual({
      eventName: '',
      ref: '',
      sha: '',
      repository: '',
      actor: '',
      runId: '',
      serverUrl: 'https://github.com',
      workspace: '/work/dir',
      runnerTemp: '/tmp/x',
      payload: {},
    });
  });

  it('treats an empty GITHUB_EVENT_PATH as no payload', () => {
    expect(contextIn({ GITHUB_EVENT_PATH: '' }).payload).toEqual({});
  });

  it('falls back to the temp dir when RUNNER_TEMP is empty', () => {
    expect(contextIn({ RUNNER_TEMP: '' }, '/cwd', '/tmp/fallback').runnerTemp).toBe('/tmp/fallback');
  });

  it('uses GITHUB_SERVER_URL for GitHub Enterprise Server', () => {
    expect(contextIn({ GITHUB_SERVER_URL: 'https://github.example.com' }).serverUrl).toBe('https://github.example.com');
  });

  it.each(['null', '"a string"', '42'])('gives an empty payload when the file holds %s', (text) => {
    expect(contextIn({ GITHUB_EVENT_PATH: payloadFile(text) }).payload).toEqual({});
  });
});

describe('readContext errors', () => {
  it('fails with an ActionError naming the path when the payload cannot be read', () => {
    const env: Env = { GITHUB_EVENT_PATH: '/nonexistent/event.json' };
    expect(() => contextIn(env)).toThrow(ActionError);
    expect(() => contextIn(env)).toThrow('GITHUB_EVENT_PATH points at /nonexistent/event.json, which cannot be read');
    expect(() => contextIn({ GITHUB_EVENT_PATH: dir })).toThrow(`GITHUB_EVENT_PATH points at ${dir}, which cannot be read`);
  });

  it.each(['{', '', '{"ref": "refs/heads/main",}', 'not json'])('fails with an ActionError when the payload is %j', (text) => {
    const env: Env = { GITHUB_EVENT_PATH: payloadFile(text) };
    expect(() => contextIn(env)).toThrow(ActionError);
    expect(() => contextIn(env)).toThrow(`the event payload ${env.GITHUB_EVENT_PATH} is not valid JSON`);
  });
});
