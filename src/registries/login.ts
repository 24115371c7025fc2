import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError } from '../errors.js';
import { normalizeRegistry } from '../tags/reference.js';
import type { Docker } from '../buildx/exec.js';
import { lastLines } from '../buildx/exec.js';
import type { Credential } from './provider.js';

/** `docker login` with the password on stdin, never in argv. */
export async function dockerLogin(docker: Docker, credential: Credential): Promise<void> {
  const result = await docker.run(['login', credential.registry, '--username', credential.username, '--password-stdin'], {
    input: credential.password,
  });
  if (result.exitCode !== 0) {
    const detail = lastLines(result.stderr || result.stdout, 3);
    const hint = /unauthorized|401|incorrect username or password|denied/i.test(detail) ? ' Check the username and password (or token) for this registry.' : '';
    throw new ActionError(`login to ${credential.registry} as ${credential.username} (from ${credential.provider}) was refused: ${detail}.${hint}`);
  }
}

/**
 * Logs out the way `docker logout` does for a file-backed config: removes the registry's
 * entry from config.json. Done in-process because our private config never uses a
 * credential helper (see docker-config.ts), and it saves a docker start per registry.
 */
export async function forgetCredentials(configDir: string, registries: readonly string[]): Promise<string[]> {
  const file = path.join(configDir, 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as { auths?: Record<string, unknown> };
  const forgotten: string[] = [];
  for (const key of Object.keys(config.auths ?? {})) {
    const registry = normalizeRegistry(key);
    if (registries.includes(registry) && config.auths) {
      delete config.auths[key];
      forgotten.push(registry);
    }
  }
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return forgotten;
}
