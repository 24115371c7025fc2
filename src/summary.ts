import type { Plan } from './plan.js';
import { metadataOutputs, type Metadata } from './tags/metadata.js';
import * as core from './runner.js';

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
      buildx: ['docker', ...plan.buildArgs],
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
}

export const OUTPUT_NAMES = ['digest', 'imageid', 'metadata', 'tags', 'pushed', 'platforms', 'plan', 'tested', 'scanned', 'version', 'labels', 'annotations', 'json'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export function outputsFor(report: Report): Record<OutputName, string> {
  const separators = report.separators ?? { tags: '\n', labels: '\n', annotations: '\n' };
  const tagging = report.tagging ? metadataOutputs(report.tagging, separators) : undefined;
  return {
    digest: report.digest,
    imageid: report.imageId,
    metadata: report.metadata,
    tags: report.tags.join(separators.tags),
    pushed: String(report.pushed),
    platforms: report.platforms.join(','),
    plan: report.planText ?? '',
    tested: String(report.gate?.tested ?? false),
    scanned: String(report.gate?.scanned ?? false),
    version: tagging?.version ?? '',
    labels: tagging?.labels ?? '',
    annotations: tagging?.annotations ?? '',
    json: tagging?.json ?? '',
  };
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function pushedCell(report: Report): string {
  if (report.pushed) return `yes (${escapeCell(report.pushDecision?.reason ?? '')}; verified in the registry)`;
  if (report.dryRun) return `no: dry run (would push: ${report.pushDecision?.push ? 'yes' : 'no'}, ${escapeCell(report.pushDecision?.reason ?? '')})`;
  if (report.pushDecision?.push) return `no: ${report.failure ? 'the step failed before the push was verified' : 'not verified'}`;
  return `no: ${escapeCell(report.pushDecision?.reason ?? 'not decided')}`;
}

/** The job summary, as Markdown. */
export function renderSummary(report: Report): string {
  const rows: [string, string][] = [
    ...(report.tagging?.version.main ? ([['Version', code(report.tagging.version.main)]] as [string, string][]) : []),
    ['Result', report.failure ? `❌ ${escapeCell(report.failure)}` : report.dryRun ? 'dry run: nothing was built' : '✅ built'],
    ['Tags', report.tags.length ? report.tags.map(code).join('<br>') : '(none)'],
    ['Platforms', report.platforms.join(', ')],
    ['Pushed', pushedCell(report)],
  ];
  if (report.digest) rows.push(['Digest', code(report.digest)]);
  if (report.attestations) rows.push(['Attestations', `${report.attestations} attestation manifest(s) (shown by registries as unknown/unknown)`]);
  if (report.builder) rows.push(['Builder', escapeCell(report.builder)]);
  if (report.gate) {
    const gate = report.gate;
    const done = [gate.tested ? 'tested' : '', gate.scanned ? 'scanned' : ''].filter(Boolean).join(' and ') || 'not passed';
    rows.push(['Gate', `${done}${report.pushed ? '; the pushed digest is the gated image\'s' : ''}`]);
  }
  const total = report.phases.reduce((sum, phase) => sum + phase.milliseconds, 0);
  const phases = report.phases.map((phase) => `| ${phase.name} | ${formatDuration(phase.milliseconds)} | ${phase.ok ? 'ok' : 'failed'} |`);
  return [
    '### build-push',
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([key, value]) => `| ${key} | ${value} |`),
    '',
    '<details><summary>Phases (' + formatDuration(total) + ')</summary>',
    '',
    '| Phase | Duration | |',
    '| --- | ---: | --- |',
    ...phases,
    '',
    '</details>',
    ...(report.gate?.failureOutput ? ['', '**Gate output (last lines)**', '', '```text', report.gate.failureOutput, '```'] : []),
    ...(report.planText ? ['', '<details><summary>Plan</summary>', '', '```json', report.planText, '```', '', '</details>'] : []),
    '',
  ].join('\n');
}

export function formatDuration(milliseconds: number): string {
  const rounded = Math.round(milliseconds);
  return rounded < 1000 ? `${rounded} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}

/** Writes outputs and the job summary. Never throws: a summary problem must not hide the real result. */
export function publish(report: Report): void {
  for (const [name, value] of Object.entries(outputsFor(report))) core.setOutput(name, value);
  try {
    if (process.env.GITHUB_STEP_SUMMARY) core.appendSummary(renderSummary(report));
  } catch (error) {
    core.warning(`could not write the job summary: ${String(error)}`);
  }
}
