/**
 * The canary of a worker's alias, written into the alias's description by the Worker construct:
 * `lanes-canary percent=10 interval=300s`. On AWS it only describes what CodeDeploy does; the
 * embedded LocalStack, which has no CodeDeploy, reads it when CloudFormation moves the alias to a
 * new version and starts the canary itself (lanes_esm, `cloudformation.py`). `lanes canary` reads
 * it to say what the canary is.
 */
export interface CanaryMarker {
  readonly percent: number;
  readonly intervalSeconds: number;
}

const MARKER = /lanes-canary percent=(\d+(?:\.\d+)?) interval=(\d+)s/;

/** The description of a canary worker's alias. */
export function canaryDescription(canary: CanaryMarker): string {
  return `lanes-canary percent=${canary.percent} interval=${canary.intervalSeconds}s: a deploy sends ${canary.percent} % of the invocations to the new version for ${canary.intervalSeconds} s, then all (CodeDeploy)`;
}

/** The canary an alias description names, or undefined. */
export function parseCanaryDescription(description: string | undefined): CanaryMarker | undefined {
  const match = MARKER.exec(description ?? '');
  if (!match) return undefined;
  return { percent: Number(match[1]), intervalSeconds: Number(match[2]) };
}
