import type { IConstruct } from 'constructs';
import { LanesError } from '../shared/errors.ts';

/**
 * Base error of the lanes constructs: props that cannot deploy or would misbehave. The message
 * names the construct path, every broken rule, the value given and the fix.
 */
export class LanesValidationError extends LanesError {
  readonly constructPath: string;
  readonly problems: readonly string[];

  constructor(at: IConstruct | string, problems: readonly string[]) {
    const path = typeof at === 'string' ? at : at.node.path;
    super(
      `${path}: ${problems.length === 1 ? problems[0] : `invalid props:\n- ${problems.join('\n- ')}`}`,
    );
    this.name = 'LanesValidationError';
    this.constructPath = path;
    this.problems = problems;
  }
}

/** One synth-time rule: `broken` is true when the props violate it; `message` explains and fixes. */
export interface ValidationRule {
  readonly broken: boolean;
  readonly message: () => string;
}

/**
 * The one validation path of every lanes construct: throws one LanesValidationError listing
 * every broken rule (each message with the value given and the fix), or returns when all hold.
 * `at` is the construct, or the path of one about to be created.
 *
 * @example
 * enforceRules(this, [
 *   { broken: size < 1, message: () => `size must be at least 1 (given ${size}); raise it.` },
 * ]);
 */
export function enforceRules(at: IConstruct | string, rules: readonly ValidationRule[]): void {
  const problems = rules.filter((rule) => rule.broken).map((rule) => rule.message());
  if (problems.length > 0) throw new LanesValidationError(at, problems);
}
