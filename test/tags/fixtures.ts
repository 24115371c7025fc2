// Run contexts for the metadata engine, one JSON file per context in test/fixtures/metadata/.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { computeMetadata, parseMetadataInputs, type Metadata, type MetadataContext, type MetadataRawInputs, type RepositoryInfo } from '../../src/tags/metadata.js';
import { FIXTURES } from '../support/inputs.js';

export const CONTEXTS = [
  'empty',
  'pull_request',
  'pull_request_target',
  'push_dev',
  'push_feature_invalid_chars',
  'push_master',
  'push_releases_v1',
  'push_tag',
  'release',
  'schedule',
  'workflow_dispatch_master',
  'workflow_dispatch_tag',
] as const;
export type ContextName = (typeof CONTEXTS)[number];

interface ContextFile {
  description: string;
  eventName: string;
  ref: string;
  sha: string;
  repository: string;
  now: string;
  commitDate?: string;
  repo?: RepositoryInfo;
  payload: Record<string, unknown>;
}

/** The SHA of every fixture but `empty`; its short form is 90dd603. */
export const SHA = '90dd6032fac8bda1b6c4436a2e65de27961ed071';
export const NOW = '2020-01-10T00:30:00.000Z';

export function loadContext(name: ContextName, overrides: Partial<MetadataContext> = {}): MetadataContext {
  const file = JSON.parse(readFileSync(path.join(FIXTURES, 'metadata', `${name}.json`), 'utf8')) as ContextFile;
  return {
    eventName: file.eventName,
    ref: file.ref,
    sha: file.sha,
    payload: file.payload,
    repository: file.repository,
    now: new Date(file.now),
    ...(file.repo ? { repo: file.repo } : {}),
    ...(file.commitDate ? { commitDate: new Date(file.commitDate) } : {}),
    ...overrides,
  };
}

/** Parses the inputs ('' for those not given) and computes the metadata for one context. */
export function metadataFor(name: ContextName, inputs: Partial<MetadataRawInputs> = {}, overrides: Partial<MetadataContext> = {}): Metadata {
  const raw: MetadataRawInputs = { images: '', tags: '', flavor: '', labels: '', annotations: '', ...inputs };
  return computeMetadata(parseMetadataInputs(raw), loadContext(name, overrides));
}

/** The tag names (image-less) a context gives. */
export function tagNamesFor(name: ContextName, inputs: Partial<MetadataRawInputs> = {}, overrides: Partial<MetadataContext> = {}): string[] {
  return metadataFor(name, { images: '', ...inputs }, overrides).tags;
}
