import type { Inputs } from '../inputs.js';

/** A username/password pair for one registry, with the provider that produced it. */
export interface Credential {
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  readonly provider: string;
}

/**
 * One source of registry credentials. Adding a registry type means adding one file
 * that implements this, and one line in registries/index.ts.
 */
export interface CredentialProvider {
  readonly name: string;
  /** Whether this provider can serve this (normalized) registry host with the given inputs. */
  serves(registry: string, inputs: Inputs): boolean;
  credential(registry: string, inputs: Inputs): Promise<Credential>;
}
