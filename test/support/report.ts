import type { Inputs } from '../../src/plan/inputs.js';
import type { Plan } from '../../src/plan/plan.js';
import type { Report } from '../../src/report/summary.js';

/** The report a dry run of `plan` gives: tags, platforms and the tag rules' results, nothing pushed. */
export function dryRunReport(plan: Plan, separators?: Inputs['separators']): Report {
  return {
    dryRun: true,
    tags: plan.tags,
    platforms: plan.platforms,
    pushed: false,
    digest: '',
    imageId: '',
    metadata: '',
    phases: [],
    ...(separators ? { separators } : {}),
    ...(plan.metadata ? { tagging: plan.metadata } : {}),
  };
}
