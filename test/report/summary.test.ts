import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  cacheStats,
  codeSpan,
  escapeHtml,
  escapeMarkdown,
  fencedBlock,
  formatDuration,
  OUTPUT_NAMES,
  outputsFor,
  platformManifestDigests,
  platformSizes,
  registryPageUrl,
  renderSummary,
  shortDigest,
  type Report,
} from '../../src/report/summary.js';
import { readActionYml } from '../support/inputs.js';

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
      'tag-names': '',
      labels: '',
      annotations: '',
      json: '',
      signature: '',
      attestation: '',
      'attestation-url': '',
    });
  });

  it('reports what the gate did', () => {
    expect(outputsFor({ ...pushedReport, gate: { tested: true, scanned: false } })).toMatchObject({ tested: 'true', scanned: 'false' });
  });

  it('writes empty strings and pushed=false when nothing happened', () => {
    expect(outputsFor(emptyReport)).toEqual({
      digest: '',
      imageid: '',
      metadata: '',
      tags: '',
      pushed: 'false',
      platforms: '',
      plan: '',
      tested: 'false',
      scanned: 'false',
      version: '',
      'tag-names': '',
      labels: '',
      annotations: '',
      json: '',
      signature: '',
      attestation: '',
      'attestation-url': '',
    });
  });

  it("writes the signature's digest when the image was signed", () => {
    expect(outputsFor({ ...pushedReport, signature: { digest: `sha256:${'5'.repeat(64)}`, serverUrl: 'https://github.com', repository: 'acme/app' } }).signature).toBe(`sha256:${'5'.repeat(64)}`);
  });

  it('has a value for every declared output', () => {
    expect(Object.keys(outputsFor(emptyReport)).sort()).toEqual([...OUTPUT_NAMES].sort());
  });
});

/** The image table: one record per row, keyed by the header. */
function table(markdown: string): Record<string, string>[] {
  const lines = markdown.split('\n').filter((line) => line.startsWith('| '));
  const cells = (line: string): string[] => line.slice(2, -2).split(' | ');
  const [header, , ...rows] = lines;
  const keys = cells(header ?? '');
  return rows.map((line) => Object.fromEntries(cells(line).map((cell, index) => [keys[index] ?? String(index), cell])));
}

/** The text of one `- **Key** …` line. */
function fact(markdown: string, key: string): string | undefined {
  const line = markdown.split('\n').find((candidate) => candidate.startsWith(`- **${key}** `));
  return line?.slice(`- **${key}** `.length);
}

/** Raw HTML tags outside code spans and fenced blocks: what a Markdown renderer would pass on as HTML. */
function htmlTags(markdown: string): string[] {
  const withoutFences = markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
  const withoutSpans = withoutFences.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
  return [...withoutSpans.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((match) => (match[1] ?? '').toLowerCase());
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const buildxOutput = (name: string): string => readFileSync(path.join(FIXTURES, 'buildx', name), 'utf8');

describe('renderSummary', () => {
  const full: Report = {
    ...pushedReport,
    sizes: { 'linux/amd64': 2_345_678, 'linux/arm64': 2_201_000 },
    cache: { mode: 'gha', reason: 'GitHub Actions cache, scope acme-app', cachedSteps: 3, totalSteps: 4 },
    githubOwner: { login: 'acme', type: 'Organization' },
  };

  it('renders a pushed build: one row per image, then one line per fact', () => {
    const markdown = renderSummary(full);
    expect(markdown.startsWith('### ✅ build-push: pushed\n\n| Image | Tags | Digest | Platforms | Size | Pushed |\n| --- | --- | --- | --- | --- | --- |\n')).toBe(true);
    expect(table(markdown)).toEqual([
      {
        Image: '[`ghcr.io/acme/app`](https://github.com/orgs/acme/packages/container/package/app)',
        Tags: '`1.2.3` `latest`',
        Digest: `<code title="${DIGEST}">sha256:8347c52bd405</code>`,
        Platforms: 'linux/amd64, linux/arm64',
        Size: 'amd64\u00a02.3\u00a0MB<br>arm64\u00a02.2\u00a0MB',
        Pushed: 'yes: event push pushes (push: auto); verified in the registry',
      },
    ]);
    expect(fact(markdown, 'Pull')).toBe(`\`docker pull ghcr.io/acme/app@${DIGEST}\``);
    expect(fact(markdown, 'Attestations')).toBe('2 attestation manifests (unknown/unknown): provenance/SBOM records of the build, not images to run');
    expect(fact(markdown, 'Cache')).toBe('gha: GitHub Actions cache, scope acme-app · 3 of 4 build steps cached');
    expect(fact(markdown, 'Duration')).toBe('48.9 s: inputs 1 ms · build 48.3 s · verify 612 ms');
    expect(fact(markdown, 'Builder')).toBe('build-push-1a2b3c4d (docker-container, created because builder &quot;default&quot; lacks linux/arm64)');
    expect(markdown).toContain(`<details><summary>Plan</summary>\n\n\`\`\`json\n${PLAN_TEXT}\n\`\`\`\n\n</details>`);
    expect(markdown.endsWith('\n')).toBe(true);
  });

  it("shows the cosign verify command of a signed image, for the workflow's repository", () => {
    const markdown = renderSummary({ ...full, signature: { digest: `sha256:${'5'.repeat(64)}`, serverUrl: 'https://github.com', repository: 'acme/app' } });
    expect(fact(markdown, 'Signed')).toBe(
      `verify with \`cosign verify ghcr.io/acme/app@${DIGEST} --certificate-identity-regexp '^https://github\\.com/acme/app/' --certificate-oidc-issuer https://token.actions.githubusercontent.com\``,
    );
    expect(fact(renderSummary(full), 'Signed')).toBeUndefined();
  });

  it('gives each image (registry and repository) its own row, link and pull line', () => {
    const markdown = renderSummary({ ...full, tags: ['ghcr.io/acme/app:1.2.3', 'acme/app:1.2.3', 'ghcr.io/acme/app:latest', '127.0.0.1:5000/e2e/app:1.2.3'] });
    expect(table(markdown).map((row) => [row.Image, row.Tags])).toEqual([
      ['[`ghcr.io/acme/app`](https://github.com/orgs/acme/packages/container/package/app)', '`1.2.3` `latest`'],
      ['[`acme/app`](https://hub.docker.com/r/acme/app/tags)', '`1.2.3`'],
      ['`127.0.0.1:5000/e2e/app`', '`1.2.3`'],
    ]);
    const pulls = markdown.split('\n').filter((line) => line.startsWith('- **Pull** '));
    expect(pulls).toEqual([`- **Pull** \`docker pull ghcr.io/acme/app@${DIGEST}\``, `- **Pull** \`docker pull acme/app@${DIGEST}\``, `- **Pull** \`docker pull 127.0.0.1:5000/e2e/app@${DIGEST}\``]);
  });

  it('shows images pushed by digest only (push-by-digest) with their pull line', () => {
    const markdown = renderSummary({ ...full, tags: [], pushedByDigest: ['ghcr.io/acme/app', '127.0.0.1:5000/e2e/app'], platforms: ['linux/arm64'], sizes: { 'linux/arm64': 2_201_000 } });
    expect(table(markdown).map((row) => [row.Image, row.Tags, row.Size])).toEqual([
      ['[`ghcr.io/acme/app`](https://github.com/orgs/acme/packages/container/package/app)', '(by digest only)', 'arm64\u00a02.2\u00a0MB'],
      ['`127.0.0.1:5000/e2e/app`', '(by digest only)', 'arm64\u00a02.2\u00a0MB'],
    ]);
    expect(markdown).toContain(`- **Pull** \`docker pull 127.0.0.1:5000/e2e/app@${DIGEST}\``);
  });

  it('shows a tag without a tag part as latest', () => {
    expect(table(renderSummary({ ...full, tags: ['ghcr.io/acme/app'] }))[0]?.Tags).toBe('`latest`');
  });

  it('leaves the size column out when sizes are unknown, and marks a platform without one', () => {
    expect(Object.keys(table(renderSummary(pushedReport))[0] ?? {})).toEqual(['Image', 'Tags', 'Digest', 'Platforms', 'Pushed']);
    expect(table(renderSummary({ ...full, sizes: { 'linux/amd64': 999 } }))[0]?.Size).toBe('amd64\u00a0999\u00a0B<br>arm64\u00a0?');
  });

  it('shows the full digest of an image that was built but not pushed', () => {
    const markdown = renderSummary({ ...pushedReport, pushed: false, pushDecision: { push: false, reason: 'event pull_request does not push (push: auto)' }, attestations: 0 });
    expect(markdown.startsWith('### ✅ build-push: built, not pushed\n')).toBe(true);
    expect(table(markdown)[0]?.Pushed).toBe('no: event pull_request does not push (push: auto)');
    expect(fact(markdown, 'Digest')).toBe(`\`${DIGEST}\``);
    expect(fact(markdown, 'Pull')).toBeUndefined();
    expect(fact(markdown, 'Attestations')).toBeUndefined();
  });

  it('renders a dry run with the decision it would have taken', () => {
    const markdown = renderSummary({
      ...emptyReport,
      dryRun: true,
      tags: ['ghcr.io/acme/app:pr-42'],
      platforms: ['linux/amd64'],
      pushDecision: { push: false, reason: 'event pull_request does not push (push: auto)' },
    });
    expect(markdown.startsWith('### build-push: dry run, nothing was built\n')).toBe(true);
    expect(table(markdown)[0]).toMatchObject({ Tags: '`pr-42`', Digest: '—', Platforms: 'linux/amd64', Pushed: 'no: dry run (would push: no, event pull_request does not push (push: auto))' });
  });

  it('renders a dry run that would push', () => {
    const markdown = renderSummary({ ...emptyReport, dryRun: true, pushDecision: { push: true, reason: 'input push is true' } });
    expect(table(markdown)[0]?.Pushed).toBe('no: dry run (would push: yes, input push is true)');
  });

  it.each<[string, Partial<Report>, string]>([
    ['a build that was not to be pushed', { pushDecision: { push: false, reason: 'input push is false' } }, 'no: input push is false'],
    ['a push that failed', { pushDecision: { push: true, reason: 'input push is true' }, failure: 'verify: the push could not be verified' }, 'no: the step failed before the push was verified'],
    ['a push that was not verified', { pushDecision: { push: true, reason: 'input push is true' } }, 'no: not verified'],
    ['a step that failed before deciding', { failure: 'inputs: bad' }, 'no: not decided'],
  ])('says why nothing was pushed: %s', (_, fields, pushed) => {
    expect(table(renderSummary({ ...emptyReport, ...fields }))[0]?.Pushed).toBe(pushed);
  });

  it('shows a failure in full, in a code block its text cannot close', () => {
    const failure = 'build: docker buildx build failed (exit code 1):\nERROR: a | b ``` </details><script>alert(1)</script>\nfailed to solve';
    const markdown = renderSummary({ ...emptyReport, failure });
    expect(markdown.startsWith(`### ❌ build-push failed\n\n\`\`\`\`text\n${failure}\n\`\`\`\`\n\n| Image |`)).toBe(true);
    expect(htmlTags(markdown)).toEqual([]);
  });

  it('says (no tags) without tags and leaves out the optional lines', () => {
    const markdown = renderSummary(emptyReport);
    expect(table(markdown)).toEqual([{ Image: '(no tags)', Tags: '—', Digest: '—', Platforms: '—', Pushed: 'no: not decided' }]);
    for (const key of ['Pull', 'Digest', 'Version', 'Attestations', 'Cache', 'Builder', 'Gate']) expect(fact(markdown, key), key).toBeUndefined();
    expect(fact(markdown, 'Duration')).toBe('0 ms');
    expect(markdown).not.toContain('<summary>Plan</summary>');
  });

  it('marks failed phases', () => {
    const markdown = renderSummary({
      ...emptyReport,
      phases: [
        { name: 'inputs', milliseconds: 3, ok: true },
        { name: 'login', milliseconds: 2500, ok: false },
      ],
    });
    expect(fact(markdown, 'Duration')).toBe('2.5 s: inputs 3 ms · ❌ login 2.5 s (failed)');
  });

  it.each<[string, Report['cache'], string]>([
    [
      'steps counted',
      { mode: 'registry', reason: 'registry cache ghcr.io/acme/app:buildcache', cachedSteps: 0, totalSteps: 6 },
      'registry: registry cache ghcr.io/acme/app:buildcache · 0 of 6 build steps cached',
    ],
    ['no steps ran', { mode: 'none', cachedSteps: 0, totalSteps: 0 }, 'none · no build steps ran'],
    ['steps not known', { mode: 'none', reason: 'no cache: the GitHub cache service is not available to this job' }, 'none: no cache: the GitHub cache service is not available to this job'],
  ])('describes the cache: %s', (_, cache, line) => {
    expect(fact(renderSummary({ ...emptyReport, ...(cache ? { cache } : {}) }), 'Cache')).toBe(line);
  });

  it('says what the gate did', () => {
    expect(fact(renderSummary({ ...pushedReport, gate: { tested: true, scanned: true } }), 'Gate')).toBe("tested and scanned; the pushed digest is the gated image's");
    const failed = renderSummary({ ...emptyReport, failure: 'gate: the test failed', gate: { tested: false, scanned: false, failureOutput: 'FAIL: 2 tests' } });
    expect(fact(failed, 'Gate')).toBe('not passed');
    expect(failed).toContain('**Gate output (last lines)**\n\n```text\nFAIL: 2 tests\n```');
  });

  it('shows the version metadata-action computed', () => {
    const tagging = { version: { main: '1.2.3', partial: [], latest: true } } as unknown as NonNullable<Report['tagging']>;
    expect(fact(renderSummary({ ...pushedReport, tagging }), 'Version')).toBe('`1.2.3`');
  });

  it('cannot be broken out of a code span by a backtick or a pipe', () => {
    const markdown = renderSummary({ ...emptyReport, tags: ['a`b|c'] });
    expect(table(markdown)[0]?.Image).toBe('``a`b\\|c``');
  });

  it('lets no user-controlled text through as HTML or Markdown', () => {
    const evil = '<img src=x onerror=alert(1)> [x](javascript:alert(1)) **b** | `c` </details>';
    const markdown = renderSummary({
      ...full,
      tags: ['ghcr.io/acme/app:<script>alert(1)</script>'],
      builder: evil,
      pushDecision: { push: true, reason: evil },
      cache: { mode: 'gha', reason: evil },
      phases: [{ name: evil, milliseconds: 1, ok: true }],
      gate: { tested: false, scanned: false, failureOutput: evil },
      planText: `${evil}\n\`\`\`\n</details>`,
    });
    // Only the tags the summary itself writes reach the renderer as HTML.
    expect([...new Set(htmlTags(markdown))].sort()).toEqual(['br', 'code', 'details', 'summary']);
    expect(fact(markdown, 'Builder')).toBe('&lt;img src=x onerror=alert(1)&gt; \\[x\\](javascript:alert(1)) \\*\\*b\\*\\* \\| \\`c\\` &lt;/details&gt;');
    // The table still has exactly its six columns.
    expect(Object.keys(table(markdown)[0] ?? {})).toHaveLength(6);
  });
});

describe('registryPageUrl', () => {
  it.each<[string, string | undefined]>([
    ['ghcr.io/acme/app:1.0.0', 'https://ghcr.io/acme/app'],
    ['ghcr.io/acme/tools/app', 'https://ghcr.io/acme/tools/app'],
    ['ghcr.io/acme', undefined],
    ['acme/app:1.0.0', 'https://hub.docker.com/r/acme/app/tags'],
    ['docker.io/acme/app', 'https://hub.docker.com/r/acme/app/tags'],
    ['index.docker.io/acme/app:1', 'https://hub.docker.com/r/acme/app/tags'],
    ['nginx:1.27', 'https://hub.docker.com/_/nginx/tags'],
    ['docker.io/library/nginx', 'https://hub.docker.com/_/nginx/tags'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1', 'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/team/app?region=eu-west-1'],
    ['123456789012.dkr-ecr.us-east-2.on.aws/app', 'https://us-east-2.console.aws.amazon.com/ecr/repositories/private/123456789012/app?region=us-east-2'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app', 'https://cn-north-1.console.amazonaws.cn/ecr/repositories/private/123456789012/app?region=cn-north-1'],
    ['123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/app', 'https://console.amazonaws-us-gov.com/ecr/repositories/private/123456789012/app?region=us-gov-west-1'],
    ['public.ecr.aws/acme/app:1', 'https://gallery.ecr.aws/acme/app'],
    ['europe-west1-docker.pkg.dev/my-project/images/app:1', 'https://console.cloud.google.com/artifacts/docker/my-project/europe-west1/images/app?project=my-project'],
    ['us-docker.pkg.dev/my-project/images/team/app', 'https://console.cloud.google.com/artifacts/docker/my-project/us/images/team%2Fapp?project=my-project'],
    ['us-docker.pkg.dev/my-project/app', undefined],
    ['127.0.0.1:5000/e2e/app:1', undefined],
    ['quay.io/acme/app', undefined],
    ['Not A Reference', undefined],
  ])('%s → %s', (reference, url) => {
    expect(registryPageUrl(reference)).toBe(url);
  });

  it('links GHCR to the organization or user package page when the owner is known', () => {
    expect(registryPageUrl('ghcr.io/acme/app:1', [{ login: 'Acme', type: 'Organization' }])).toBe('https://github.com/orgs/Acme/packages/container/package/app');
    expect(registryPageUrl('ghcr.io/octocat/tools/app', [{ login: 'octocat', type: 'User' }])).toBe('https://github.com/users/octocat/packages/container/package/tools%2Fapp');
    expect(registryPageUrl('ghcr.io/other/app', [{ login: 'acme', type: 'Organization' }])).toBe('https://ghcr.io/other/app');
    expect(registryPageUrl('ghcr.io/acme/app', [{ login: 'acme', type: 'Bot' }])).toBe('https://ghcr.io/acme/app');
  });

  it('takes a parsed reference too', () => {
    expect(registryPageUrl({ full: 'acme/app:1', registry: 'docker.io', repository: 'acme/app', tag: '1' })).toBe('https://hub.docker.com/r/acme/app/tags');
  });
});

describe('platformSizes', () => {
  const amd = 'sha256:' + 'a'.repeat(64);
  const arm = 'sha256:' + 'b'.repeat(64);
  const attestation = 'sha256:' + 'c'.repeat(64);
  const index = JSON.stringify({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { digest: amd, size: 480, platform: { os: 'linux', architecture: 'amd64' } },
      { digest: arm, size: 480, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      {
        digest: attestation,
        size: 566,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd },
      },
    ],
  });
  const image = (...layers: number[]): string => JSON.stringify({ config: { size: 1469 }, layers: layers.map((size) => ({ size })) });

  it('lists the image manifests by platform, without attestations', () => {
    expect(platformManifestDigests(index)).toEqual([
      { platform: 'linux/amd64', digest: amd },
      { platform: 'linux/arm64/v8', digest: arm },
    ]);
    expect(platformManifestDigests(image(1))).toEqual([]);
  });

  it('sums the layer sizes of each platform (not the config, not attestations)', () => {
    expect(platformSizes(index, { [amd]: image(2_000_000, 345_678), [arm]: JSON.parse(image(2_201_000)) as object, [attestation]: image(9) })).toEqual({
      'linux/amd64': 2_345_678,
      'linux/arm64/v8': 2_201_000,
    });
  });

  it('leaves out platforms whose manifest was not read', () => {
    expect(platformSizes(index, { [amd]: image(10) })).toEqual({ 'linux/amd64': 10 });
  });

  it('reads a single-platform push, which is the image manifest itself', () => {
    expect(platformSizes(image(5, 6), {}, 'linux/amd64')).toEqual({ 'linux/amd64': 11 });
    expect(platformSizes(image(5, 6), {})).toEqual({});
  });
});

describe('cacheStats (real buildx output)', () => {
  it.each([
    ['build-ok-cached.txt', { cachedSteps: 4, totalSteps: 4 }],
    ['build-partly-cached.txt', { cachedSteps: 2, totalSteps: 6 }],
    ['run-exit-3.txt', { cachedSteps: 0, totalSteps: 1 }],
    ['syntax-error.txt', { cachedSteps: 0, totalSteps: 0 }],
  ])('%s', (fixture, stats) => {
    expect(cacheStats(buildxOutput(fixture))).toEqual(stats);
  });

  it('counts a step once however often buildx prints it, and not FROM or internal steps', () => {
    const output = [
      '#1 [internal] load build definition from Dockerfile',
      '#1 CACHED',
      '#4 [1/2] FROM docker.io/library/busybox',
      '#4 CACHED',
      '#5 [2/2] RUN true',
      '#5 CACHED',
      '#5 [2/2] RUN true',
      '#5 CACHED',
    ].join('\r\n');
    expect(cacheStats(output)).toEqual({ cachedSteps: 1, totalSteps: 1 });
  });
});

describe('formatting helpers', () => {
  it('shortens digests as docker does', () => {
    expect(shortDigest(DIGEST)).toBe('sha256:8347c52bd405');
    expect(shortDigest('not-a-digest')).toBe('not-a-digest');
  });

  it.each([
    ['plain', '`plain`'],
    ['a`b', '``a`b``'],
    ['`edge`', '`` `edge` ``'],
    ['a|b', '`a\\|b`'],
    ['two\nlines', '`two lines`'],
  ])('codeSpan(%j) → %s', (text, span) => {
    expect(codeSpan(text)).toBe(span);
  });

  it('escapes Markdown and HTML in inline text', () => {
    expect(escapeMarkdown('<b>x</b> & *y* _z_ [l](u) `c` | ~s~ \\ pull_request __init__')).toBe(
      '&lt;b&gt;x&lt;/b&gt; &amp; \\*y\\* \\_z\\_ \\[l\\](u) \\`c\\` \\| \\~s\\~ \\\\ pull_request \\_\\_init\\_\\_',
    );
    expect(escapeHtml(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;');
  });

  it('makes a fence longer than any backtick run in the text', () => {
    expect(fencedBlock('a ```` b')).toEqual(['`````text', 'a ```` b', '`````']);
    expect(fencedBlock('{}', 'json')).toEqual(['```json', '{}', '```']);
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
