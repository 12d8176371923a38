import { LanesError } from '../errors.ts';

/** Base class of errors raised by the lanes DLQ tooling. */
export class DlqError extends LanesError {
  override name = 'DlqError';
}

/** A message move task ended in FAILED or did not finish in time. */
export class RedriveError extends DlqError {
  readonly sourceArn: string;
  readonly destinationArn: string;
  readonly moved: number;

  constructor(
    sourceArn: string,
    destinationArn: string,
    moved: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      `Redrive from ${sourceArn} to ${destinationArn} stopped after ${moved} message(s): ${detail}. Messages not moved are still in the dead-letter queue; run the redrive again.`,
      options,
    );
    this.name = 'RedriveError';
    this.sourceArn = sourceArn;
    this.destinationArn = destinationArn;
    this.moved = moved;
  }
}
