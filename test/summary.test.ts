import { describe, expect, it } from 'vitest';
import { formatDuration, OUTPUT_NAMES, outputsFor, renderSummary, type Report } from '../src/summary.js';
import { readActionYml } from './support/inputs.js';

const DIGEST = 'sha256:8347c52bd405bc339c04a64bce91d87510668da577280f3929de35fff7af6ad9';
const PLAN_TEXT = JSON.stringify({ push: { push: true, reason: 'event push pushes (push: auto)' }, tags: ['ghcr.io/acme/app:1.2.3'] }, null, 2);

const pushedReport: Report = {
  dryRun: false,
  tags: ['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/app:latest'],
  platforms: ['linux/amd64', 'linux/arm64'],
  pushDecision: { push: true, reason: 'event push pushes (push: auto)' },
  pushed: true,
  digest: DIGEST,
  imageId: 'sha256:0f4dc6797db467372cbf52c7236816203654a839f64a6542c9135d1973c9d744',
  metadata: `{"containerimage.digest":"${DIGEST}"}`,
  builder: 'build-push-1a2b3c4d (docker-container, created because builder "default" lacks linux/arm64)',
  attestations: 2,
  phases: [
    { name: 'inputs', milliseconds: 1.4, ok: true },
    { name: 'build', milliseconds: 48_250, ok: true },
    { name: 'verify', milliseconds: 612, ok: true },
  ],
  planText: PLAN_TEXT,
};

const emptyReport: Report = { dryRun: false, tags: [], platforms: [], pushed: false, digest: '', imageId: '', metadata: '', phases: [] };

/** The value of one row of the result table. */
function row(markdown: string, key: string): string | undefined {
  const line = markdown.split('\n').find((candidate) => candidate.startsWith(`| ${key} | `));
  return line?.slice(`| ${key} | `.length, -' |'.length);
}

describe('OUTPUT_NAMES', () => {
  it('are exactly the outputs action.yml declares', () => {
    expect([...OUTPUT_NAMES].sort()).toEqual(Object.keys(readActionYml().outputs).sort());
  });
});

describe('outputsFor', () => {
  it('writes every output of a pushed build', () => {
    expect(outputsFor(pushedReport)).toEqual({
      digest: DIGEST,
      imageid: pushedReport.imageId,
      metadata: pushedReport.metadata,
      tags: 'ghcr.io/acme/app:1.2.3\nghcr.io/acme/app:latest',
      pushed: 'true',
      platforms: 'linux/amd64,linux/arm64',
      plan: PLAN_TEXT,
      tested: 'false',
      scanned: 'false',
      version: '',
      labels: '',
      annotations: '',
      json: '',
    });
  });

  it('reports what the gate did', () => {
    expect(outputsFor({ ...pushedReport, gate: { tested: true, scanned: false } })).toMatchObject({ tested: 'true', scanned: 'false' });
    const summary = renderSummary({ ...pushedReport, gate: { tested: true, scanned: true } });
    expect(summary).toContain("| Gate | tested and scanned; the pushed digest is the gated image's |");
    const failed = renderSummary({ ...emptyReport, failure: 'gate: the test failed', gate: { tested: false, scanned: false, failureOutput: 'FAIL: 2 tests' } });
    expect(failed).toContain('| Gate | not passed |');
    expect(failed).toContain('FAIL: 2 tests');
  });

  it('writes empty strings and pushed=false when nothing happened', () => {
    expect(outputsFor(emptyReport)).toEqual({ digest: '', imageid: '', metadata: '', tags: '', pushed: 'false', platforms: '', plan: '', tested: 'false', scanned: 'false', version: '', labels: '', annotations: '', json: '' });
  });

  it('has a value for every declared output', () => {
    expect(Object.keys(outputsFor(emptyReport)).sort()).toEqual([...OUTPUT_NAMES].sort());
  });
});

describe('renderSummary', () => {
  it('renders a pushed build', () => {
    const markdown = renderSummary(pushedReport);
    expect(markdown.startsWith('### build-push\n')).toBe(true);
    expect(row(markdown, 'Result')).toBe('✅ built');
    expect(row(markdown, 'Tags')).toBe('`ghcr.io/acme/app:1.2.3`<br>`ghcr.io/acme/app:latest`');
    expect(row(markdown, 'Platforms')).toBe('linux/amd64, linux/arm64');
    expect(row(markdown, 'Pushed')).toBe('yes (event push pushes (push: auto); verified in the registry)');
    expect(row(markdown, 'Digest')).toBe(`\`${DIGEST}\``);
    expect(row(markdown, 'Attestations')).toBe('2 attestation manifest(s) (shown by registries as unknown/unknown)');
    expect(row(markdown, 'Builder')).toBe(pushedReport.builder);
    expect(markdown).toContain('<details><summary>Phases (48.9 s)</summary>');
    expect(markdown).toContain('| inputs | 1 ms | ok |');
    expect(markdown).toContain('| build | 48.3 s | ok |');
    expect(markdown).toContain('| verify | 612 ms | ok |');
    expect(markdown).toContain(`\`\`\`json\n${PLAN_TEXT}\n\`\`\``);
    expect(markdown.endsWith('\n')).toBe(true);
  });

  it('renders a dry run with the decision it would have taken', () => {
    const markdown = renderSummary({ ...emptyReport, dryRun: true, tags: ['ghcr.io/acme/app:pr-42'], platforms: ['linux/amd64'], pushDecision: { push: false, reason: 'event pull_request does not push (push: auto)' } });
    expect(row(markdown, 'Result')).toBe('dry run: nothing was built');
    expect(row(markdown, 'Pushed')).toBe('no: dry run (would push: no, event pull_request does not push (push: auto))');
  });

  it('renders a dry run that would push', () => {
    const markdown = renderSummary({ ...emptyReport, dryRun: true, pushDecision: { push: true, reason: 'input push is true' } });
    expect(row(markdown, 'Pushed')).toBe('no: dry run (would push: yes, input push is true)');
  });

  it.each<[string, Partial<Report>, string]>([
    ['a build that was not to be pushed', { pushDecision: { push: false, reason: 'input push is false' } }, 'no: input push is false'],
    ['a push that failed', { pushDecision: { push: true, reason: 'input push is true' }, failure: 'verify: the push could not be verified' }, 'no: the step failed before the push was verified'],
    ['a push that was not verified', { pushDecision: { push: true, reason: 'input push is true' } }, 'no: not verified'],
    ['a step that failed before deciding', { failure: 'inputs: bad' }, 'no: not decided'],
  ])('says why nothing was pushed: %s', (_, fields, pushed) => {
    expect(row(renderSummary({ ...emptyReport, ...fields }), 'Pushed')).toBe(pushed);
  });

  it('renders a failure on one line, with table pipes escaped', () => {
    const markdown = renderSummary({ ...emptyReport, failure: 'build: docker buildx build failed (exit code 1):\nERROR: a | b\r\nfailed to solve' });
    expect(row(markdown, 'Result')).toBe('❌ build: docker buildx build failed (exit code 1): ERROR: a \\| b failed to solve');
  });

  it('says (none) without tags and leaves out the optional rows', () => {
    const markdown = renderSummary(emptyReport);
    expect(row(markdown, 'Tags')).toBe('(none)');
    for (const key of ['Digest', 'Attestations', 'Builder']) expect(row(markdown, key), key).toBeUndefined();
    expect(markdown).not.toContain('<summary>Plan</summary>');
    expect(markdown).toContain('<details><summary>Phases (0 ms)</summary>');
  });

  it('marks failed phases', () => {
    const markdown = renderSummary({ ...emptyReport, phases: [{ name: 'login', milliseconds: 2500, ok: false }] });
    expect(markdown).toContain('| login | 2.5 s | failed |');
  });

  it('cannot be broken out of a code span by a backtick', () => {
    expect(row(renderSummary({ ...emptyReport, tags: ['a`b'] }), 'Tags')).toBe("`a'b`");
  });

  it('escapes pipes and line breaks in the builder and reasons', () => {
    const markdown = renderSummary({ ...emptyReport, builder: 'a|b\nc', pushDecision: { push: false, reason: 'x|y' } });
    expect(row(markdown, 'Builder')).toBe('a\\|b c');
    expect(row(markdown, 'Pushed')).toBe('no: x\\|y');
  });

  it('has the result table rows in a fixed order', () => {
    const keys = renderSummary(pushedReport)
      .split('\n')
      .filter((line) => /^\| [A-Z]/.test(line) && !line.startsWith('| Phase'))
      .map((line) => line.split(' | ')[0]?.slice(2));
    expect(keys).toEqual(['Result', 'Tags', 'Platforms', 'Pushed', 'Digest', 'Attestations', 'Builder']);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [0.4, '0 ms'],
    [1.5, '2 ms'],
    [250, '250 ms'],
    [999, '999 ms'],
    [1000, '1.0 s'],
    [1049, '1.0 s'],
    [1050, '1.1 s'],
    [48_250, '48.3 s'],
    [125_000, '125.0 s'],
  ])('%d ms → %s', (milliseconds, text) => {
    expect(formatDuration(milliseconds)).toBe(text);
  });
});
