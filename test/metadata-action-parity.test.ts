// docker/metadata-action's own test suite, case by case, through the action's code path
// (test/support/metadata-action.ts). Each test is named after the metadata-action case it
// comes from: `<its test file> › <its describe> › <its case>`.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextIn } from './support/context.js';
import type { InputName } from '../src/plan/inputs.js';
import { ANNOTATION_LEVELS, commitDateFromPayload } from '../src/tags/metadata.js';
import { isRawStatement, parseTemplate, VERSION_EXPRESSIONS, type Template } from '../src/tags/expressions.js';
import type { TagRule } from '../src/tags/rules.js';
import { expectInputError, inputsFrom } from './support/inputs.js';
import { PARITY_FIXTURES, inputLine, outputList, readParityCases, runParityCase, type SuiteInputs } from './support/metadata-action.js';

interface SuiteVersion {
  main?: string;
  partial: string[];
  latest: boolean;
}

interface MetaCase {
  suite: string;
  name: string;
  env: string | { file: string; DOCKER_METADATA_PR_HEAD_SHA: string };
  inputs: SuiteInputs;
  version?: SuiteVersion;
  tags?: string[];
  labels?: string[];
  annotations?: string[];
  annotationLevels?: string;
  json?: { tags: string[]; 'tag-names': string[]; labels: Record<string, string>; annotations: string[] };
  bakeTags?: { target: Record<string, { tags: string[]; args: Record<string, string> }> };
  bakeLabels?: { target: Record<string, { labels: Record<string, string> }> };
  bakeAnnotations?: { target: Record<string, { annotations: string[] }> };
  bake?: { target: Record<string, { tags: string[]; labels: Record<string, string>; args: Record<string, string> }> };
  tagsOutput?: string;
  pattern?: string;
  isRaw?: boolean;
}

const metaCases = readParityCases<MetaCase>('meta.json');
const TAGS_LABELS_SUITES = ['null', 'push', 'tag', 'latest', 'pr', 'pr-head-sha', 'schedule', 'release', 'raw'];

function run(testCase: MetaCase) {
  const envFile = typeof testCase.env === 'string' ? testCase.env : testCase.env.file;
  const extraEnv: Record<string, string> = {};
  if (typeof testCase.env === 'object') extraEnv.DOCKER_METADATA_PR_HEAD_SHA = testCase.env.DOCKER_METADATA_PR_HEAD_SHA;
  if (testCase.annotationLevels) extraEnv.DOCKER_METADATA_ANNOTATIONS_LEVELS = testCase.annotationLevels;
  return runParityCase(envFile, testCase.inputs, extraEnv);
}

const only = <T>(target: Record<string, T>): T => Object.values(target)[0] as T;

describe('meta.test.ts', () => {
  for (const suite of TAGS_LABELS_SUITES) {
    describe(suite, () => {
      it.each(metaCases.filter((testCase) => testCase.suite === suite).map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
        const { plan, outputs } = run(testCase);
        const version = testCase.version as SuiteVersion;
        expect(plan.metadata?.version).toEqual({ ...version, main: version.main ?? '' });
        expect(outputs.version).toBe(version.main ?? '');
        expect(outputList(outputs.tags)).toEqual(testCase.tags);
        expect(outputList(outputs.labels)).toEqual(testCase.labels);
        // Its getAnnotations() has no level; the annotations output puts each at every level.
        const annotations = testCase.annotations ?? testCase.labels ?? [];
        expect(outputList(outputs.annotations)).toEqual(ANNOTATION_LEVELS.flatMap((level) => annotations.map((annotation) => `${level}:${annotation}`)));
      });
    });
  }

  describe('json (its getJSON([manifest]): DOCKER_METADATA_ANNOTATIONS_LEVELS=manifest)', () => {
    it.each(metaCases.filter((testCase) => testCase.suite === 'json').map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
      expect(JSON.parse(run(testCase).outputs.json)).toEqual(testCase.json);
    });
  });

  describe('bakeFile (no bake file here: the same tags, args, labels and annotations, levels index,manifest-descriptor)', () => {
    it.each(metaCases.filter((testCase) => testCase.suite === 'bakeFile').map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
      const { plan, outputs } = run(testCase);
      const tagsTarget = only(testCase.bakeTags?.target ?? {});
      expect(outputList(outputs.tags)).toEqual(tagsTarget.tags);
      expect({ DOCKER_META_IMAGES: plan.metadata?.imageNames.join(','), DOCKER_META_VERSION: outputs.version }).toEqual(tagsTarget.args);
      expect(JSON.parse(outputs.json).labels).toEqual(only(testCase.bakeLabels?.target ?? {}).labels);
      expect(outputList(outputs.annotations)).toEqual(only(testCase.bakeAnnotations?.target ?? {}).annotations);
    });
  });

  describe('bakeFileTagsLabels (no bake file here: the same tags, labels and args)', () => {
    it.each(metaCases.filter((testCase) => testCase.suite === 'bakeFileTagsLabels').map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
      const { plan, outputs } = run(testCase);
      const target = only(testCase.bake?.target ?? {});
      expect(outputList(outputs.tags)).toEqual(target.tags);
      expect(JSON.parse(outputs.json).labels).toEqual(target.labels);
      expect({ DOCKER_META_IMAGES: plan.metadata?.imageNames.join(','), DOCKER_META_VERSION: outputs.version }).toEqual(target.args);
    });
  });

  describe('sepTags', () => {
    it.each(metaCases.filter((testCase) => testCase.suite === 'sepTags').map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
      expect(run(testCase).outputs.tags).toBe(testCase.tagsOutput);
    });
  });

  describe('isRawStatement', () => {
    it.each(metaCases.filter((testCase) => testCase.suite === 'isRawStatement').map((testCase) => [testCase.pattern as string, testCase.isRaw as boolean] as const))('%s → %s', (pattern, raw) => {
      const template = parseTemplate(pattern, VERSION_EXPRESSIONS);
      expect('problem' in template ? false : isRawStatement(template as Template)).toBe(raw);
    });
  });
});

// --- The parser tables: inputs read by parseInputs, as the action reads them -------------

interface TableRow<I, E> {
  suite: string;
  index: number;
  input: I;
  expected?: E;
  invalid?: true;
}

interface SuiteTag {
  type: string;
  attrs: Record<string, string>;
}

/** A parsed rule in the shape metadata-action's Tag has: its type and attributes as text. */
function suiteTag(rule: TagRule): SuiteTag {
  const attrs: Record<string, string> = { priority: String(rule.priority), enable: rule.enable.source };
  if (rule.prefix) attrs.prefix = rule.prefix.source;
  if (rule.suffix) attrs.suffix = rule.suffix.source;
  switch (rule.type) {
    case 'schedule':
      return { type: rule.type, attrs: { ...attrs, pattern: rule.pattern.source } };
    case 'semver':
    case 'pep440':
      return { type: rule.type, attrs: { ...attrs, pattern: rule.pattern.source, value: rule.value.source, match: rule.match?.source ?? '' } };
    case 'match':
      return { type: rule.type, attrs: { ...attrs, pattern: rule.pattern.source, group: String(rule.group), value: rule.value.source } };
    case 'edge':
      return { type: rule.type, attrs: { ...attrs, branch: rule.branch } };
    case 'ref':
      return { type: rule.type, attrs: { ...attrs, event: rule.event } };
    case 'raw':
      return { type: rule.type, attrs: { ...attrs, value: rule.value.source } };
    case 'sha':
      return { type: rule.type, attrs: { ...attrs, format: rule.format } };
  }
}

const withImage = (overrides: Partial<Record<InputName, string>>) => inputsFrom({ images: 'user/app', ...overrides });
const rows = <I, E>(file: string, suite: string) =>
  readParityCases<TableRow<I, E>>(file)
    .filter((row) => row.suite === suite)
    .map((row) => [row.index, row] as const);

describe('tag.test.ts', () => {
  it.each(rows<string[], SuiteTag[]>('tag.json', 'transform'))('transform %i', (_index, row) => {
    const rules = withImage({ tags: row.input.map(inputLine).join('\n') }).metadata?.rules ?? [];
    expect(rules.map(suiteTag)).toEqual(row.expected);
  });

  it.each(rows<string, SuiteTag>('tag.json', 'parse'))('parse %i', (_index, row) => {
    const read = () => withImage({ tags: inputLine(row.input) }).metadata?.rules.map(suiteTag);
    if (row.invalid) expectInputError(read, 'tags');
    else expect(read()).toEqual([row.expected]);
  });
});

describe('flavor.test.ts', () => {
  it.each(rows<string[], Record<string, unknown>>('flavor.json', 'transform'))('transform %i', (_index, row) => {
    const read = () => {
      const flavor = withImage({ flavor: row.input.map(inputLine).join('\n') }).metadata?.flavor;
      return flavor && { latest: flavor.latest, prefix: flavor.prefix.source, prefixLatest: flavor.prefixLatest, suffix: flavor.suffix.source, suffixLatest: flavor.suffixLatest };
    };
    if (row.invalid) expectInputError(read, 'flavor');
    else expect(read()).toEqual(row.expected);
  });
});

describe('image.test.ts', () => {
  it.each(rows<string[], Array<{ name: string; enable: boolean }>>('image.json', 'transform'))('transform %i', (_index, row) => {
    const read = () => inputsFrom({ images: row.input.map(inputLine).join('\n') }).metadata?.images;
    if (row.invalid) {
      expectInputError(read, 'images');
      return;
    }
    // Its Transform keeps the case; its tags lower-case the name (sanitizeImageName), which this step does on reading.
    const expected = (row.expected ?? []).map(({ name, enable }) => ({ name: name.toLowerCase(), enable, ...(name === name.toLowerCase() ? {} : { written: name }) }));
    expect(read()).toEqual(expected);
  });
});

interface ContextCase {
  suite: string;
  index: number;
  name?: string;
  inputs?: Partial<Record<InputName, string>>;
  env?: Record<string, string>;
  expected: Record<string, unknown>;
}

describe('context.test.ts', () => {
  const cases = readParityCases<ContextCase>('context.json');

  it.each(cases.filter((testCase) => testCase.suite === 'getInputs').map((testCase) => [testCase.index, testCase] as const))('getInputs %i', (_index, testCase) => {
    const given = { ...testCase.inputs };
    // bake-target is not an input here: no bake file is written (README, migration table).
    delete given['bake-target' as InputName];
    const inputs = inputsFrom(given);
    const metadata = inputs.metadata;
    const expected = testCase.expected as { images: string[]; tags: string[]; flavor: string[]; labels: string[]; annotations: string[]; sepTags: string; sepLabels: string; sepAnnotations: string };
    const entryLines = (entries: readonly { key: string; value: Template }[] | undefined, plain: readonly string[]) =>
      metadata ? (entries ?? []).map((entry) => `${entry.key}=${entry.value.source}`) : plain;
    expect({
      images: (metadata?.images ?? []).map((image) => image.name),
      tags: given.tags ? (metadata?.rules ?? []).map((rule) => rule.source) : [],
      labels: entryLines(metadata?.labels, inputs.labels),
      annotations: entryLines(metadata?.annotations, inputs.annotations),
      sepTags: inputs.separators.tags,
      sepLabels: inputs.separators.labels,
      sepAnnotations: inputs.separators.annotations,
    }).toEqual({
      images: expected.images,
      tags: expected.tags,
      labels: expected.labels,
      annotations: expected.annotations,
      sepTags: expected.sepTags,
      sepLabels: expected.sepLabels,
      sepAnnotations: expected.sepAnnotations,
    });
    // Its flavor list is the lines as read: here the one line, read into the flavor.
    if (expected.flavor.length > 0) expect(metadata?.flavor.prefix.source).toBe(expected.flavor[0]?.replace(/^prefix=/, ''));
  });

  it('getContext workflow: ref, sha and the commit date of the push payload', () => {
    const testCase = cases.find((entry) => entry.suite === 'getContext' && entry.name === 'workflow') as ContextCase;
    const env = testCase.env ?? {};
    const context = contextIn(env.GITHUB_EVENT_PATH ? { ...env, GITHUB_EVENT_PATH: path.join(PARITY_FIXTURES, 'events', env.GITHUB_EVENT_PATH) } : env, '/work', '/tmp');
    expect({ ref: context.ref, sha: context.sha, commitDate: commitDateFromPayload(context.payload as Record<string, unknown>, context.sha)?.toISOString() }).toEqual(testCase.expected);
  });

  it('getContext git: deliberately not supported (context is the build context folder here)', () => {
    // metadata-action's `context: git` reads ref and sha from the checkout; this step's
    // `context` input is the build context, and the workflow's event is the source.
    expect(inputsFrom({ context: 'git' }).context).toBe('git');
  });
});
