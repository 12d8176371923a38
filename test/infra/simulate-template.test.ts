import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PipelineStack } from '#orders/infra/pipeline-stack.ts';
import { pipelineFromTemplate } from '#shared/simulate/template.ts';
import { WORKER_ENV } from '#shared/worker/env.ts';

describe('simulator input: the synthesized template', () => {
  const stack = new PipelineStack(new App(), 'Lanes-Pipeline');
  const app = pipelineFromTemplate('Lanes-Pipeline', Template.fromStack(stack).toJSON());
  const worker = (name: string) => app.workers.find((w) => w.name === name);

  it('finds each worker by its construct path, with the settings the constructs chose', () => {
    expect(app.workers.map((w) => w.name).sort()).toEqual(['Notifications', 'Orders']);
    expect(worker('Orders')).toMatchObject({
      queue: { fifo: true, visibilityTimeoutSeconds: 90, maxReceiveCount: 5, highThroughput: true },
      mapping: {
        batchSize: 10,
        maximumBatchingWindowSeconds: 0,
        maximumConcurrency: 10,
        reportBatchItemFailures: true,
      },
      function: { timeoutSeconds: 15, memoryMb: 256, reservedConcurrency: 10, lanesRuntime: true },
    });
    expect(worker('Notifications')).toMatchObject({
      queue: { fifo: false, visibilityTimeoutSeconds: 91 },
      mapping: { batchSize: 50, maximumBatchingWindowSeconds: 1, maximumConcurrency: 2 },
      function: { reservedConcurrency: undefined },
    });
  });

  it('reads the lane count and the table each function writes', () => {
    expect(app.laneCount).toBe(8);
    const results = app.tables.find((table) => table.name === 'Results');
    expect(results).toEqual(
      expect.objectContaining({ name: 'Results', onDemand: true, partitions: 4 }),
    );
    // The results table and the coordination table that holds its idempotency records.
    expect(app.tables).toHaveLength(2);
    expect(worker('Orders')?.function.tables).toContain(results?.logicalId);
  });

  it('recognizes the lanes runtime by the variable the Worker construct sets', () => {
    expect(WORKER_ENV.MAX_RECEIVE_COUNT).toBe('LANES_MAX_RECEIVE_COUNT');
  });

  it('names a value it cannot read', () => {
    const template = Template.fromStack(stack).toJSON();
    const mapping = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    if (mapping) mapping.Properties.BatchSize = { Ref: 'SomeParameter' };
    expect(() => pipelineFromTemplate('Lanes-Pipeline', template)).toThrow(
      /BatchSize: must be a number .*SomeParameter/,
    );
  });
});
