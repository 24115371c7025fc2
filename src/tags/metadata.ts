// docker/metadata-action's behaviour as a pure function: the same `images`, `tags`,
// `flavor`, `labels` and `annotations` inputs give the same version, tags, labels,
// annotations and json. Nothing here reads the environment or the clock.

import { renderTemplate, type Expression } from './expressions.js';
import { formatDate } from './dates.js';
import { parseFlavor, type Flavor } from './flavor.js';
import { lowercasedNotices, parseImages, type MetadataImage } from './images.js';
import { mergeEntries, parseCustomEntries, type CustomEntry } from './labels.js';
import { parseTagRules, type TagRule } from './rules.js';
import { computeVersion, sanitizeTag, shortSha, type MetadataVersion, type Render, type RunFacts } from './version-output.js';

export interface MetadataRawInputs {
  images: string;
  tags: string;
  flavor: string;
  labels: string;
  annotations: string;
}

export interface RepositoryInfo {
  name: string;
  description: string;
  htmlUrl: string;
  /** SPDX id, e.g. MIT. */
  license?: string;
  defaultBranch?: string;
}

export interface MetadataContext {
  eventName: string;
  ref: string;
  sha: string;
  payload: Record<string, unknown>;
  /** owner/name */
  repository: string;
  /** From the REST API, as metadata-action reads it. When missing, the event payload's `repository` is used. */
  repo?: RepositoryInfo;
  now: Date;
  /** When missing: the commit's timestamp in the push payload, else `now`. */
  commitDate?: Date;
  /** Length of {{sha}} and type=sha,format=short (metadata-action's DOCKER_METADATA_SHORT_SHA_LENGTH); default 7. */
  shortShaLength?: number;
  /** On pull requests, use the head commit instead of the merge commit (DOCKER_METADATA_PR_HEAD_SHA). */
  prHeadSha?: boolean;
  /** The levels each annotation is given (DOCKER_METADATA_ANNOTATIONS_LEVELS); default ANNOTATION_LEVELS. */
  annotationLevels?: readonly string[];
}

export interface ParsedMetadataInputs {
  readonly images: readonly MetadataImage[];
  readonly rules: readonly TagRule[];
  readonly flavor: Flavor;
  readonly labels: readonly CustomEntry[];
  readonly annotations: readonly CustomEntry[];
  /** What reading the inputs changed, to tell the user (an image name lower-cased). */
  readonly notices: readonly string[];
  /** What reading the inputs left out (a label line without `=`). */
  readonly warnings: readonly string[];
}

export interface Metadata {
  version: MetadataVersion;
  /** The enabled image names; none means `tags` holds bare tag names and nothing is pushed. */
  imageNames: string[];
  /** Full references image:tag (tag names only when there are no images), in metadata-action's order. */
  tags: string[];
  /** The tags without image names (metadata-action's `tag-names` output). */
  tagNames: string[];
  /** key=value, sorted by key. */
  labels: string[];
  /** level:key=value, every annotation at each of ANNOTATION_LEVELS. */
  annotations: string[];
  json: { tags: string[]; 'tag-names': string[]; labels: Record<string, string>; annotations: string[] };
  /** What metadata-action would print as warnings (a git tag that is not semver, …). */
  warnings: string[];
  /** What the step changed from what was written (an image name lower-cased). */
  notices: string[];
}

/** Annotation levels, as buildx's `--annotation level:key=value`: image manifests and the image index. */
export const ANNOTATION_LEVELS = ['manifest', 'index'] as const;

const DEFAULT_SHORT_SHA_LENGTH = 7;

/** Reads the five inputs; throws an InputError naming the input and the line at fault. */
export function parseMetadataInputs(raw: MetadataRawInputs): ParsedMetadataInputs {
  const warnings: string[] = [];
  const warn = (message: string): void => void warnings.push(message);
  const images = parseImages(raw.images);
  return {
    images,
    rules: parseTagRules(raw.tags),
    flavor: parseFlavor(raw.flavor),
    labels: parseCustomEntries(raw.labels, 'labels', warn),
    annotations: parseCustomEntries(raw.annotations, 'annotations', warn),
    notices: lowercasedNotices(images),
    warnings,
  };
}

const record = (value: unknown): Record<string, unknown> | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The commit date metadata-action reads from a push payload: the commit whose id is `sha`. */
export function commitDateFromPayload(payload: Record<string, unknown>, sha: string): Date | undefined {
  const commits = Array.isArray(payload.commits) ? payload.commits : [];
  const candidates = [...commits, payload.head_commit].map(record);
  const timestamp = text(candidates.find((commit) => commit !== undefined && commit.id === sha)?.timestamp);
  const date = timestamp === undefined ? undefined : new Date(timestamp);
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** The pull request's head commit, on pull_request and pull_request_target events. */
function pullRequestHeadSha(eventName: string, payload: Record<string, unknown>): string | undefined {
  if (!/pull_request/.test(eventName)) return undefined;
  return text(record(record(payload.pull_request)?.head)?.sha);
}

function runFacts(context: MetadataContext): RunFacts {
  const payload = context.payload;
  const payloadRepo = record(payload.repository);
  let ref = context.ref;
  // pull_request_target runs on the base branch; metadata-action tags it as the pull request.
  const number = payload.number;
  if (/pull_request_target/.test(context.eventName) && (typeof number === 'number' || typeof number === 'string')) {
    ref = `refs/pull/${number}/merge`;
  }
  const sha = (context.prHeadSha && pullRequestHeadSha(context.eventName, payload)) || context.sha;
  const commitDate = context.commitDate && !Number.isNaN(context.commitDate.getTime()) ? context.commitDate : undefined;
  return {
    eventName: context.eventName,
    ref,
    sha,
    payload,
    now: context.now,
    commitDate: commitDate ?? commitDateFromPayload(payload, sha) ?? context.now,
    shortShaLength: context.shortShaLength ?? DEFAULT_SHORT_SHA_LENGTH,
    defaultBranch: context.repo?.defaultBranch ?? text(payloadRepo?.default_branch) ?? '',
  };
}

const strip = (ref: string, prefix: string): string | undefined => (ref.startsWith(prefix) ? ref.slice(prefix.length) : undefined);

/** metadata-action's {{is_default_branch}}: the pushed branch is the payload's default branch. */
function isDefaultBranch(facts: RunFacts, repo: RepositoryInfo | undefined): boolean {
  // Like metadata-action, only refs/heads/ is stripped: a tag ref is never the default branch
  // by name, but the events below are.
  const branch = facts.ref.replace(/^refs\/heads\//, '');
  if (branch === '') return false;
  const defaultBranch = text(record(facts.payload.repository)?.default_branch) ?? repo?.defaultBranch;
  if (defaultBranch === branch) return true;
  // These events always run on the last commit of the default branch.
  return /create|discussion|issues|schedule/.test(facts.eventName);
}

function globalRenderer(facts: RunFacts, repo: RepositoryInfo | undefined): Render {
  const resolve = (expression: Expression): string => {
    switch (expression.name) {
      case 'branch':
        return strip(facts.ref, 'refs/heads/') ?? '';
      case 'tag':
        return strip(facts.ref, 'refs/tags/') ?? '';
      case 'sha':
        return shortSha(facts.sha, facts.shortShaLength);
      case 'base_ref': {
        const payloadBaseRef = text(facts.payload.base_ref);
        if (facts.ref.startsWith('refs/tags/') && payloadBaseRef !== undefined) return payloadBaseRef.replace(/^refs\/heads\//, '');
        const pullBase = text(record(record(facts.payload.pull_request)?.base)?.ref);
        if (facts.ref.startsWith('refs/pull/') && pullBase !== undefined) return pullBase;
        return '';
      }
      case 'is_default_branch':
        return String(isDefaultBranch(facts, repo));
      case 'is_not_default_branch':
        return String(!isDefaultBranch(facts, repo));
      case 'date':
      case 'commit_date': {
        const { format, timeZone } = expression.date as NonNullable<Expression['date']>;
        return formatDate(expression.name === 'date' ? facts.now : facts.commitDate, format, timeZone);
      }
      default:
        // parseTemplate admits only the names above.
        throw new Error(`unexpected expression {{${expression.name}}}`);
    }
  };
  return (template) => renderTemplate(template, resolve);
}

/** The repository facts, from the API answer with the event payload's repository as fallback. */
function repositoryFacts(context: MetadataContext): RepositoryInfo {
  const payloadRepo = record(context.payload.repository);
  const api = context.repo;
  const license = api ? api.license : text(record(payloadRepo?.license)?.spdx_id);
  return {
    name: api?.name ?? text(payloadRepo?.name) ?? context.repository.split('/')[1] ?? '',
    description: api?.description ?? text(payloadRepo?.description) ?? '',
    htmlUrl: api?.htmlUrl ?? text(payloadRepo?.html_url) ?? '',
    ...(license === undefined ? {} : { license }),
  };
}

/** Computes everything metadata-action outputs. Throws an InputError when an `enable` does not render to true or false. */
export function computeMetadata(parsed: ParsedMetadataInputs, context: MetadataContext): Metadata {
  const facts = runFacts(context);
  const render = globalRenderer(facts, context.repo);
  const computed = computeVersion(parsed.rules, parsed.flavor, facts, render);
  const { version } = computed;
  const warnings = [...parsed.warnings, ...computed.warnings];

  const tagNames: string[] = [];
  if (version.main !== '') {
    tagNames.push(version.main, ...version.partial);
    if (version.latest) {
      const { flavor } = parsed;
      const latest = `${flavor.prefixLatest ? render(flavor.prefix) : ''}latest${flavor.suffixLatest ? render(flavor.suffix) : ''}`;
      tagNames.push(sanitizeTag(latest));
    }
  }
  const uniqueNames = [...new Set(tagNames)];
  const images = parsed.images.filter((image) => image.enable).map((image) => image.name);
  const tags = images.length === 0 ? uniqueNames : [...new Set(images.flatMap((image) => uniqueNames.map((name) => `${image}:${name}`)))];
  if (version.main === '') warnings.push('no image version was generated: no tag rule applies to this event (check the tags input)');

  const repo = repositoryFacts(context);
  const oci = {
    title: repo.name,
    description: repo.description,
    url: repo.htmlUrl,
    version: version.main,
    created: facts.now.toISOString(),
    revision: facts.sha,
    licenses: repo.license ?? '',
  };
  const renderEntries = (entries: readonly CustomEntry[]) => entries.map(({ key, value }) => ({ key, value: render(value) }));
  const labelPairs = mergeEntries(oci, renderEntries(parsed.labels));
  const annotationPairs = mergeEntries(oci, renderEntries(parsed.annotations));

  const labels = labelPairs.map(([key, value]) => `${key}=${value}`);
  const levels = context.annotationLevels ?? ANNOTATION_LEVELS;
  const annotations = levels.flatMap((level) => annotationPairs.map(([key, value]) => `${level}:${key}=${value}`));
  return {
    version,
    imageNames: images,
    tags,
    tagNames: uniqueNames,
    labels,
    annotations,
    json: { tags, 'tag-names': uniqueNames, labels: Object.fromEntries(labelPairs), annotations },
    warnings,
    notices: [...parsed.notices],
  };
}

/** The step outputs, as metadata-action writes them. `json` is compact JSON. */
export function metadataOutputs(
  metadata: Metadata,
  separators: { tags: string; labels: string; annotations: string },
): { version: string; tags: string; tagNames: string; labels: string; annotations: string; json: string } {
  return {
    version: metadata.version.main,
    tags: metadata.tags.join(separators.tags),
    tagNames: metadata.tagNames.join(separators.tags),
    labels: metadata.labels.join(separators.labels),
    annotations: metadata.annotations.join(separators.annotations),
    json: JSON.stringify(metadata.json),
  };
}
