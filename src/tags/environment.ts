// The DOCKER_METADATA_* variables metadata-action reads from the step's environment, read
// the same way, so a workflow that sets them for metadata-action keeps its results.

import { ActionError } from '../errors.js';
import { ANNOTATION_LEVELS } from './metadata.js';

export interface MetadataEnvironment {
  /** DOCKER_METADATA_PR_HEAD_SHA: on pull requests, the head commit instead of the merge commit. */
  readonly prHeadSha: boolean;
  /** DOCKER_METADATA_SHORT_SHA_LENGTH */
  readonly shortShaLength?: number;
  /** DOCKER_METADATA_ANNOTATIONS_LEVELS */
  readonly annotationLevels: readonly string[];
  /** DOCKER_METADATA_SET_OUTPUT_ENV: also export the outputs as DOCKER_METADATA_OUTPUT_* (default true). */
  readonly setOutputEnv: boolean;
}

// buildx's annotation levels, optionally for some platforms (`manifest[linux/amd64]`).
const LEVEL = /^(?:manifest|index|manifest-descriptor|index-descriptor)(?:\[[a-z0-9/,]+\])?$/;

/** What @actions/core's getBooleanInput and actions-toolkit's parseBool accept. */
function parseBool(name: string, value: string): boolean {
  if (['true', 'True', 'TRUE', '1'].includes(value)) return true;
  if (['false', 'False', 'FALSE', '0'].includes(value)) return false;
  throw new ActionError(`${name} must be true or false, not "${value.slice(0, 40)}"`);
}

export function metadataEnvironment(env: Readonly<Record<string, string | undefined>>): MetadataEnvironment {
  const shortSha = env.DOCKER_METADATA_SHORT_SHA_LENGTH;
  const shortShaLength = shortSha ? Number(shortSha) : undefined;
  if (shortShaLength !== undefined && !(Number.isInteger(shortShaLength) && shortShaLength > 0)) {
    throw new ActionError(`DOCKER_METADATA_SHORT_SHA_LENGTH must be a whole number above 0, not "${shortSha?.slice(0, 40)}" (e.g. 12)`);
  }
  // Our default puts annotations on the index too (see ANNOTATION_LEVELS); a value set for metadata-action wins.
  const levels = env.DOCKER_METADATA_ANNOTATIONS_LEVELS ? env.DOCKER_METADATA_ANNOTATIONS_LEVELS.split(',') : [...ANNOTATION_LEVELS];
  const wrongLevel = levels.find((level) => !LEVEL.test(level));
  if (wrongLevel !== undefined) {
    throw new ActionError(
      `DOCKER_METADATA_ANNOTATIONS_LEVELS: "${wrongLevel.slice(0, 40)}" is not an annotation level (use manifest, index, manifest-descriptor or index-descriptor, comma-separated, e.g. manifest,index)`,
    );
  }
  return {
    // metadata-action tests the value with /true/i.
    prHeadSha: /true/i.test(env.DOCKER_METADATA_PR_HEAD_SHA ?? ''),
    ...(shortShaLength === undefined ? {} : { shortShaLength }),
    annotationLevels: levels,
    setOutputEnv: env.DOCKER_METADATA_SET_OUTPUT_ENV ? parseBool('DOCKER_METADATA_SET_OUTPUT_ENV', env.DOCKER_METADATA_SET_OUTPUT_ENV) : true,
  };
}

/** The variables later steps read when DOCKER_METADATA_SET_OUTPUT_ENV is not false: DOCKER_METADATA_OUTPUT_TAGS, ... */
export function outputVariables(outputs: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(outputs).map(([name, value]) => [`DOCKER_METADATA_OUTPUT_${name.replace(/\W/g, '_').toUpperCase()}`, value]));
}
