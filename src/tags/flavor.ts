import { InputError } from '../errors.js';
import { GLOBAL_EXPRESSIONS, literalTemplate, parseTemplate, type Template } from './expressions.js';
import { listEntries, listProblem, quote, splitFields, splitKeyValue } from './lines.js';

export type LatestMode = 'auto' | 'true' | 'false';

/** The `flavor` input: global behaviour of the tags. */
export interface Flavor {
  readonly latest: LatestMode;
  /** Added to every tag whose rule has no prefix attribute of its own. */
  readonly prefix: Template;
  /** Also add the prefix to `latest`. */
  readonly prefixLatest: boolean;
  readonly suffix: Template;
  readonly suffixLatest: boolean;
}

export const DEFAULT_FLAVOR: Flavor = {
  latest: 'auto',
  prefix: literalTemplate(''),
  prefixLatest: false,
  suffix: literalTemplate(''),
  suffixLatest: false,
};

const EXAMPLE = 'latest=auto (or prefix=app-,onlatest=true)';

/** Parses `flavor`: lines of latest=auto|true|false, prefix=...[,onlatest=...], suffix=...[,onlatest=...]. */
export function parseFlavor(text: string): Flavor {
  let flavor: { -readonly [K in keyof Flavor]: Flavor[K] } = { ...DEFAULT_FLAVOR };
  const entries = listEntries(text);
  if (!Array.isArray(entries)) throw new InputError('flavor', listProblem(entries), EXAMPLE);
  for (const entry of entries) {
    const fail = (problem: string): never => {
      throw new InputError('flavor', `${quote(entry)}: ${problem}`, EXAMPLE);
    };
    const fields = splitFields(entry);
    if (!Array.isArray(fields)) return fail(fields.problem);
    // `onlatest` belongs to the prefix or suffix written before it on the same line.
    let onLatestFor: 'prefix' | 'suffix' | undefined;
    for (const field of fields.map(splitKeyValue)) {
      if ('bare' in field) fail(`"${field.bare}" is not key=value`);
      const { key, value } = field as { key: string; value: string };
      switch (key) {
        case 'latest':
          if (value !== 'auto' && value !== 'true' && value !== 'false') fail(`latest must be auto, true or false, not "${value}"`);
          flavor = { ...flavor, latest: value as LatestMode };
          break;
        case 'prefix':
        case 'suffix': {
          const template = parseTemplate(value, GLOBAL_EXPRESSIONS);
          if ('problem' in template) return fail(template.problem);
          flavor = { ...flavor, [key]: template };
          onLatestFor = key;
          break;
        }
        case 'onlatest':
          if (value !== 'true' && value !== 'false') fail(`onlatest must be true or false, not "${value}"`);
          if (onLatestFor === undefined) fail('onlatest must follow prefix=... or suffix=... on the same line');
          flavor = { ...flavor, [onLatestFor === 'prefix' ? 'prefixLatest' : 'suffixLatest']: value === 'true' };
          break;
        default:
          fail(`unknown flavor "${key}" (use latest, prefix, suffix and onlatest)`);
      }
    }
  }
  return flavor;
}
