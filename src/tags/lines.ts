// Splitting of the list inputs that metadata-action reads (images, tags, flavor, labels,
// annotations) with csv-parse, as metadata-action and docker/actions-toolkit do: one entry
// a line, `#` lines are comments, and each entry of images, tags and flavor is a CSV record
// of `key=value` fields.

import { CsvError, parse } from 'csv-parse/sync';

export interface Problem {
  readonly problem: string;
}

/** A problem of a whole list input, with the line it is on when that is known. */
export interface ListProblem extends Problem {
  readonly line?: string;
}

/** csv-parse's complaint in words that say how to write the field instead. */
function csvProblem(error: unknown): Problem {
  const code = error instanceof CsvError ? error.code : undefined;
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return { problem: 'a quote (") is not closed' };
    case 'INVALID_OPENING_QUOTE':
      return { problem: 'a quote (") stands inside a field: quote the whole field and double the quotes in it ("value=a""b")' };
    case 'CSV_INVALID_CLOSING_QUOTE':
      return { problem: 'text follows a closing quote ("): quote the whole field ("pattern=a,b")' };
    default:
      return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Quotes a field for a CSV line when a comma would split it. */
const keepWhole = (field: string): string => (field.includes(',') ? `"${field.replace(/"/g, '""')}"` : field);

/**
 * The entries of a list input, read as docker/actions-toolkit's getInputList reads them
 * (csv-parse, `#` a comment only at the start of a line, commas do not split, entries
 * trimmed). Two things differ, both where its reading loses what the user wrote:
 * - a quoted field of a line keeps its commas (`type=match,"pattern=\d{1,3}"`); getList
 *   joins the fields again without their quotes and the rule then splits at that comma;
 * - an indented `#` line is a comment too, not a tag or label named `# ...`.
 */
export function listEntries(text: string): string[] | ListProblem {
  let records: string[][];
  try {
    records = parse(text, { relaxQuotes: true, comment: '#', comment_no_infix: true, relaxColumnCount: true, skipEmptyLines: true }) as string[][];
  } catch (error) {
    // An unclosed quote runs to the end of the input: name the line that opened it.
    const line = text.split(/\r?\n/).find((candidate) => (candidate.match(/"/g) ?? []).length % 2 === 1);
    return { ...csvProblem(error), ...(line === undefined ? {} : { line: line.trim() }) };
  }
  return records.map((record) => (record.length === 1 ? (record[0] as string) : record.map(keepWhole).join(',')).trim()).filter((entry) => entry !== '' && !entry.startsWith('#'));
}

/** Splits one entry into its CSV fields, as metadata-action does for images, tags and flavor. */
export function splitFields(entry: string): string[] | Problem {
  try {
    const [fields] = parse(entry, { relaxColumnCount: true, skipEmptyLines: true }) as string[][];
    return fields ?? [];
  } catch (error) {
    return csvProblem(error);
  }
}

/** Splits a field at its first `=`: `pattern=a=b` is `pattern` and `a=b`. Both sides trimmed. */
export function splitKeyValue(field: string): { key: string; value: string } | { bare: string } {
  const equals = field.indexOf('=');
  if (equals < 0) return { bare: field.trim() };
  return { key: field.slice(0, equals).trim().toLowerCase(), value: field.slice(equals + 1).trim() };
}

/** `prefix "line": problem`, or the problem alone when the line is not known. */
export function listProblem(problem: ListProblem, prefix = ''): string {
  return problem.line === undefined ? problem.problem : `${prefix}${quote(problem.line)}: ${problem.problem}`;
}

/** Shortens user text quoted in an error message. */
export function quote(text: string, max = 120): string {
  return `"${text.length > max ? `${text.slice(0, max)}…` : text}"`;
}
