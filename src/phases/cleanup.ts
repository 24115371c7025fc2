import { rm } from 'node:fs/promises';
import { Docker, lastLines, type DockerResult } from '../docker/exec.js';
import { errorMessage } from '../errors.js';
import { forgetCredentials, userDockerConfigDir } from '../registries/docker-config.js';
import type { SavedState } from '../state.js';
import type { StepLog } from './phase.js';

/**
 * Undoes what main set up, as recorded in its state: logins, a created builder, images
 * loaded only for the gate, the private temp folder. Only warns: cleanup never fails a job.
 * True when everything is gone.
 */
export async function cleanUp(state: SavedState, log: StepLog): Promise<boolean> {
  if (!state.workDir) return true;
  let complete = true;
  const warn = (message: string): void => {
    complete = false;
    log.warning(message);
  };
  if (state.dockerConfig && state.logins?.length) {
    try {
      const forgotten = await forgetCredentials(state.dockerConfig, state.logins);
      log.info(`Logged out of ${forgotten.join(', ') || 'nothing (no credential was stored)'}`);
    } catch (error) {
      log.warning(`logout: ${errorMessage(error)} (the folder holding the credentials is removed below anyway)`);
    }
  }
  // Builders live in the buildx folder shared with the user's config, so removal works either way.
  const docker = new Docker(state.dockerConfig ?? userDockerConfigDir(process.env));
  const run = (args: string[]): Promise<DockerResult> => docker.run(args, { cleanUp: true }).catch((error: unknown) => ({ exitCode: 1, stderr: errorMessage(error), stdout: '' }));
  if (state.builder) {
    const result = await run(['buildx', 'rm', '--force', state.builder]);
    if (result.exitCode !== 0) warn(`removing builder ${state.builder}: ${lastLines(result.stderr, 2)}`);
    else log.info(`Removed builder ${state.builder}`);
  }
  if (state.loadedImages?.length) {
    const result = await run(['image', 'rm', ...state.loadedImages]);
    if (result.exitCode !== 0) warn(`removing the gated image: ${lastLines(result.stderr, 2)}`);
    else log.info(`Removed the gated image ${state.loadedImages.join(', ')} from the local image store`);
  }
  // The private docker config (credentials included), metadata and secret files go with it.
  try {
    await rm(state.workDir, { recursive: true, force: true });
    log.info(`Removed ${state.workDir}`);
  } catch (error) {
    warn(`removing ${state.workDir}: ${errorMessage(error)}`);
  }
  return complete;
}
