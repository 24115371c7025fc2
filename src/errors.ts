/**
 * An expected failure: bad input, a tool that said no, a registry that refused.
 * main.ts prints its message as is (no stack trace) and fails the step.
 */
export class ActionError extends Error {
  override name = 'ActionError';
}

/** A bad input value. The message always names the input and shows a valid example. */
export class InputError extends ActionError {
  override name = 'InputError';
  constructor(
    readonly input: string,
    problem: string,
    example: string,
  ) {
    super(`input "${input}": ${problem}. Example of a valid value: ${example}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
