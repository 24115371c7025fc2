import { rm } from 'node:fs/promises';
import * as core from './runner.js';
import { Docker, lastLines } from './buildx/exec.js';
import { errorMessage } from './errors.js';
import { forgetCredentials, userDockerConfigDir } from './registries/docker-config.js';
import { loadState } from './state.js';

/** Undoes what main recorded in state. Only warns: cleanup must never fail a job. */
async function post(): Promise<void> {
  const state = loadState();
  if (!state.workDir) {
    core.info('Nothing to clean up: the main step set nothing up.');
    return;
  }
  if (state.dockerConfig && state.logins?.length) {
    try {
      const forgotten = await forgetCredentials(state.dockerConfig, state.logins);
      core.info(`Logged out of ${forgotten.join(', ') || 'nothing (no credential was stored)'}`);
    } catch (error) {
      core.warning(`logout: ${errorMessage(error)} (the folder holding the credentials is removed below anyway)`);
    }
  }
  // Builders live in the buildx folder shared with the user's config, so removal works either way.
  const docker = new Docker(state.dockerConfig ?? userDockerConfigDir(process.env));
  if (state.builder) {
    const result = await docker.run(['buildx', 'rm', '--force', state.builder]).catch((error: unknown) => ({ exitCode: 1, stderr: errorMessage(error), stdout: '' }));
    if (result.exitCode !== 0) core.warning(`removing builder ${state.builder}: ${lastLines(result.stderr, 2)}`);
    else core.info(`Removed builder ${state.builder}`);
  }
  if (state.loadedImages?.length) {
    const result = await docker.run(['image', 'rm', ...state.loadedImages]).catch((error: unknown) => ({ exitCode: 1, stderr: errorMessage(error), stdout: '' }));
    if (result.exitCode !== 0) core.warning(`removing the gated image: ${lastLines(result.stderr, 2)}`);
    else core.info(`Removed the gated image ${state.loadedImages.join(', ')} from the local image store`);
  }
  // The private docker config (credentials included), metadata and secret files go with it.
  await rm(state.workDir, { recursive: true, force: true }).catch((error: unknown) => core.warning(`removing ${state.workDir}: ${errorMessage(error)}`));
  core.info(`Removed ${state.workDir}`);
}

post().catch((error: unknown) => core.warning(`cleanup: ${errorMessage(error)}`));
