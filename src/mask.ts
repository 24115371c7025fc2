import * as core from '@actions/core';

/**
 * Masks a secret in every later log line. The runner matches a mask against one log line
 * at a time, so each line of a multi-line secret (a key, a JSON credential) is masked too.
 */
export function maskSecret(secret: string): void {
  if (!secret) return;
  core.setSecret(secret);
  for (const line of secret.split(/\r?\n/)) if (line.trim() && line !== secret) core.setSecret(line);
}
