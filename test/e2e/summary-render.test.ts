// End to end: the job summary the bundled action writes, rendered to HTML the way GitHub
// renders a step summary (GitHub-flavoured Markdown, raw HTML limited to a few safe tags),
// then opened in a real headless browser (Debian's chromium): the DOM it parsed must show
// the table people read, and its screenshot must be a real picture, for a push and for a
// pull request. The HTML and PNG files are kept; their paths are printed.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { enginePushesAfterBuild, loadEngineEnv, runnerHome, type Engine } from './engine.mjs';
import { REPO_ROOT, runAction, type ActionRun } from './runner.mjs';

const CHROMIUM = process.env.E2E_CHROMIUM || 'chromium';
const WIDTH = 1200;
const HEIGHT = 900;

// ---------------------------------------------------------------------------
// Markdown → HTML: the subset of GitHub-flavoured Markdown the summary uses (headings,
// pipe tables, bullet lists, fenced code, paragraphs; code spans, links, bold, backslash
// escapes, entities). Raw HTML is kept only for the tags GitHub's sanitizer keeps and
// the summary writes (code with title, br, details, summary); anything else is shown as text.

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const ALLOWED_TAG = /^<(\/?)(code|br|details|summary)((?:\s+title="[^"<>]*")?)\s*\/?>/i;
const ENTITY = /^&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i;

function renderInline(text: string): string {
  let html = '';
  let index = 0;
  while (index < text.length) {
    const rest = text.slice(index);
    const character = text[index] ?? '';
    if (character === '\\' && /^[!-/:-@[-`{-~]$/.test(text[index + 1] ?? '')) {
      html += escapeHtml(text[index + 1] ?? '');
      index += 2;
      continue;
    }
    if (character === '`') {
      const run = /^`+/.exec(rest)?.[0] ?? '`';
      const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
      close.lastIndex = run.length;
      const end = close.exec(rest);
      if (end) {
        let code = rest.slice(run.length, end.index).replace(/\n/g, ' ');
        if (code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '') code = code.slice(1, -1);
        html += `<code>${escapeHtml(code)}</code>`;
        index += end.index + run.length;
      } else {
        html += run;
        index += run.length;
      }
      continue;
    }
    if (rest.startsWith('**')) {
      const end = rest.indexOf('**', 2);
      if (end > 2) {
        html += `<strong>${renderInline(rest.slice(2, end))}</strong>`;
        index += end + 2;
        continue;
      }
    }
    if (character === '[') {
      const link = /^\[((?:\\.|`[^`]*`|[^\]\\`])*)\]\((https?:\/\/[^\s()]+)\)/.exec(rest);
      if (link) {
        html += `<a href="${escapeHtml(link[2] ?? '')}">${renderInline(link[1] ?? '')}</a>`;
        index += link[0].length;
        continue;
      }
    }
    if (character === '<') {
      const tag = ALLOWED_TAG.exec(rest);
      html += tag ? tag[0] : '&lt;';
      index += tag ? tag[0].length : 1;
      continue;
    }
    if (character === '&') {
      const entity = ENTITY.exec(rest);
      html += entity ? entity[0] : '&amp;';
      index += entity ? entity[0].length : 1;
      continue;
    }
    html += character === '>' ? '&gt;' : character === '"' ? '&quot;' : character;
    index++;
  }
  return html;
}

/** Splits a table row on the pipes that are not escaped; `\|` becomes a literal pipe in the cell (also inside code spans), as in GFM. */
function tableCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

function renderMarkdown(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length) out.push(`<p>${renderInline(paragraph.join('\n'))}</p>`);
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = /^(`{3,})(\S*)\s*$/.exec(line);
    if (fence?.[1]) {
      flush();
      const body: string[] = [];
      for (index++; index < lines.length && !new RegExp(`^\`{${fence[1].length},}\\s*$`).test(lines[index] ?? ''); index++) body.push(lines[index] ?? '');
      out.push(`<pre><code${fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : ''}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (heading?.[1]) {
      flush();
      out.push(`<h${heading[1].length}>${renderInline(heading[2] ?? '')}</h${heading[1].length}>`);
      continue;
    }
    if (line.startsWith('|') && /^\|(?:\s*:?-+:?\s*\|)+\s*$/.test(lines[index + 1] ?? '')) {
      flush();
      const header = tableCells(line);
      const rows: string[][] = [];
      for (index += 2; index < lines.length && (lines[index] ?? '').startsWith('|'); index++) rows.push(tableCells(lines[index] ?? ''));
      index--;
      out.push(
        '<table>',
        `<thead><tr>${header.map((cell) => `<th>${renderInline(cell)}</th>`).join('')}</tr></thead>`,
        `<tbody>${rows.map((row) => `<tr>${header.map((_, column) => `<td>${renderInline(row[column] ?? '')}</td>`).join('')}</tr>`).join('')}</tbody>`,
        '</table>',
      );
      continue;
    }
    if (line.startsWith('- ')) {
      flush();
      const items: string[] = [];
      for (; index < lines.length && (lines[index] ?? '').startsWith('- '); index++) items.push(`<li>${renderInline((lines[index] ?? '').slice(2))}</li>`);
      index--;
      out.push(`<ul>${items.join('')}</ul>`);
      continue;
    }
    if (/^<\/?(details|summary)\b/i.test(line)) {
      flush();
      out.push(renderInline(line));
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line);
  }
  flush();
  return out.join('\n');
}

/** A page styled like GitHub's Markdown, so the screenshot looks like the job summary. */
function page(body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>build-push job summary</title>
<style>
  body { margin: 0; background: #fff; color: #1f2328; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", "Liberation Sans", "DejaVu Sans", Helvetica, Arial, sans-serif, "Noto Color Emoji"; }
  .markdown-body { box-sizing: border-box; max-width: ${WIDTH - 32}px; margin: 16px; padding: 16px 24px; border: 1px solid #d1d9e0; border-radius: 6px; }
  h3 { font-size: 1.25em; margin: 0 0 16px; }
  table { border-collapse: collapse; display: block; max-width: 100%; overflow: auto; margin: 0 0 16px; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 13px; vertical-align: top; }
  th { font-weight: 600; text-align: left; }
  tbody tr:nth-child(2n) { background: #f6f8fa; }
  code { font: 85% ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; background: rgba(129, 139, 152, 0.12); padding: 0.2em 0.4em; border-radius: 6px; }
  pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; }
  pre code { background: none; padding: 0; }
  a { color: #0969da; text-decoration: none; }
  ul { padding-left: 2em; margin: 0 0 16px; }
  details summary { cursor: pointer; }
</style></head>
<body><article class="markdown-body">
${body}
</article></body></html>
`;
}

// ---------------------------------------------------------------------------
// Chromium and the PNG it writes.

function chromium(args: string[], userDataDir: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${userDataDir}`,
      `--window-size=${WIDTH},${HEIGHT}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  if (result.error) throw new Error(`${CHROMIUM} could not run (${result.error.message}): install Debian's chromium (apt-get install -y chromium) or set E2E_CHROMIUM`);
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

interface Picture {
  width: number;
  height: number;
  /** RGB(A) samples, `channels` per pixel, rows without filter bytes. */
  pixels: Buffer;
  channels: number;
}

/** Decodes an 8-bit, non-interlaced PNG (what chromium writes): IHDR, then the inflated IDAT stream unfiltered row by row. */
function decodePng(file: Buffer): Picture {
  if (!file.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('latin1', offset + 4, offset + 8);
    const chunk = file.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = chunk.readUInt32BE(0);
      height = chunk.readUInt32BE(4);
      const [bitDepth, colourType, , , interlace] = [chunk[8], chunk[9], chunk[10], chunk[11], chunk[12]];
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType ?? -1] ?? 0;
      if (bitDepth !== 8 || interlace !== 0 || channels === 0) throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colourType}, interlace ${interlace}`);
    } else if (type === 'IDAT') {
      data.push(chunk);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let row = 0; row < height; row++) {
    const filter = raw[row * (stride + 1)];
    const line = raw.subarray(row * (stride + 1) + 1, (row + 1) * (stride + 1));
    const out = pixels.subarray(row * stride, (row + 1) * stride);
    const previous = row > 0 ? pixels.subarray((row - 1) * stride, row * stride) : Buffer.alloc(stride);
    for (let column = 0; column < stride; column++) {
      const left = column >= channels ? (out[column - channels] ?? 0) : 0;
      const up = previous[column] ?? 0;
      const upLeft = column >= channels ? (previous[column - channels] ?? 0) : 0;
      const value = line[column] ?? 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const estimate = left + up - upLeft;
        const [a, b, c] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
        predicted = a <= b && a <= c ? left : b <= c ? up : upLeft;
      } else if (filter !== 0) throw new Error(`PNG row ${row}: unknown filter ${filter}`);
      out[column] = (value + predicted) & 0xff;
    }
  }
  return { width, height, pixels, channels };
}

/** Distinct colours, and the share of pixels that are dark (text) and that are neither white nor dark (table stripes, code, links). */
function colourStats(picture: Picture): { colours: number; dark: number; tinted: number } {
  const colours = new Set<number>();
  let dark = 0;
  let tinted = 0;
  const count = picture.width * picture.height;
  for (let pixel = 0; pixel < count; pixel++) {
    const at = pixel * picture.channels;
    const [r, g, b] =
      picture.channels >= 3 ? [picture.pixels[at] ?? 0, picture.pixels[at + 1] ?? 0, picture.pixels[at + 2] ?? 0] : [picture.pixels[at] ?? 0, picture.pixels[at] ?? 0, picture.pixels[at] ?? 0];
    colours.add((r << 16) | (g << 8) | b);
    const light = (r + g + b) / 3;
    if (light < 96) dark++;
    else if (light < 250) tinted++;
  }
  return { colours: colours.size, dark: dark / count, tinted: tinted / count };
}

// ---------------------------------------------------------------------------
// The DOM chromium parsed: the table's cells as text.

const text = (html: string): string =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

function domTable(dom: string): Record<string, string>[] {
  const table = /<table>([\s\S]*?)<\/table>/.exec(dom)?.[1] ?? '';
  const header = [...table.matchAll(/<th>([\s\S]*?)<\/th>/g)].map((match) => text(match[1] ?? ''));
  const rows = [...table.matchAll(/<tr>((?:(?!<\/tr>)[\s\S])*?<td>[\s\S]*?)<\/tr>/g)].map((row) => [...(row[1] ?? '').matchAll(/<td>([\s\S]*?)<\/td>/g)].map((cell) => cell[1] ?? ''));
  return rows.map((cells) => Object.fromEntries(header.map((key, index) => [key, cells[index] ?? ''])));
}

interface Rendered {
  markdown: string;
  html: string;
  dom: string;
  png: string;
}

function render(name: string, markdown: string): Rendered {
  const dir = mkdtempSync(path.join(os.tmpdir(), `summary-${name}-`));
  const html = path.join(dir, 'summary.html');
  const png = path.join(dir, 'summary.png');
  writeFileSync(path.join(dir, 'summary.md'), markdown);
  writeFileSync(html, page(renderMarkdown(markdown)));
  const shot = chromium([`--screenshot=${png}`, `file://${html}`], path.join(dir, 'profile-shot'));
  expect(existsSync(png), `chromium wrote no screenshot (exit ${shot.status}): ${shot.stderr.slice(-2000)}`).toBe(true);
  const dump = chromium(['--dump-dom', `file://${html}`], path.join(dir, 'profile-dom'));
  expect(dump.status, dump.stderr.slice(-2000)).toBe(0);
  console.log(`summary (${name}) rendered: ${html} → ${png}`);
  return { markdown, html, dom: dump.stdout, png };
}

function expectAPicture(png: string): void {
  expect(statSync(png).size, png).toBeGreaterThan(20_000);
  const picture = decodePng(readFileSync(png));
  expect([picture.width, picture.height]).toEqual([WIDTH, HEIGHT]);
  const stats = colourStats(picture);
  // Anti-aliased text, borders, code backgrounds: a blank or failed page has a handful of colours and no dark pixels.
  // (The pull-request summary measured 576 colours, 0.7 % dark and 2.9 % tinted pixels.)
  expect(stats.colours, JSON.stringify(stats)).toBeGreaterThan(100);
  expect(stats.dark, JSON.stringify(stats)).toBeGreaterThan(0.002);
  expect(stats.tinted, JSON.stringify(stats)).toBeGreaterThan(0.005);
}

/** Only the elements the renderer builds, and the raw HTML tags the summary may use. */
function expectOnlySafeElements(dom: string): void {
  const body = /<body>([\s\S]*)<\/body>/.exec(dom)?.[1] ?? '';
  const tags = new Set([...body.matchAll(/<([a-z][a-z0-9]*)\b/g)].map((match) => match[1]));
  for (const tag of tags) expect(['article', 'h3', 'p', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'a', 'br', 'ul', 'li', 'strong', 'details', 'summary', 'pre']).toContain(tag);
}

// ---------------------------------------------------------------------------

let engine: Engine;
let home: string;
const fixtures = path.join(REPO_ROOT, 'test', 'fixtures');
const event = (name: string): unknown => JSON.parse(readFileSync(path.join(fixtures, 'events', `${name}.json`), 'utf8'));

function appInputs(tags: string): Record<string, string> {
  return {
    tags,
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
  };
}

beforeAll(() => {
  engine = loadEngineEnv();
  home = runnerHome();
  const version = chromium(['--version'], mkdtempSync(path.join(os.tmpdir(), 'chromium-version-')));
  expect(version.status, `${CHROMIUM} --version failed: install Debian's chromium (apt-get install -y chromium)`).toBe(0);
});

describe('the job summary of a push, in a browser', () => {
  const name = `e2e/summary-${randomUUID().slice(0, 8)}`;
  let result: ActionRun;
  let rendered: Rendered;

  beforeAll(async () => {
    result = await runAction({ home, eventName: 'push', payload: event('push'), inputs: appInputs(`${engine.registry}/${name}:1.0.0,${engine.registry}/${name}:latest`) });
    expect(result.main.exitCode, result.main.log).toBe(0);
    rendered = render('push', result.summary);
  });

  it('shows one row for the image: tags, short digest with the full one in its title, platforms, pushed yes', () => {
    const rows = domTable(rendered.dom);
    expect(rows).toHaveLength(1);
    const row = rows[0] ?? {};
    expect(text(row.Image ?? '')).toBe(`${engine.registry}/${name}`);
    expect(text(row.Tags ?? '')).toBe('1.0.0 latest');
    const digest = result.outputs.digest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(row.Digest).toBe(`<code title="${digest}">${digest.slice(0, 'sha256:'.length + 12)}</code>`);
    expect(text(row.Platforms ?? '')).toBe('linux/amd64, linux/arm64');
    expect(text(row.Pushed ?? '')).toBe('yes: event push pushes (push: auto); verified in the registry');
  });

  it('lists the pull command with the full digest, the attestations apart, and the time of each phase', () => {
    const body = text(rendered.dom);
    expect(body).toContain('✅ build-push: pushed');
    expect(body).toContain(`Pull docker pull ${engine.registry}/${name}@${result.outputs.digest}`);
    expect(body).toMatch(/Attestations 2 attestation manifests \(unknown\/unknown\)/);
    // The engine pushes in a phase of its own where buildx would push twice (see engine.mjs).
    const push = enginePushesAfterBuild() ? 'push [0-9.]+ m?s · ' : '';
    expect(body).toMatch(new RegExp(`Duration [0-9.]+ m?s: inputs [0-9.]+ m?s · context [0-9.]+ m?s · plan .* build [0-9.]+ m?s · ${push}verify [0-9.]+ m?s`));
    expectOnlySafeElements(rendered.dom);
  });

  it('is a real picture: a 1200×900 screenshot with text, stripes and colours', () => {
    expectAPicture(rendered.png);
  });
});

describe('the job summary of a pull request, in a browser', () => {
  const name = `e2e/summary-pr-${randomUUID().slice(0, 8)}`;
  let result: ActionRun;
  let rendered: Rendered;

  beforeAll(async () => {
    result = await runAction({ home, eventName: 'pull_request', ref: 'refs/pull/42/merge', payload: event('pull_request'), inputs: appInputs(`${engine.registry}/${name}:pr-42`) });
    expect(result.main.exitCode, result.main.log).toBe(0);
    rendered = render('pull-request', result.summary);
  });

  it('says it built but did not push, and why', () => {
    const rows = domTable(rendered.dom);
    expect(rows).toHaveLength(1);
    const row = rows[0] ?? {};
    expect(text(row.Image ?? '')).toBe(`${engine.registry}/${name}`);
    expect(text(row.Tags ?? '')).toBe('pr-42');
    expect(text(row.Platforms ?? '')).toBe('linux/amd64, linux/arm64');
    expect(text(row.Pushed ?? '')).toBe('no: event pull_request does not push (push: auto)');
    const body = text(rendered.dom);
    expect(body).toContain('✅ build-push: built, not pushed');
    expect(body).not.toContain('Pull docker pull');
    expectOnlySafeElements(rendered.dom);
  });

  it('is a real picture: a 1200×900 screenshot with text, stripes and colours', () => {
    expectAPicture(rendered.png);
  });
});

describe('the Markdown renderer of this test', () => {
  it('renders tables, escapes and code spans as GitHub does, and shows other HTML as text', () => {
    expect(renderMarkdown('| A | B |\n| --- | --- |\n| `x\\|y` | a \\| b <img src=x> <br> &amp; |')).toBe(
      '<table>\n<thead><tr><th>A</th><th>B</th></tr></thead>\n<tbody><tr><td><code>x|y</code></td><td>a | b &lt;img src=x&gt; <br> &amp;</td></tr></tbody>\n</table>',
    );
    expect(renderMarkdown('- **Pull** ``a`b``\n- [`x`](https://e.test/x) \\*y\\*')).toBe(
      '<ul><li><strong>Pull</strong> <code>a`b</code></li><li><a href="https://e.test/x"><code>x</code></a> *y*</li></ul>',
    );
    expect(renderMarkdown('````text\n```\n<script>\n````')).toBe('<pre><code class="language-text">```\n&lt;script&gt;</code></pre>');
  });
});
