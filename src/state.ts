import * as core from '@actions/core';

/**
 * What main leaves for post (through GITHUB_STATE). Each key is saved the moment the
 * thing it names exists, so post cleans up after a failure half-way too.
 */
export interface SavedState {
  /** Our private temp folder (docker config, metadata, secret files). */
  readonly workDir?: string;
  readonly dockerConfig?: string;
  /** Registries we logged in to (or tried to). */
  readonly logins?: readonly string[];
  /** A builder we created. */
  readonly builder?: string;
  /** Images loaded only for the gate (the user did not ask for load). */
  readonly loadedImages?: readonly string[];
  /** Main removed all of the above itself; post has nothing left to do. */
  readonly cleanedUp?: boolean;
}

const KEY = 'build-push';

let current: SavedState = {};

export function saveState(update: Partial<SavedState>): void {
  current = { ...current, ...update };
  core.saveState(KEY, JSON.stringify(current));
}

/** What this process saved so far (main's own record, for cleaning up at its end). */
export function savedState(): SavedState {
  return current;
}

export function loadState(): SavedState {
  const text = core.getState(KEY);
  if (!text) return {};
  try {
    return JSON.parse(text) as SavedState;
  } catch {
    return {};
  }
}
