import { ActionError } from '../errors.js';
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

export async function dockerLogout(docker: Docker, registry: string): Promise<string | undefined> {
  const result = await docker.run(['logout', registry]);
  return result.exitCode === 0 ? undefined : lastLines(result.stderr, 2);
}
