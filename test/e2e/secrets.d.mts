// Types of secrets.mjs, the secret hygiene checks of the end-to-end tests (the .mjs stays
// plain JavaScript).

/** A secret to look for: its value, or its value and the username it goes with (HTTP Basic, docker config `auth`). */
export type Secret = string | { secret: string; username?: string };

/**
 * The forms a secret can leak in: the raw value, its base64, the base64 of
 * `username:secret`, and the alignment-independent middles of its base64. [] for an empty secret.
 */
export function secretForms(secret: Secret): string[];

/** What findSecretLeaks reads of a run (an ActionRun from runAction has it all). */
export interface ScannedRun {
  main?: { stdout: string; stderr: string };
  post?: { stdout: string; stderr: string };
  outputs?: Record<string, unknown>;
  summary?: string;
  root?: string;
}

/**
 * Where any form of any secret appears in what a run printed (main's and post's stdout minus
 * ::add-mask:: lines, and stderr), its outputs, its summary, or any file under the run's root
 * or `extraDirs`: e.g. ['main stdout', 'output digest', 'file /tmp/.../config.json']; [] means clean.
 */
export function findSecretLeaks(result: ScannedRun, secrets: Secret[], extraDirs?: string[]): string[];
