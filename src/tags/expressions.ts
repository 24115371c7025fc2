// The handlebars subset metadata-action's attributes use: `{{name}}` and
// `{{date 'format' tz='Zone'}}`. Templates are parsed (and every name, date token and
// zone checked) when the inputs are read, so a typo fails before anything is built.

import { MOMENT_DEFAULT_FORMAT, compileDateFormat, isTimeZone, type DateFormat } from './dates.js';

export interface Expression {
  readonly name: string;
  /** Written `{{{name}}}`: the value is not HTML-escaped. */
  readonly unescaped?: true;
  /** Set for `date` and `commit_date`. */
  readonly date?: { readonly format: DateFormat; readonly timeZone: string };
}

export type TemplatePart = string | Expression;

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

/** What `prefix`, `suffix`, `value`, `enable`, flavor, labels and annotations may use. */
export const GLOBAL_EXPRESSIONS = ['branch', 'tag', 'sha', 'base_ref', 'is_default_branch', 'is_not_default_branch', 'date', 'commit_date'] as const;
/** What `pattern` of type=schedule may use (metadata-action renders it with the date helpers only). */
export const SCHEDULE_EXPRESSIONS = ['date', 'commit_date'] as const;
/** What `pattern` of type=semver and type=pep440 may use. */
export const VERSION_EXPRESSIONS = ['raw', 'version', 'major', 'minor', 'patch'] as const;

const DATE_HELPERS = new Set(['date', 'commit_date']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A template without expressions, for defaults such as `sha-`. */
export function literalTemplate(text: string): Template {
  return { source: text, parts: text === '' ? [] : [text] };
}

/** Splits a mustache body into words; quoted strings keep their spaces. */
function words(body: string): string[] | { problem: string } {
  const result: string[] = [];
  let index = 0;
  while (index < body.length) {
    if (/\s/.test(body[index] as string)) {
      index++;
      continue;
    }
    let word = '';
    while (index < body.length && !/\s/.test(body[index] as string)) {
      const char = body[index] as string;
      if (char === "'" || char === '"') {
        // A quoted string, with \' or \" for the quote itself.
        word += char;
        index++;
        while (index < body.length && body[index] !== char) {
          if (body[index] === '\\' && body[index + 1] === char) index++;
          word += body[index];
          index++;
        }
        if (index >= body.length) return { problem: `a quote (${char}) is not closed` };
        word += char;
        index++;
      } else {
        word += char;
        index++;
      }
    }
    result.push(word);
  }
  return result;
}

const unquote = (word: string): string | undefined => (/^(['"]).*\1$/s.test(word) ? word.slice(1, -1) : undefined);

function parseExpression(body: string, allowed: readonly string[]): Expression | { problem: string } {
  const split = words(body);
  if (!Array.isArray(split)) return split;
  const [name, ...args] = split;
  const shown = `{{${body.trim()}}}`;
  if (name === undefined) return { problem: `${shown} is empty` };
  if (!NAME.test(name)) return { problem: `${shown} is not supported: only {{${allowed.join('}}, {{')}}} can be used here` };
  if (!allowed.includes(name)) {
    return { problem: `${shown}: "${name}" is not known here (use ${allowed.map((item) => `{{${item}}}`).join(', ')})` };
  }
  if (!DATE_HELPERS.has(name)) {
    if (args.length > 0) return { problem: `${shown}: {{${name}}} takes no arguments` };
    return { name };
  }
  const example = `{{${name} 'YYYYMMDD' tz='Asia/Tokyo'}}`;
  // No format, or an unquoted word (a handlebars variable that does not exist), is
  // moment's default format: metadata-action's tests pin `{{commit_date YYYY-MM-DD}}`
  // to 2020-01-10T00:30:00Z.
  let format: DateFormat = MOMENT_DEFAULT_FORMAT;
  let positional = 0;
  let timeZone = 'UTC';
  for (const arg of args) {
    const equals = arg.indexOf('=');
    if (equals > 0 && !/^['"]/.test(arg)) {
      const key = arg.slice(0, equals);
      const value = unquote(arg.slice(equals + 1));
      if (key !== 'tz') return { problem: `${shown}: unknown attribute "${key}" (only tz is allowed, e.g. ${example})` };
      if (value === undefined) return { problem: `${shown}: the tz value must be quoted, e.g. ${example}` };
      timeZone = value;
    } else {
      if (++positional > 1) return { problem: `${shown}: write one quoted format, e.g. ${example}` };
      const value = unquote(arg);
      if (value !== undefined) {
        const compiled = compileDateFormat(value);
        if ('problem' in compiled) return { problem: `${shown}: ${compiled.problem}` };
        format = compiled;
      }
    }
  }
  if (!isTimeZone(timeZone)) return { problem: `${shown}: "${timeZone}" is not a known time zone (use an IANA name such as Europe/Paris)` };
  return { name, date: { format, timeZone } };
}

/** Parses `source`; only the expressions in `allowed` may appear. */
export function parseTemplate(source: string, allowed: readonly string[]): Template | { problem: string } {
  const parts: TemplatePart[] = [];
  let text = '';
  let index = 0;
  while (index < source.length) {
    const open = source.indexOf('{{', index);
    if (open < 0) {
      text += source.slice(index);
      break;
    }
    // `\{{` is a literal `{{`, as in handlebars.
    if (open > 0 && source[open - 1] === '\\') {
      text += source.slice(index, open - 1) + '{{';
      index = open + 2;
      continue;
    }
    text += source.slice(index, open);
    const triple = source.startsWith('{{{', open);
    // `{{!-- ... --}}` may hold `}}`; it ends at `--}}`.
    const longComment = source.startsWith('{{!--', open);
    const closer = triple ? '}}}' : longComment ? '--}}' : '}}';
    const start = open + (triple ? 3 : 2);
    const close = source.indexOf(closer, start);
    if (close < 0) return { problem: `"${source.slice(open, open + 40)}" has no closing ${closer}` };
    const body = source.slice(start, close);
    index = close + closer.length;
    if (body.startsWith('!')) continue; // a handlebars comment renders nothing
    const expression = parseExpression(body, allowed);
    if ('problem' in expression) return expression;
    if (text !== '') parts.push(text);
    text = '';
    parts.push(triple ? { ...expression, unescaped: true } : expression);
  }
  if (text !== '') parts.push(text);
  return { source, parts };
}

// handlebars' escapeExpression: metadata-action renders `{{...}}` with it, so a branch
// `feat&x` in `type=raw,value={{branch}}` is `feat&amp;x` there (the tag `feat-amp-x`).
const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
const escapeHtml = (value: string): string => value.replace(/[&<>"'`=]/g, (character) => HTML_ESCAPES[character] ?? character);

export function renderTemplate(template: Template, resolve: (expression: Expression) => string): string {
  return template.parts.map((part) => (typeof part === 'string' ? part : part.unescaped ? resolve(part) : escapeHtml(resolve(part)))).join('');
}

/** True for a pattern that is `{{raw}}` and nothing else (pre-releases then keep it). */
export function isRawStatement(template: Template): boolean {
  const [only, ...rest] = template.parts;
  return rest.length === 0 && typeof only === 'object' && only.name === 'raw';
}

/** True when the template has no expressions (its text is its value). */
export function isLiteral(template: Template): boolean {
  return template.parts.every((part) => typeof part === 'string');
}
