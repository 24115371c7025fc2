import * as core from '@actions/core';
import { cleanUp } from './phases/cleanup.js';
import { errorMessage } from './errors.js';
import { loadState } from './state.js';

/**
 * The safety net: main cleans up after itself, so this step runs only when the job failed
 * or was cancelled (action.yml post-if) and undoes whatever a stopped main step left.
 */
async function post(): Promise<void> {
  const state = loadState();
  if (!state.workDir) {
    core.info('Nothing to clean up: the main step set nothing up.');
    return;
  }
  if (state.cleanedUp) {
    core.info('Nothing to clean up: the main step cleaned up after itself.');
    return;
  }
  await cleanUp(state, core);
}

post().catch((error: unknown) => core.warning(`cleanup: ${errorMessage(error)}`));
