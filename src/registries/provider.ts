import * as core from '@actions/core';
import type { Context, Env } from '../plan/context.js';
import { ActionError, errorMessage } from '../errors.js';
import type { Inputs, MaskSecret } from '../plan/inputs.js';

export const ID_TOKEN_PERMISSION_HINT =
  'GitHub did not give this job an OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Add `permissions: id-token: write` to the job (pull requests from forks never get one).';

/**
 * A GitHub OIDC token for `audience` (AWS, Google), from core.getIDToken: it asks the
 * runner's token service (through a proxy if one is set, retrying its failures) and masks
 * the token before returning it. `env` is the step's environment, which core reads.
 */
export async function githubIdToken(audience: string, env: Env): Promise<string> {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) throw new ActionError(ID_TOKEN_PERMISSION_HINT);
  try {
    return await core.getIDToken(audience);
  } catch (error) {
    throw new ActionError(`the GitHub OIDC token service gave no token for audience ${audience}: ${errorMessage(error).replace(/\s+/g, ' ').trim()}`);
  }
}

/** A username/password pair for one registry, with the provider that produced it. */
export interface Credential {
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  readonly provider: string;
}

/** What a provider may use to get credentials. `mask` must see every secret before it can be printed. */
export interface ProviderEnvironment {
  readonly inputs: Inputs;
  readonly context: Context;
  readonly env: Env;
  readonly mask: MaskSecret;
}

/**
 * One source of registry credentials. Adding a registry type means adding one file
 * that implements this, and one line in registries/index.ts.
 */
export interface CredentialProvider {
  readonly name: string;
  /** Whether this provider is responsible for this (normalized) registry host. */
  matches(registry: string): boolean;
  /** Whether the inputs and environment give it what it needs; otherwise what is missing. */
  configured(registry: string, inputs: Inputs, env: Env): { ok: true } | { ok: false; missing: string };
  credential(registry: string, environment: ProviderEnvironment): Promise<Credential>;
}
