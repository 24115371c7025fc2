// Splitting of the list inputs that metadata-action reads (images, tags, flavor, labels,
// annotations): one entry a line, `#` lines are comments, and each entry is a CSV record
// of `key=value` fields.

/** The non-empty, non-comment lines of a list input, trimmed. */
export function listEntries(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    // Only a `#` that starts the line is a comment: `value=a#b` keeps its `#`.
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Splits one entry on commas. A field that starts with `"` runs to the next lone `"`,
 * so a regular expression can hold a comma (`"pattern=\d{1,3}"`); `""` inside it is
 * one quote. A quote elsewhere in a field is kept as it is.
 * Returns the problem as a string when the quotes do not close.
 */
export function splitFields(entry: string): string[] | { problem: string } {
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    while (entry[index] === ' ' || entry[index] === '\t') index++;
    let field = '';
    if (entry[index] === '"') {
      index++;
      for (;;) {
        if (index >= entry.length) return { problem: 'a quote (") is not closed' };
        const char = entry[index] as string;
        if (char === '"') {
          if (entry[index + 1] === '"') {
            field += '"';
            index += 2;
            continue;
          }
          index++;
          break;
        }
        field += char;
        index++;
      }
    }
    // Unquoted text, or whatever follows a closing quote, up to the next comma.
    const comma = entry.indexOf(',', index);
    const end = comma < 0 ? entry.length : comma;
    field += entry.slice(index, end);
    fields.push(field);
    if (comma < 0) return fields;
    index = comma + 1;
  }
}

/** Splits a field at its first `=`: `pattern=a=b` is `pattern` and `a=b`. Both sides trimmed. */
export function splitKeyValue(field: string): { key: string; value: string } | { bare: string } {
  const equals = field.indexOf('=');
  if (equals < 0) return { bare: field.trim() };
  return { key: field.slice(0, equals).trim().toLowerCase(), value: field.slice(equals + 1).trim() };
}

/** Shortens user text quoted in an error message. */
export function quote(text: string, max = 120): string {
  return `"${text.length > max ? `${text.slice(0, max)}…` : text}"`;
}
