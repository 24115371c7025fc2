// The step's entry: the signal handlers and the start. main.ts runs nothing on import.
import * as core from '@actions/core';
import { refuseNewChildren, stopChildren } from './docker/exec.js';
import { cleanUpAfterMain, run } from './main.js';

// The runner stops a step (a cancel, timeout-minutes) with SIGINT, then SIGTERM at 7.5 s and
// a kill at 10 s. Stop buildx with it, so nothing is pushed after the cancel, and clean up
// here: the post step runs only if the job failed or was cancelled, and a step stopped
// under continue-on-error leaves the job successful.
/** Aborted with the step: builds and pushes waiting to retry must not start again. */
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) return;
    stop.abort();
    refuseNewChildren();
    core.error(`build-push was stopped (${signal}); stopping docker and cleaning up`);
    void (async () => {
      await stopChildren('SIGINT', 4_000);
      await cleanUpAfterMain(2_000);
      process.exit(130);
    })();
  });
}

void run(stop.signal);
