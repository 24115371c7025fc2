// docker/metadata-action's own test suite, case by case, through the action's code path
// (test/support/metadata-action.ts). Each test is named after the metadata-action case it
// comes from: `<its test file> › <its describe> › <its case>`.
import { describe, expect, it } from 'vitest';
import { ANNOTATION_LEVELS } from '../src/tags/metadata.js';
import { isRawStatement, parseTemplate, VERSION_EXPRESSIONS, type Template } from '../src/tags/expressions.js';
import { outputList, readParityCases, runParityCase, type SuiteInputs } from './support/metadata-action.js';

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
