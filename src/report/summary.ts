import { formatBytes } from '../format.js';
import type { Plan } from '../plan/plan.js';
import { parseEcrHost, ECR_PUBLIC } from '../registries/ecr.js';
import { GAR_HOST } from '../registries/gar.js';
import { GHCR } from '../registries/ghcr.js';
import { metadataOutputs, type Metadata } from '../tags/metadata.js';
import { DOCKER_HUB, parseImageReference, type ImageReference } from '../tags/reference.js';
import { imageEntries } from '../oci/model.js';
import * as core from '@actions/core';
import type { Env } from '../plan/context.js';
import { metadataEnvironment, outputVariables } from '../tags/environment.js';

/** The plan as users read it in the log, the `plan` output and the summary (the plan holds no secrets). */
export function describePlan(plan: Plan): string {
  return JSON.stringify(
    {
      push: plan.push,
      tags: plan.tags,
      platforms: plan.platforms,
      emulate: plan.emulate,
      registries: plan.registries,
      ...(plan.untrustedCode ? { untrustedCode: plan.untrustedCode } : {}),
      builder: {
        ...(plan.builder.requested ? { requested: plan.builder.requested } : {}),
        // Each need is met by the docker driver only on the containerd image store; else a docker-container builder is made.
        needs: plan.builder.needs.map((need) => `${need.feature} (${need.why})`),
      },
      buildx: ['docker', ...plan.buildArgs],
      ...(plan.signing
        ? { [[plan.signing.sign ? 'sign' : '', plan.signing.attest ? 'attest' : ''].filter(Boolean).join(' + ')]: plan.push.push ? plan.signing.endpoints : 'nothing is pushed, so nothing is signed' }
        : {}),
      ...(plan.engineBuildArgs ? { dockerDriverOnContainerdStore: 'with buildx before 0.22: --load instead of --push, then docker push of each tag (one push instead of two; see README)' } : {}),
    },
    null,
    2,
  );
}

export interface PhaseTiming {
  readonly name: string;
  readonly milliseconds: number;
  readonly ok: boolean;
}

/** What happened, as far as it got: the source of outputs, summary and final log line. */
export interface Report {
  readonly dryRun: boolean;
  readonly tags: readonly string[];
  readonly platforms: readonly string[];
  readonly pushDecision?: { readonly push: boolean; readonly reason: string };
  /** True only after the pushed index was read back and matched. */
  readonly pushed: boolean;
  readonly digest: string;
  readonly imageId: string;
  /** Raw buildx metadata file content (JSON), empty when no build ran. */
  readonly metadata: string;
  readonly builder?: string;
  readonly attestations?: number;
  readonly phases: readonly PhaseTiming[];
  readonly failure?: string;
  readonly planText?: string;
  /** docker/metadata-action's results, when `images` is set. */
  readonly tagging?: Metadata;
  readonly separators?: { readonly tags: string; readonly labels: string; readonly annotations: string };
  /** What the gate did, when `test` or `scan` is set. */
  readonly gate?: { readonly tested: boolean; readonly scanned: boolean; readonly failureOutput?: string };
  /** Compressed size (sum of layer sizes) of each platform's image as pushed: platformSizes(). */
  readonly sizes?: Readonly<Record<string, number>>;
  /** The cache the build used (the plan's mode and reason) and what buildx took from it: cacheStats(). */
  readonly cache?: { readonly mode: string; readonly reason?: string; readonly cachedSteps?: number; readonly totalSteps?: number };
  /** The workflow repository's owner (event payload `repository.owner`), for exact GHCR package links. */
  readonly githubOwner?: GitHubOwner;
  /** push-by-digest: `registry/repository` of each image pushed by digest only, without tags. */
  readonly pushedByDigest?: readonly string[];
  /** `sign`: the signature stored next to the image, and the workflow identity it was made with. */
  readonly signature?: { readonly digest: string; readonly serverUrl: string; readonly repository: string };
  /** `attest`: the provenance stored next to the image, its page on GitHub, and the workflow's repository. */
  readonly attestation?: { readonly digest: string; readonly url: string; readonly repository: string };
}

export const OUTPUT_NAMES = [
  'digest',
  'imageid',
  'metadata',
  'tags',
  'pushed',
  'platforms',
  'plan',
  'tested',
  'scanned',
  'version',
  'tag-names',
  'labels',
  'annotations',
  'json',
  'signature',
  'attestation',
  'attestation-url',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export function outputsFor(report: Report): Record<OutputName, string> {
  const separators = report.separators ?? { tags: '\n', labels: '\n', annotations: '\n' };
  const tagging = report.tagging ? metadataOutputs(report.tagging, separators) : undefined;
  return {
    digest: report.digest,
    imageid: report.imageId,
    metadata: report.metadata,
    // Without images, metadata-action's tags output holds the bare tag names.
    tags: (report.tagging && report.tagging.imageNames.length === 0 ? report.tagging.tags : report.tags).join(separators.tags),
    pushed: String(report.pushed),
    platforms: report.platforms.join(','),
    plan: report.planText ?? '',
    tested: String(report.gate?.tested ?? false),
    scanned: String(report.gate?.scanned ?? false),
    version: tagging?.version ?? '',
    'tag-names': tagging?.tagNames ?? '',
    labels: tagging?.labels ?? '',
    annotations: tagging?.annotations ?? '',
    json: tagging?.json ?? '',
    signature: report.signature?.digest ?? '',
    attestation: report.attestation?.digest ?? '',
    'attestation-url': report.attestation?.url ?? '',
  };
}

// ---------------------------------------------------------------------------
// Escaping. Everything a user or a tool controls (tags, reasons, errors, the builder's
// description, gate output) goes through one of these, so it cannot inject HTML or
// Markdown (a tag or branch name like `<img onerror=…>` shows as text).

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML (attribute values and element content). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/**
 * Inline Markdown text on one line (table cells, list items): no HTML, no emphasis, links,
 * code or table breaks. An underscore inside a word (`pull_request`) cannot start emphasis
 * in GitHub's Markdown, so it stays as it is and the raw text stays readable.
 */
export function escapeMarkdown(text: string): string {
  return escapeHtml(text.replace(/\r\n|\r|\n/g, ' '))
    .replace(/[\\`*[\]|~]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_');
}

/** A code span that no backtick, pipe or line break in `text` can end early; `inTable` escapes pipes as GFM tables need. */
export function codeSpan(text: string, inTable = true): string {
  let flat = text.replace(/\r\n|\r|\n/g, ' ');
  if (inTable) flat = flat.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ') && flat.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block that the text cannot close (the fence is longer than any backtick run in it). */
export function fencedBlock(text: string, language = 'text'): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${language}`, text.replace(/\r\n|\r/g, '\n'), fence];
}

// ---------------------------------------------------------------------------
// Registry pages.

/** The owner of the workflow's repository (event payload `repository.owner`): login and `Organization` or `User`. */
export interface GitHubOwner {
  readonly login: string;
  readonly type: string;
}

function toReference(reference: string | ImageReference): ImageReference | undefined {
  if (typeof reference !== 'string') return reference;
  try {
    return parseImageReference(reference, 'tags', 'ghcr.io/acme/app:1.0.0');
  } catch {
    return undefined;
  }
}

const joinSegments = (segments: readonly string[]): string => segments.map(encodeURIComponent).join('/');

/**
 * The web page of an image's repository, for GHCR, Docker Hub, ECR (private and public)
 * and Google Artifact Registry; undefined for other registries.
 *
 * GHCR: GitHub's package page is `github.com/orgs/OWNER/…` for organizations and
 * `github.com/users/OWNER/…` for users, and the image name alone does not say which.
 * When `owners` says (the event payload's repository owner), that page is linked (it also
 * works for private packages once signed in); otherwise `https://ghcr.io/OWNER/NAME`,
 * which GitHub redirects to the package page of either kind.
 */
export function registryPageUrl(reference: string | ImageReference, owners: readonly GitHubOwner[] = []): string | undefined {
  const ref = toReference(reference);
  if (!ref) return undefined;
  const segments = ref.repository.split('/');
  if (ref.registry === GHCR) {
    const [owner, ...rest] = segments;
    if (!owner || rest.length === 0) return undefined;
    const known = owners.find((candidate) => candidate.login.toLowerCase() === owner);
    const kind = known?.type === 'Organization' ? 'orgs' : known?.type === 'User' ? 'users' : undefined;
    const name = encodeURIComponent(rest.join('/'));
    return kind ? `https://github.com/${kind}/${encodeURIComponent(known?.login ?? owner)}/packages/container/package/${name}` : `https://ghcr.io/${joinSegments(segments)}`;
  }
  if (ref.registry === DOCKER_HUB) {
    if (segments.length === 1 || (segments.length === 2 && segments[0] === 'library')) return `https://hub.docker.com/_/${joinSegments(segments.slice(-1))}/tags`;
    return segments.length === 2 ? `https://hub.docker.com/r/${joinSegments(segments)}/tags` : undefined;
  }
  if (ref.registry === ECR_PUBLIC) {
    return segments.length >= 2 ? `https://gallery.ecr.aws/${joinSegments(segments)}` : undefined;
  }
  const ecr = parseEcrHost(ref.registry);
  if (ecr) {
    const region = encodeURIComponent(ecr.region);
    const consoleUrl = ref.registry.endsWith('.amazonaws.com.cn')
      ? `https://${region}.console.amazonaws.cn`
      : ecr.region.startsWith('us-gov-')
        ? 'https://console.amazonaws-us-gov.com'
        : /\.amazonaws\.com$|\.on\.aws$/.test(ref.registry)
          ? `https://${region}.console.aws.amazon.com`
          : undefined;
    return consoleUrl ? `${consoleUrl}/ecr/repositories/private/${ecr.accountId}/${joinSegments(segments)}?region=${region}` : undefined;
  }
  const gar = GAR_HOST.exec(ref.registry);
  if (gar?.[1]) {
    const [project, repository, ...image] = segments;
    if (!project || !repository || image.length === 0) return undefined;
    return `https://console.cloud.google.com/artifacts/docker/${joinSegments([project, gar[1], repository])}/${encodeURIComponent(image.join('/'))}?project=${encodeURIComponent(project)}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Facts the summary shows that other phases collect: sizes (verify) and cache hits (build).

interface Descriptor {
  readonly digest?: string;
  readonly size?: number;
  readonly platform?: { os?: string; architecture?: string; variant?: string };
  readonly annotations?: Record<string, string>;
}

interface ManifestDocument {
  readonly manifests?: Descriptor[];
  readonly layers?: Descriptor[];
}

function document(raw: string | object): ManifestDocument {
  return (typeof raw === 'string' ? JSON.parse(raw) : raw) as ManifestDocument;
}

/** The image manifests of an index, by platform (attestation manifests left out). */
export function platformManifestDigests(index: string | object): { platform: string; digest: string }[] {
  const entries = document(index).manifests;
  if (!Array.isArray(entries)) return [];
  return imageEntries(entries).map(({ platform, digest }) => ({ platform, digest }));
}

function layerBytes(manifest: ManifestDocument): number | undefined {
  if (!Array.isArray(manifest.layers)) return undefined;
  return manifest.layers.reduce((sum, layer) => sum + (typeof layer.size === 'number' ? layer.size : 0), 0);
}

/**
 * Compressed size per platform (the sum of its layer sizes, what a pull downloads), from
 * the pushed index and its platform manifests keyed by digest (raw JSON or parsed).
 * For a single-platform push `index` is the image manifest itself: name its platform.
 */
export function platformSizes(index: string | object, manifests: Readonly<Record<string, string | object>>, singlePlatform?: string): Record<string, number> {
  const sizes: Record<string, number> = {};
  const top = document(index);
  if (!Array.isArray(top.manifests)) {
    const bytes = layerBytes(top);
    if (singlePlatform && bytes !== undefined) sizes[singlePlatform] = bytes;
    return sizes;
  }
  for (const { platform, digest } of platformManifestDigests(top)) {
    const raw = manifests[digest];
    const bytes = raw === undefined ? undefined : layerBytes(document(raw));
    if (bytes !== undefined) sizes[platform] = bytes;
  }
  return sizes;
}

const STEP_VERTEX = /^#(\d+) \[(?:[^\]]*\s)?\d+\/\d+\] (\S+)/;

/**
 * Dockerfile steps buildx ran and how many came from the cache (`#N CACHED`), counted
 * per platform. FROM is left out: buildx reports a base image as CACHED or not by
 * whether the builder already had it, which says nothing about the build cache.
 */
export function cacheStats(buildxOutput: string): { cachedSteps: number; totalSteps: number } {
  const steps = new Set<string>();
  const cached = new Set<string>();
  for (const line of buildxOutput.split(/\r?\n/)) {
    const step = STEP_VERTEX.exec(line);
    if (step?.[1] && step[2]?.toUpperCase() !== 'FROM') steps.add(step[1]);
    const hit = /^#(\d+) CACHED\s*$/.exec(line);
    if (hit?.[1]) cached.add(hit[1]);
  }
  return { cachedSteps: [...cached].filter((vertex) => steps.has(vertex)).length, totalSteps: steps.size };
}

// ---------------------------------------------------------------------------
// The summary.

/** `sha256:` and the first 12 hex digits, as docker shows image IDs. */
export function shortDigest(digest: string): string {
  const match = /^([a-z0-9]+):([0-9a-f]{12})[0-9a-f]*$/.exec(digest);
  return match ? `${match[1]}:${match[2]}` : digest;
}

interface ImageGroup {
  /** The image name as the user wrote it (without the tag). */
  readonly name: string;
  readonly reference?: ImageReference;
  readonly tags: string[];
}

/** The tags grouped by image (registry + repository), in the order first seen; images pushed by digest only have no tags. */
function imageGroups(tags: readonly string[], byDigest: readonly string[] = []): ImageGroup[] {
  const groups = new Map<string, ImageGroup>();
  for (const name of tags.length ? [] : byDigest) {
    const reference = toReference(name);
    groups.set(name, { name, ...(reference ? { reference } : {}), tags: [] });
  }
  for (const full of tags) {
    const reference = toReference(full);
    const tag = reference?.tag ?? (reference ? 'latest' : '');
    const name = reference?.tag ? full.slice(0, -(reference.tag.length + 1)) : full;
    const key = reference ? `${reference.registry}/${reference.repository}` : full;
    const group = groups.get(key) ?? { name, ...(reference ? { reference } : {}), tags: [] };
    if (tag && !group.tags.includes(tag)) group.tags.push(tag);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function pushedCell(report: Report): string {
  const reason = escapeMarkdown(report.pushDecision?.reason ?? '');
  if (report.pushed) return `yes: ${reason}; verified in the registry`;
  if (report.dryRun) return `no: dry run (would push: ${report.pushDecision?.push ? 'yes' : 'no'}, ${reason})`;
  if (report.pushDecision?.push) return `no: ${report.failure ? 'the step failed before the push was verified' : 'not verified'}`;
  return `no: ${report.pushDecision ? reason : 'not decided'}`;
}

function platformLabel(platform: string): string {
  return escapeMarkdown(platform.startsWith('linux/') ? platform.slice('linux/'.length) : platform);
}

function headline(report: Report): string {
  if (report.failure) return '### ❌ build-push failed';
  if (report.dryRun) return '### build-push: dry run, nothing was built';
  return report.pushed ? '### ✅ build-push: pushed' : '### ✅ build-push: built, not pushed';
}

/** The table: one row per image (registry + repository) with its tags. */
function imageTable(report: Report): string[] {
  const sizes = report.sizes && Object.keys(report.sizes).length > 0 ? report.sizes : undefined;
  const digest = report.digest ? `<code title="${escapeHtml(report.digest)}">${escapeHtml(shortDigest(report.digest))}</code>` : '—';
  const platforms = report.platforms.length ? report.platforms.map(escapeMarkdown).join(', ') : '—';
  // Non-breaking spaces keep `amd64 2.3 MB` on one line in a narrow column.
  const size = sizes ? report.platforms.map((platform) => `${platformLabel(platform)} ${sizes[platform] === undefined ? '?' : formatBytes(sizes[platform])}`.replace(/ /g, '\u00a0')).join('<br>') : '';
  const pushed = pushedCell(report);
  const groups = imageGroups(report.tags, report.pushedByDigest);
  const rows = (groups.length ? groups : [{ name: '', tags: [] } as ImageGroup]).map((group) => {
    const url = group.reference ? registryPageUrl(group.reference, report.githubOwner ? [report.githubOwner] : []) : undefined;
    const image = group.name ? (url ? `[${codeSpan(group.name)}](${url})` : codeSpan(group.name)) : '(no tags)';
    const tags = group.tags.length ? group.tags.map((tag) => codeSpan(tag)).join(' ') : report.pushedByDigest?.length ? '(by digest only)' : '—';
    return [image, tags, digest, platforms, ...(sizes ? [size] : []), pushed];
  });
  const header = ['Image', 'Tags', 'Digest', 'Platforms', ...(sizes ? ['Size'] : []), 'Pushed'];
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((cells) => `| ${cells.join(' | ')} |`)];
}

function cacheLine(cache: NonNullable<Report['cache']>): string {
  const hits = cache.totalSteps === undefined ? '' : cache.totalSteps === 0 ? 'no build steps ran' : `${cache.cachedSteps ?? 0} of ${cache.totalSteps} build steps cached`;
  const how = [escapeMarkdown(cache.mode), ...(cache.reason ? [escapeMarkdown(cache.reason)] : [])].join(': ');
  return `**Cache** ${[how, hits].filter(Boolean).join(' · ')}`;
}

function durationLine(phases: readonly PhaseTiming[]): string {
  const total = phases.reduce((sum, phase) => sum + phase.milliseconds, 0);
  const each = phases.map((phase) => `${phase.ok ? '' : '❌ '}${escapeMarkdown(phase.name)} ${formatDuration(phase.milliseconds)}${phase.ok ? '' : ' (failed)'}`);
  return `**Duration** ${formatDuration(total)}${each.length ? `: ${each.join(' · ')}` : ''}`;
}

/** The job summary, as Markdown: a headline, one table row per image, then one line per fact. */
export function renderSummary(report: Report): string {
  const facts: string[] = [];
  const groups = imageGroups(report.tags, report.pushedByDigest);
  if (report.pushed && report.digest) {
    for (const group of groups) facts.push(`**Pull** ${codeSpan(`docker pull ${group.name}@${report.digest}`, false)}`);
  } else if (report.digest) {
    facts.push(`**Digest** ${codeSpan(report.digest, false)}`);
  }
  if (report.signature && report.pushed) {
    for (const group of groups) facts.push(`**Signed** verify with ${codeSpan(cosignVerifyCommand(`${group.name}@${report.digest}`, report.signature.serverUrl, report.signature.repository), false)}`);
  }
  if (report.attestation && report.pushed) {
    const { url, repository } = report.attestation;
    for (const group of groups) facts.push(`**Provenance** [attestation](${url}); verify with ${codeSpan(`gh attestation verify oci://${group.name}@${report.digest} --repo ${repository}`, false)}`);
  }
  if (report.tagging?.version.main) facts.push(`**Version** ${codeSpan(report.tagging.version.main, false)}`);
  if (report.attestations) {
    const count = report.attestations;
    facts.push(`**Attestations** ${count} attestation manifest${count === 1 ? '' : 's'} (unknown/unknown): provenance/SBOM records of the build, not images to run`);
  }
  if (report.cache) facts.push(cacheLine(report.cache));
  facts.push(durationLine(report.phases));
  if (report.builder) facts.push(`**Builder** ${escapeMarkdown(report.builder)}`);
  if (report.gate) {
    const gate = report.gate;
    const done = [gate.tested ? 'tested' : '', gate.scanned ? 'scanned' : ''].filter(Boolean).join(' and ') || 'not passed';
    facts.push(`**Gate** ${done}${report.pushed ? "; the pushed digest is the gated image's" : ''}`);
  }
  return [
    headline(report),
    '',
    ...(report.failure ? [...fencedBlock(report.failure), ''] : []),
    ...imageTable(report),
    '',
    ...facts.map((fact) => `- ${fact}`),
    ...(report.gate?.failureOutput ? ['', '**Gate output (last lines)**', '', ...fencedBlock(report.gate.failureOutput)] : []),
    ...(report.planText ? ['', '<details><summary>Plan</summary>', '', ...fencedBlock(report.planText, 'json'), '', '</details>'] : []),
    '',
  ].join('\n');
}

export function formatDuration(milliseconds: number): string {
  const rounded = Math.round(milliseconds);
  return rounded < 1000 ? `${rounded} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}

/** The outputs metadata-action also exports as DOCKER_METADATA_OUTPUT_* for later steps (unless DOCKER_METADATA_SET_OUTPUT_ENV is false). */
export const METADATA_OUTPUT_NAMES = ['version', 'tags', 'tag-names', 'labels', 'annotations', 'json'] as const;

export function metadataVariables(report: Report, env: Env): Record<string, string> {
  if (!report.tagging || !metadataEnvironment(env).setOutputEnv) return {};
  const outputs = outputsFor(report);
  return outputVariables(Object.fromEntries(METADATA_OUTPUT_NAMES.map((name) => [name, outputs[name]])));
}

/** Writes outputs and the job summary. Never throws: a summary problem must not hide the real result. */
export async function publish(report: Report): Promise<void> {
  try {
    for (const [name, value] of Object.entries(outputsFor(report))) core.setOutput(name, value);
    for (const [name, value] of Object.entries(metadataVariables(report, process.env))) core.exportVariable(name, value);
  } catch (error) {
    core.setFailed(`could not write the step outputs: ${String(error)}`);
  }
  try {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderSummary(report)).write();
  } catch (error) {
    core.warning(`could not write the job summary: ${String(error)}`);
  }
}

/**
 * The `cosign verify` that checks a signature of this workflow's repository: the certificate's
 * identity is `<server>/<owner>/<repo>/.github/workflows/<file>@<ref>` (any workflow of the
 * repository matches), its issuer GitHub's OIDC provider.
 */
export function cosignVerifyCommand(image: string, serverUrl: string, repository: string): string {
  const server = serverUrl.replace(/\/+$/, '') || 'https://github.com';
  const escaped = `${server}/${repository}/`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const host = new URL(server).hostname;
  const issuer = host === 'github.com' ? '--certificate-oidc-issuer https://token.actions.githubusercontent.com' : `--certificate-oidc-issuer-regexp '^https://token\\.actions\\.'`;
  return `cosign verify ${image} --certificate-identity-regexp '^${escaped}' ${issuer}`;
}
