import { InputError } from '../errors.js';
import { GLOBAL_EXPRESSIONS, SCHEDULE_EXPRESSIONS, VERSION_EXPRESSIONS, isLiteral, literalTemplate, parseTemplate, renderTemplate, type Template } from './expressions.js';
import { listEntries, listProblem, quote, splitFields, splitKeyValue } from './lines.js';

export const RULE_TYPES = ['schedule', 'semver', 'pep440', 'match', 'edge', 'ref', 'raw', 'sha'] as const;
export type RuleType = (typeof RULE_TYPES)[number];
export type RefEvent = 'branch' | 'tag' | 'pr';

/** metadata-action's default priorities: the highest one gives the version (and the first tag). */
export const DEFAULT_PRIORITIES: Readonly<Record<RuleType, number>> = {
  schedule: 1000,
  semver: 900,
  pep440: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100,
};

/** The rules metadata-action applies when `tags` is empty. */
export const DEFAULT_RULES = ['type=schedule', 'type=ref,event=branch', 'type=ref,event=tag', 'type=ref,event=pr'] as const;

interface CommonRule {
  /** The line as written, for messages. */
  readonly source: string;
  readonly priority: number;
  /** Rendered to `true` or `false` when the metadata is computed. */
  readonly enable: Template;
  /** Present when the rule sets (or defaults) its own prefix: then the flavor prefix is not used. */
  readonly prefix?: Template;
  readonly suffix?: Template;
}

export type TagRule = CommonRule &
  (
    | { readonly type: 'schedule'; readonly pattern: Template }
    | {
        readonly type: 'semver' | 'pep440';
        readonly pattern: Template;
        /** Empty: the git tag is used. */
        readonly value: Template;
        /** Its first group picks the version out of the value. */
        readonly match?: RegExp;
      }
    | { readonly type: 'match'; readonly pattern: RegExp; readonly group: number; readonly value: Template }
    | { readonly type: 'edge'; /** Empty: the repository's default branch. */ readonly branch: string }
    | { readonly type: 'ref'; readonly event: RefEvent }
    | { readonly type: 'raw'; readonly value: Template }
    | { readonly type: 'sha'; readonly format: 'short' | 'long' }
  );

const COMMON_ATTRIBUTES = ['type', 'enable', 'priority', 'prefix', 'suffix'];
const TYPE_ATTRIBUTES: Readonly<Record<RuleType, readonly string[]>> = {
  schedule: ['pattern'],
  semver: ['pattern', 'value', 'match'],
  pep440: ['pattern', 'value', 'match'],
  match: ['pattern', 'group', 'value'],
  edge: ['branch'],
  ref: ['event'],
  raw: ['value'],
  sha: ['format'],
};

const EXAMPLES: Readonly<Record<RuleType, string>> = {
  schedule: "type=schedule,pattern={{date 'YYYYMMDD'}}",
  semver: 'type=semver,pattern={{version}}',
  pep440: 'type=pep440,pattern={{version}}',
  match: 'type=match,pattern=v(.*),group=1',
  edge: 'type=edge,branch=main',
  ref: 'type=ref,event=branch',
  raw: 'type=raw,value=latest',
  sha: 'type=sha,format=short',
};

/** `/re/flags` or a bare regular expression, as metadata-action reads type=match patterns. */
function compileRegExp(text: string, allowSlashes: boolean): RegExp | { problem: string } {
  const slashed = allowSlashes ? /^\/(.+)\/(.*)$/s.exec(text) : null;
  try {
    return slashed ? new RegExp(slashed[1] as string, slashed[2]) : new RegExp(text);
  } catch (error) {
    return { problem: `${quote(text)} is not a valid regular expression (${error instanceof Error ? error.message : String(error)})` };
  }
}

function parseRule(entry: string): TagRule {
  const fields = splitFields(entry);
  const failWith = (example: string, problem: string): never => {
    throw new InputError('tags', `rule ${quote(entry)}: ${problem}`, example);
  };
  if (!Array.isArray(fields)) return failWith(EXAMPLES.raw, fields.problem);

  // Collect the attributes; a field without `=` is the value (`type=raw,foo` or just `foo`).
  const attributes = new Map<string, string>();
  let bareValue = false;
  for (const field of fields.map(splitKeyValue)) {
    if ('bare' in field) {
      // An empty field (a trailing comma) is nothing.
      if (field.bare !== '') attributes.set('value', field.bare);
      bareValue ||= field.bare !== '';
    } else if (field.key === '') {
      failWith(EXAMPLES.raw, 'an attribute has no name before "="');
    } else {
      attributes.set(field.key, field.value);
    }
  }

  const typeName = attributes.get('type') ?? 'raw';
  if (!(RULE_TYPES as readonly string[]).includes(typeName)) {
    failWith(EXAMPLES.semver, `unknown type "${typeName}" (use one of ${RULE_TYPES.join(', ')})`);
  }
  const type = typeName as RuleType;
  const example = EXAMPLES[type];
  const fail = (problem: string): never => failWith(example, problem);

  const allowed = [...COMMON_ATTRIBUTES, ...TYPE_ATTRIBUTES[type]];
  for (const key of attributes.keys()) {
    if (!allowed.includes(key)) {
      fail(
        key === 'value' && bareValue
          ? `type=${type} takes no value without a name ("${attributes.get('value')}"); its attributes are ${allowed.join(', ')}`
          : `unknown attribute "${key}" for type=${type} (allowed: ${allowed.join(', ')})`,
      );
    }
  }

  const template = (name: string, allowedExpressions: readonly string[]): Template | undefined => {
    const text = attributes.get(name);
    if (text === undefined) return undefined;
    const parsed = parseTemplate(text, allowedExpressions);
    if ('problem' in parsed) return fail(`${name}: ${parsed.problem}`);
    return parsed;
  };
  const required = (name: string): string => attributes.get(name) ?? fail(`type=${type} needs the ${name} attribute`);

  const priorityText = attributes.get('priority');
  const priority = priorityText === undefined ? DEFAULT_PRIORITIES[type] : Number(priorityText);
  if (priorityText !== undefined && (priorityText === '' || !Number.isFinite(priority))) fail(`priority must be a number, not "${priorityText}"`);

  const enable = template('enable', GLOBAL_EXPRESSIONS) ?? literalTemplate('true');
  if (isLiteral(enable)) {
    const value = renderTemplate(enable, () => '');
    if (value !== 'true' && value !== 'false') fail(`enable must be true or false, not "${value}"`);
  }
  const common = {
    source: entry,
    priority,
    enable,
    ...optional('prefix', template('prefix', GLOBAL_EXPRESSIONS)),
    ...optional('suffix', template('suffix', GLOBAL_EXPRESSIONS)),
  };

  switch (type) {
    case 'schedule':
      return { ...common, type, pattern: template('pattern', SCHEDULE_EXPRESSIONS) ?? literalTemplate('nightly') };
    case 'semver':
    case 'pep440': {
      required('pattern');
      const pattern = template('pattern', VERSION_EXPRESSIONS) as Template;
      const value = template('value', GLOBAL_EXPRESSIONS) ?? literalTemplate('');
      const matchText = attributes.get('match') ?? '';
      if (matchText === '') return { ...common, type, pattern, value };
      const match = compileRegExp(matchText, false);
      if ('problem' in match) return fail(`match: ${match.problem}`);
      // metadata-action keeps the first group; without one it has nothing to keep.
      if (captureGroups(match) < 1) fail(`match ${quote(matchText)} needs a capture group, e.g. v(\\d+\\.\\d+\\.\\d+)$`);
      return { ...common, type, pattern, value, match };
    }
    case 'match': {
      const pattern = compileRegExp(required('pattern'), true);
      if ('problem' in pattern) return fail(`pattern: ${pattern.problem}`);
      const groupText = attributes.get('group') ?? '0';
      if (!/^\d+$/.test(groupText)) fail(`group must be a whole number, not "${groupText}"`);
      return { ...common, type, pattern, group: Number(groupText), value: template('value', GLOBAL_EXPRESSIONS) ?? literalTemplate('') };
    }
    case 'edge':
      return { ...common, type, branch: attributes.get('branch') ?? '' };
    case 'ref': {
      const event = required('event');
      if (event !== 'branch' && event !== 'tag' && event !== 'pr') fail(`event must be branch, tag or pr, not "${event}"`);
      // Pull request tags read pr-2 unless the rule says otherwise.
      const prefix = common.prefix ?? (event === 'pr' ? literalTemplate('pr-') : undefined);
      return { ...common, ...optional('prefix', prefix), type, event: event as RefEvent };
    }
    case 'raw':
      required('value');
      return { ...common, type, value: template('value', GLOBAL_EXPRESSIONS) as Template };
    case 'sha': {
      const format = attributes.get('format') ?? 'short';
      if (format !== 'short' && format !== 'long') fail(`format must be short or long, not "${format}"`);
      return { ...common, prefix: common.prefix ?? literalTemplate('sha-'), type, format: format as 'short' | 'long' };
    }
  }
}

/** How many capture groups a regular expression has (an alternative that matches '' shows them all). */
function captureGroups(expression: RegExp): number {
  return (new RegExp(`${expression.source}|`).exec('') as RegExpExecArray).length - 1;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Parses `tags` (metadata-action's rules, one a line) and sorts them by priority, highest
 * first; equal priorities keep their order. Empty input means the default rules.
 */
export function parseTagRules(text: string): TagRule[] {
  const entries = listEntries(text);
  if (!Array.isArray(entries)) throw new InputError('tags', listProblem(entries, 'rule '), EXAMPLES.raw);
  const rules = (entries.length > 0 ? entries : [...DEFAULT_RULES]).map(parseRule);
  // Array.prototype.sort is stable, which keeps the written order for equal priorities.
  return rules.sort((a, b) => b.priority - a.priority);
}
