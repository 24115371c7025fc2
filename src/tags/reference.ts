import { InputError } from '../errors.js';

/** A parsed image reference such as `ghcr.io/org/app:1.2.3`. */
export interface ImageReference {
  /** The reference exactly as the user wrote it (passed to buildx unchanged). */
  readonly full: string;
  /** Registry host (with port), `docker.io` when the user wrote none. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `org/app`. */
  readonly repository: string;
  readonly tag?: string;
}

// Grammar of github.com/distribution/reference, which docker and buildx apply.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME_LENGTH = 255;

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** `index.docker.io` and friends are all Docker Hub; everything else is kept as written (lower-cased). */
export function normalizeRegistry(host: string): string {
  const lower = host
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
    .replace(/\/v[12]$/, '');
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/**
 * Parses one full image reference (`[registry/]path[:tag]`). `input` names the input
 * it came from, for the error message.
 */
export function parseImageReference(text: string, input: string, example: string): ImageReference {
  const full = text.trim();
  const fail = (problem: string): never => {
    throw new InputError(input, `"${full}" is not a valid image reference: ${problem}`, example);
  };
  if (full === '') fail('it is empty');
  if (/\s/.test(full)) fail('it contains whitespace');
  if (full.includes('@')) fail('a digest (@sha256:...) cannot be a tag to push to');

  let registry = DOCKER_HUB;
  let rest = full;
  const slash = full.indexOf('/');
  if (slash > 0 && looksLikeRegistry(full.slice(0, slash))) {
    registry = full.slice(0, slash);
    rest = full.slice(slash + 1);
    if (!DOMAIN.test(registry)) fail(`"${registry}" is not a valid registry host`);
  }

  let repository = rest;
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    repository = rest.slice(0, colon);
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) {
      fail(`the tag "${tag}" must be 1 to 128 of letters, digits, "_", "." and "-", not starting with "." or "-"`);
    }
  }
  if (repository === '') fail('the repository name is missing');
  if (repository !== repository.toLowerCase()) fail('repository names must be lowercase');
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      fail(`"${component}" is not a valid path component (lowercase letters, digits and single separators . _ __ -)`);
    }
  }
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);

  return { full, registry: normalizeRegistry(registry), repository, ...(tag === undefined ? {} : { tag }) };
}
