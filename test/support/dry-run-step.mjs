// The environment of a dry run of the bundled step with no runner around it: the file
// commands and event payload in `dir`, a push of one tag, and a Dockerfile so the plan
// completes. Used where only Node and the bundle matter (scripts/bench-startup.mjs,
// test/bundle/); the e2e runner emulator (test/e2e/runner.mjs) is the full protocol.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function dryRunStep(dir) {
  for (const file of ['output', 'state', 'summary']) writeFileSync(path.join(dir, file), '');
  writeFileSync(path.join(dir, 'event.json'), '{}');
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
  return {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: dir,
    'INPUT_DRY-RUN': 'true',
    INPUT_TAGS: 'ghcr.io/acme/app:bench',
    INPUT_CONTEXT: '.',
  };
}
