import { copyFile, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Env } from '../plan/context.js';
import { normalizeRegistry } from '../tags/reference.js';

/** The docker config folder the user's own docker commands use. */
export function userDockerConfigDir(env: Env): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

/**
 * The seeded config.json for our private folder: the user's config minus any
 * credential store for the registries we log in to, so our passwords land in this
 * folder (deleted by the post step) and never in a keychain or helper that outlives the job.
 */
export function seedConfig(userConfig: Record<string, unknown>, ourRegistries: readonly string[]): { config: Record<string, unknown>; warnings: string[] } {
  const config: Record<string, unknown> = { ...userConfig };
  const warnings: string[] = [];
  if (ourRegistries.length > 0 && typeof config.credsStore === 'string' && config.credsStore !== '') {
    warnings.push(`the docker credential store "${config.credsStore}" is not used inside this step, so the credentials it logs in with stay in a folder deleted after the job`);
    delete config.credsStore;
  }
  if (typeof config.credHelpers === 'object' && config.credHelpers !== null) {
    const helpers = { ...(config.credHelpers as Record<string, unknown>) };
    // Keys may be spelled https://index.docker.io/v1/ and the like: compare normalized hosts.
    for (const key of Object.keys(helpers)) if (ourRegistries.includes(normalizeRegistry(key))) delete helpers[key];
    config.credHelpers = helpers;
  }
  return { config, warnings };
}

/**
 * Creates a job-private DOCKER_CONFIG under `parent`: config.json copied from the user's
 * (so earlier logins keep working), every other entry (cli-plugins, buildx, contexts)
 * linked, so buildx and its builders stay usable.
 */
export async function createPrivateDockerConfig(parent: string, env: Env, ourRegistries: readonly string[]): Promise<{ dir: string; warnings: string[] }> {
  const dir = path.join(parent, 'docker-config');
  const userDir = userDockerConfigDir(env);
  // Independent file operations run together: this sits on the path to the login.
  const [userConfigText, entries] = await Promise.all([
    readFile(path.join(userDir, 'config.json'), 'utf8').catch(() => undefined),
    readdir(userDir).catch(() => [] as string[]),
    mkdir(dir, { recursive: true, mode: 0o700 }),
  ]);
  let userConfig: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(userConfigText ?? '');
    if (typeof parsed === 'object' && parsed !== null) userConfig = parsed as Record<string, unknown>;
  } catch {
    // No user config (or unreadable): start empty.
  }
  const { config, warnings } = seedConfig(userConfig, ourRegistries);
  await Promise.all([
    writeFile(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 }),
    ...entries
      .filter((entry) => entry !== 'config.json')
      .map(async (entry) => {
        const source = path.join(userDir, entry);
        const stat = await lstat(source).catch(() => undefined);
        if (!stat) return;
        if (stat.isDirectory() || stat.isSymbolicLink()) await symlink(source, path.join(dir, entry));
        else await copyFile(source, path.join(dir, entry));
      }),
  ]);
  return { dir, warnings };
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
