// Renders the inputs and outputs tables of README.md from action.yml, between the markers
//   <!-- inputs:start --> ... <!-- inputs:end -->  and  <!-- outputs:start --> ... <!-- outputs:end -->
// Nothing outside the markers is touched. action.yml is the only source: to change a row,
// edit action.yml and run `npm run docs`.
//
// Usage: node scripts/docs.mjs [--check] [--readme README.md] [--action action.yml]
//   --check  write nothing; exit 1 when README.md differs from what would be written
// Exit codes: 0 up to date (or written), 1 drift (--check), 2 usage or marker errors.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  const value = process.argv[index + 1];
  if (!value || value.startsWith('--')) fail(`${name} needs a value`);
  return value;
}

function fail(message) {
  console.error(`docs: ${message}`);
  process.exit(2);
}

const GENERATED_NOTE = '<!-- generated from action.yml by scripts/docs.mjs: edit action.yml, then run `npm run docs` -->';

const escapeHtml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One line of prose for a table cell: `|` escaped so it does not end the cell. */
const cellText = (text) => text.replace(/\|/g, '\\|');

/**
 * A description as one table cell. Unindented lines are prose (a paragraph's lines are
 * joined with spaces, paragraphs with <br><br>); indented lines (an example under
 * "Example:") become <code> lines that keep their indentation.
 */
export function describeCell(description) {
  const lines = String(description ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/\s+$/, '')
    .split('\n');
  const parts = [];
  let prose = [];
  let code = [];
  const flushProse = () => {
    if (prose.length) parts.push({ kind: 'prose', text: cellText(prose.join(' ')) });
    prose = [];
  };
  const flushCode = () => {
    if (code.length) {
      const base = Math.min(...code.map((l) => l.length - l.trimStart().length));
      const rendered = code.map((l) => {
        const body = l.slice(base);
        const lead = body.length - body.trimStart().length;
        return `<code>${'&nbsp;'.repeat(lead)}${escapeHtml(body.trimStart()).replace(/\|/g, '&#124;')}</code>`;
      });
      parts.push({ kind: 'code', text: rendered.join('<br>') });
    }
    code = [];
  };
  for (const line of lines) {
    if (!line.trim()) {
      flushProse();
      flushCode();
      parts.push({ kind: 'break' });
    } else if (/^\s/.test(line)) {
      flushProse();
      code.push(line);
    } else {
      flushCode();
      prose.push(line.trim());
    }
  }
  flushProse();
  flushCode();
  let out = '';
  let pendingBreak = false;
  for (const part of parts) {
    if (part.kind === 'break') {
      pendingBreak = out !== '';
      continue;
    }
    if (out) out += pendingBreak ? '<br><br>' : '<br>';
    out += part.text;
    pendingBreak = false;
  }
  return out;
}

/** A default value as a table cell: empty when there is none, else code. */
export function defaultCell(value) {
  if (value === undefined || value === null || value === '') return '';
  const text = String(value);
  // a code span that contains backticks needs a longer fence
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

export function renderInputs(action) {
  const rows = Object.entries(action.inputs ?? {}).map(([name, input]) => {
    const required = input?.required === true || input?.required === 'true' ? ' (required)' : '';
    const deprecated = input?.deprecationMessage ? `<br><br>**Deprecated:** ${cellText(String(input.deprecationMessage))}` : '';
    return `| \`${name}\`${required} | ${defaultCell(input?.default)} | ${describeCell(input?.description)}${deprecated} |`;
  });
  return ['| Input | Default | Description |', '| --- | --- | --- |', ...rows].join('\n');
}

export function renderOutputs(action) {
  const rows = Object.entries(action.outputs ?? {}).map(([name, output]) => `| \`${name}\` | ${describeCell(output?.description)} |`);
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n');
}

/** README with the text between each pair of markers replaced; throws on missing or misordered markers. */
export function updateReadme(readme, action) {
  let out = readme;
  for (const [section, table] of [
    ['inputs', renderInputs(action)],
    ['outputs', renderOutputs(action)],
  ]) {
    const start = `<!-- ${section}:start -->`;
    const end = `<!-- ${section}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < 0) throw new Error(`README has no ${start} ... ${end} markers`);
    if (to < from) throw new Error(`${end} comes before ${start}`);
    if (out.indexOf(start, from + 1) >= 0 || out.indexOf(end, to + 1) >= 0) throw new Error(`${start} or ${end} appears more than once`);
    out = `${out.slice(0, from + start.length)}\n${GENERATED_NOTE}\n\n${table}\n\n${out.slice(to)}`;
  }
  return out;
}

function main() {
  const check = process.argv.includes('--check');
  const readmePath = path.resolve(root, option('--readme', 'README.md'));
  const actionPath = path.resolve(root, option('--action', 'action.yml'));
  let action;
  let readme;
  try {
    action = parse(readFileSync(actionPath, 'utf8'));
    readme = readFileSync(readmePath, 'utf8');
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  let next;
  try {
    next = updateReadme(readme, action);
  } catch (error) {
    fail(`${path.relative(root, readmePath) || readmePath}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const name = path.relative(root, readmePath) || readmePath;
  if (next === readme) {
    console.log(`docs: ${name} is up to date with ${path.relative(root, actionPath) || actionPath}`);
    return;
  }
  if (check) {
    const before = readme.split('\n');
    const after = next.split('\n');
    const differs = before.findIndex((line, i) => line !== after[i]);
    const first = differs < 0 ? before.length : differs;
    console.error(`docs: ${name} differs from what action.yml generates (first difference at line ${first + 1}):`);
    console.error(`  README:    ${before[first] ?? '(end of file)'}`);
    console.error(`  generated: ${after[first] ?? '(end of file)'}`);
    console.error('docs: run `npm run docs` and commit README.md');
    process.exit(1);
  }
  writeFileSync(readmePath, next);
  console.log(`docs: wrote the inputs and outputs tables of ${name}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
