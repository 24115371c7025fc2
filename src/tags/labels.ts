import { InputError } from '../errors.js';
import { GLOBAL_EXPRESSIONS, parseTemplate, type Template } from './expressions.js';
import { listEntries, listProblem, quote } from './lines.js';

/** One user line of `labels` or `annotations`: a literal key and a value template. */
export interface CustomEntry {
  readonly key: string;
  readonly value: Template;
}

export type EntryInput = 'labels' | 'annotations';

const EXAMPLE = 'org.opencontainers.image.vendor=Acme';
// Levels are added for every annotation (manifest: and index:), so a key must not carry one.
const ANNOTATION_LEVEL = /^(?:manifest|index|manifest-descriptor|index-descriptor)(?:\[[^\]]*\])?:/;

/**
 * Parses `labels` or `annotations`: one key=value a line; the value may use the global
 * expressions. A line without `=` is left out, as metadata-action does, and `warn` says so.
 */
export function parseCustomEntries(text: string, input: EntryInput, warn: (message: string) => void = () => undefined): CustomEntry[] {
  const entries = listEntries(text);
  if (!Array.isArray(entries)) throw new InputError(input, listProblem(entries), EXAMPLE);
  return entries.flatMap((entry) => {
    const fail = (problem: string): never => {
      throw new InputError(input, `${quote(entry)}: ${problem}`, EXAMPLE);
    };
    const equals = entry.indexOf('=');
    if (equals < 0) {
      warn(`${input}: ${quote(entry)} is not key=value and is left out (e.g. ${EXAMPLE})`);
      return [];
    }
    const key = entry.slice(0, equals);
    if (key.trim() === '') fail('the key before "=" is empty');
    if (key.includes('{{')) fail('the key cannot use {{...}} expressions; only the value can');
    if (input === 'annotations' && ANNOTATION_LEVEL.test(key)) {
      fail('give the key without a level (the manifest: and index: levels are added to every annotation)');
    }
    const value = parseTemplate(entry.slice(equals + 1), GLOBAL_EXPRESSIONS);
    if ('problem' in value) return fail(value.problem);
    return [{ key, value }];
  });
}

/** The repository facts the OCI labels are made of. */
export interface OciFacts {
  readonly title: string;
  readonly description: string;
  readonly url: string;
  readonly version: string;
  readonly created: string;
  readonly revision: string;
  readonly licenses: string;
}

// Sorted as metadata-action sorts them (String.prototype.localeCompare), with a fixed
// locale so the order does not depend on the runner's settings.
const collator = new Intl.Collator('en');

/**
 * The generated org.opencontainers.image.* entries with the user's entries merged over
 * them (same key: the user's value wins), sorted by key.
 */
export function mergeEntries(facts: OciFacts, custom: ReadonlyArray<{ key: string; value: string }>): Array<[string, string]> {
  const merged = new Map<string, string>([
    ['org.opencontainers.image.title', facts.title],
    ['org.opencontainers.image.description', facts.description],
    ['org.opencontainers.image.url', facts.url],
    ['org.opencontainers.image.source', facts.url],
    ['org.opencontainers.image.version', facts.version],
    ['org.opencontainers.image.created', facts.created],
    ['org.opencontainers.image.revision', facts.revision],
    ['org.opencontainers.image.licenses', facts.licenses],
  ]);
  for (const { key, value } of custom) merged.set(key, value);
  return [...merged].sort(([a], [b]) => collator.compare(a, b));
}
