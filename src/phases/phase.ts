import * as core from '@actions/core';
import { ActionError, errorMessage } from '../errors.js';
import type { PhaseTiming } from '../report/summary.js';

/** Where a phase writes its log lines: the orchestration passes @actions/core, tests a recorder. */
export interface StepLog {
  info(message: string): void;
  warning(message: string): void;
}

/** An error that knows which phase it broke. */
export class PhaseError extends Error {
  override name = 'PhaseError';
  constructor(
    readonly phase: string,
    override readonly cause: unknown,
  ) {
    super(`${phase}: ${errorMessage(cause)}`);
  }

  /** Expected failures (bad input, a tool that said no) are shown without a stack trace. */
  get expected(): boolean {
    return this.cause instanceof ActionError;
  }
}

/** Runs each phase in a collapsible log group and times it. */
export class Phases {
  readonly timings: PhaseTiming[] = [];

  async run<T>(name: string, work: () => Promise<T> | T): Promise<T> {
    const started = performance.now();
    core.startGroup(name);
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } catch (error) {
      throw error instanceof PhaseError ? error : new PhaseError(name, error);
    } finally {
      const milliseconds = performance.now() - started;
      this.timings.push({ name, milliseconds, ok });
      core.info(`${name}: ${ok ? 'done' : 'failed'} in ${Math.round(milliseconds)} ms`);
      core.endGroup();
    }
  }
}
