import type { Context, Env } from '../context.js';
import type { Inputs, MaskSecret } from '../inputs.js';

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
