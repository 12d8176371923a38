import type { IConstruct } from 'constructs';
import { LanesError } from '#shared/errors.ts';

/**
 * Base error of the lanes constructs: props that cannot deploy or would misbehave. The message
 * names the construct path, every broken rule, the value given and the fix.
 */
export class LanesValidationError extends LanesError {
  readonly constructPath: string;
  readonly problems: readonly string[];

  constructor(scope: IConstruct, problems: readonly string[]) {
    super(
      `${scope.node.path}: ${problems.length === 1 ? problems[0] : `invalid props:\n- ${problems.join('\n- ')}`}`,
    );
    this.name = 'LanesValidationError';
    this.constructPath = scope.node.path;
    this.problems = problems;
  }
}

/** One synth-time rule: `broken` is true when the props violate it; `message` explains and fixes. */
export interface ValidationRule {
  readonly broken: boolean;
  readonly message: () => string;
}

/** Throws one LanesValidationError listing every broken rule, or returns when all hold. */
export function enforceRules(scope: IConstruct, rules: readonly ValidationRule[]): void {
  const problems = rules.filter((rule) => rule.broken).map((rule) => rule.message());
  if (problems.length > 0) throw new LanesValidationError(scope, problems);
}
