import { LanesError } from '../errors.ts';

/** Base class of every error raised by `#shared/simulate`. */
export class SimulationError extends LanesError {
  override name = 'SimulationError';
}

/**
 * The workload file is not valid: each problem names the field (a dotted path such as
 * `producers[0].rate.perSecond`), what was received and what is expected.
 */
export class WorkloadError extends SimulationError {
  public readonly source: string;
  public readonly problems: readonly string[];
  public constructor(source: string, problems: readonly string[], options?: ErrorOptions) {
    super(
      `Invalid workload ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix these fields and run again.`,
      options,
    );
    this.name = 'WorkloadError';
    this.source = source;
    this.problems = problems;
  }
}

/**
 * The synthesized CloudFormation template cannot be modelled: the message names the resource
 * (logical id), the property and the value found.
 */
export class TemplateModelError extends SimulationError {
  public readonly resource: string;
  public readonly property: string | undefined;
  public constructor(
    resource: string,
    property: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${resource}${property ? `.${property}` : ''}: ${message}`, options);
    this.name = 'TemplateModelError';
    this.resource = resource;
    this.property = property;
  }
}
