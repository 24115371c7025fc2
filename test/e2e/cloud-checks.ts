// Checks shared by the end-to-end files that push to the cloud stand-ins (registries, proxy).
import { expect } from 'vitest';
import { registryManifestTls, type CloudRequest } from './cloud.mjs';
import { indexPlatforms } from './engine.mjs';

/** The tag holds `digest`, an index of both platforms, read back over TLS as a user would. */
export async function expectPushed(host: string, repository: string, tag: string, credential: { username: string; password: string }, digest: string | undefined): Promise<void> {
  const manifest = await registryManifestTls(host, repository, tag, credential);
  expect(manifest.status, `${host}/${repository}:${tag}`).toBe(200);
  expect(indexPlatforms(manifest.json!)).toEqual(['linux/amd64', 'linux/arm64']);
  expect(manifest.digest).toBe(digest);
}

/** Whether the step itself made a request the stand-ins recorded: dockerd, BuildKit and containerd name themselves in User-Agent. */
export const fromTheStep = (request: CloudRequest): boolean => !/docker|buildkit|containerd|go-http-client/i.test(request.agent ?? '');
