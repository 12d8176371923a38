import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { foldHistory } from '#shared/workflows/history.ts';

let id = 0;
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
const event = (type: string, seconds: number, extra: Partial<HistoryEvent> = {}): HistoryEvent =>
  ({ id: ++id, type, timestamp: at(seconds), ...extra }) as HistoryEvent;
const entered = (type: string, name: string, seconds: number) =>
  event(`${type}StateEntered`, seconds, { stateEnteredEventDetails: { name } });
const exited = (type: string, name: string, seconds: number) =>
  event(`${type}StateExited`, seconds, { stateExitedEventDetails: { name } });

describe('foldHistory', () => {
  it('folds a retried then successful task, a caught failure and a Fail state', () => {
    const events = [
      event('ExecutionStarted', 0),
      entered('Task', 'Reserve', 1),
      event('LambdaFunctionScheduled', 1),
      event('LambdaFunctionFailed', 2, {
        lambdaFunctionFailedEventDetails: { error: 'Lambda.ServiceException', cause: 'blip' },
      }),
      event('LambdaFunctionScheduled', 3),
      event('LambdaFunctionSucceeded', 4),
      exited('Task', 'Reserve', 4),
      entered('Task', 'Charge', 5),
      event('TaskScheduled', 5),
      event('TaskFailed', 6, {
        taskFailedEventDetails: {
          resourceType: 'sqs',
          resource: 'sendMessage.waitForTaskToken',
          error: 'PaymentDeclinedError',
          cause: 'too much',
        },
      }),
      exited('Task', 'Charge', 6),
      entered('Fail', 'Failed', 7),
      event('ExecutionFailed', 7),
    ];

    const steps = foldHistory(events);

    expect(steps.map((step) => [step.name, step.type, step.status, step.attempts])).toEqual([
      ['Reserve', 'Task', 'succeeded', 2],
      ['Charge', 'Task', 'failed', 1],
      ['Failed', 'Fail', 'failed', 1],
    ]);
    expect(steps[0]?.error).toBeUndefined();
    expect(steps[1]).toMatchObject({ error: 'PaymentDeclinedError', cause: 'too much' });
    expect(steps[0]?.exitedAt).toEqual(at(4));
  });

  it('reports a state without an exit event as running', () => {
    const steps = foldHistory([event('ExecutionStarted', 0), entered('Task', 'Notify', 1)]);

    expect(steps).toEqual([expect.objectContaining({ name: 'Notify', status: 'running' })]);
  });
});
