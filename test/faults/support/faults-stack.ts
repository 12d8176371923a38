import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CoordinationTable } from '#infra/coordination-table.ts';
import { Worker } from '#infra/worker.ts';
import { referenceFunctionProps } from '#orders/infra/function-props.ts';

/** The fault suite's own stack: deployed next to the reference stacks, never by `npm run deploy`. */
export const FAULTS_STACK = 'Lanes-Faults';

const faultWorkerEntry = fileURLToPath(new URL('./fault-worker.ts', import.meta.url));

/** The workers of the stack; each output is `<Name>QueueUrl`, `<Name>DlqUrl`, `<Name>FunctionName`. */
export const FAULT_WORKERS = {
  /** FIFO, killed mid-batch. */
  CRASH: 'Crash',
  /** FIFO and standard, with one record past the function timeout or a poison record. */
  SLOW_FIFO: 'SlowFifo',
  SLOW_STANDARD: 'SlowStandard',
  /** Two queues (standard and FIFO) on one function whose reserved concurrency the test sets to 1. */
  THROTTLED: 'Throttled',
} as const;
export type FaultWorker = (typeof FAULT_WORKERS)[keyof typeof FAULT_WORKERS];

export const FAULTS_OUTPUTS = {
  RESULTS_TABLE_NAME: 'ResultsTableName',
  COORDINATION_TABLE_NAME: 'CoordinationTableName',
  /** The Throttled worker's second (FIFO) queue. */
  THROTTLED_FIFO_QUEUE_URL: 'ThrottledFifoQueueUrl',
} as const;

interface FaultWorkerProps {
  readonly fifo: boolean;
  readonly timeout: Duration;
  /** Short, to keep the suite fast; longer than the timeout, so no batch is handed out twice. */
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly recordBudget?: Duration;
}

/**
 * Test-owned workers running the reference orders worker (with faults injected by marker) on
 * queues with short visibility timeouts, so that a redelivery takes seconds, not the 90 s of the
 * reference pipeline. The queues are given to the Worker construct, which then leaves their
 * visibility timeout and redrive policy to us.
 */
export class FaultsStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const results = new dynamodb.Table(this, 'Results', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const coordination = new CoordinationTable(this, 'Coordination', {
      removalPolicy: RemovalPolicy.DESTROY,
      pointInTimeRecovery: false,
    });
    const environment = {
      RESULTS_TABLE_NAME: results.tableName,
      COORDINATION_TABLE_NAME: coordination.table.tableName,
      // The fault worker's EMF metrics would only add log volume here.
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const queuePair = (
      name: string,
      props: Pick<FaultWorkerProps, 'fifo' | 'visibilityTimeout' | 'maxReceiveCount'>,
    ) => {
      const deadLetterQueue = new sqs.Queue(this, `${name}Dlq`, {
        fifo: props.fifo || undefined,
        retentionPeriod: Duration.days(1),
      });
      const queue = new sqs.Queue(this, `${name}Queue`, {
        fifo: props.fifo || undefined,
        contentBasedDeduplication: props.fifo || undefined,
        visibilityTimeout: props.visibilityTimeout,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      });
      return { queue, deadLetterQueue };
    };
    const worker = (name: FaultWorker, props: FaultWorkerProps) => {
      const { queue, deadLetterQueue } = queuePair(name, props);
      const created = new Worker(this, name, {
        entry: faultWorkerEntry,
        functionProps: referenceFunctionProps,
        queue,
        deadLetterQueue,
        timeout: props.timeout,
        maxReceiveCount: props.maxReceiveCount,
        batchSize: 10,
        maxConcurrency: 2,
        environment,
        ...(props.recordBudget ? { recordBudget: props.recordBudget } : {}),
      });
      results.grantReadWriteData(created.function);
      coordination.grantCoordination(created.function);
      new CfnOutput(this, `${name}QueueUrl`, { value: queue.queueUrl });
      new CfnOutput(this, `${name}DlqUrl`, { value: deadLetterQueue.queueUrl });
      new CfnOutput(this, `${name}FunctionName`, { value: created.function.functionName });
      return created;
    };

    worker(FAULT_WORKERS.CRASH, {
      fifo: true,
      timeout: Duration.seconds(6),
      visibilityTimeout: Duration.seconds(8),
      maxReceiveCount: 5,
      recordBudget: Duration.seconds(4),
    });
    worker(FAULT_WORKERS.SLOW_FIFO, {
      fifo: true,
      timeout: Duration.seconds(3),
      visibilityTimeout: Duration.seconds(4),
      maxReceiveCount: 5,
      recordBudget: Duration.seconds(1),
    });
    // No recordBudget: the runtime's default (half of the invocation) applies.
    worker(FAULT_WORKERS.SLOW_STANDARD, {
      fifo: false,
      timeout: Duration.seconds(3),
      visibilityTimeout: Duration.seconds(4),
      maxReceiveCount: 5,
    });
    // Throttled invocations count as receives (AWS and LocalStack alike): a roomier
    // maxReceiveCount, as AWS advises for functions that can be throttled.
    const throttled = worker(FAULT_WORKERS.THROTTLED, {
      fifo: false,
      timeout: Duration.seconds(3),
      visibilityTimeout: Duration.seconds(4),
      maxReceiveCount: 10,
    });
    const second = queuePair(`${FAULT_WORKERS.THROTTLED}Fifo`, {
      fifo: true,
      visibilityTimeout: Duration.seconds(4),
      maxReceiveCount: 10,
    });
    throttled.addQueue(second.queue, { batchSize: 10, maxConcurrency: 2 });
    second.deadLetterQueue.grantSendMessages(throttled.function);

    new CfnOutput(this, FAULTS_OUTPUTS.RESULTS_TABLE_NAME, { value: results.tableName });
    new CfnOutput(this, FAULTS_OUTPUTS.COORDINATION_TABLE_NAME, {
      value: coordination.table.tableName,
    });
    new CfnOutput(this, FAULTS_OUTPUTS.THROTTLED_FIFO_QUEUE_URL, { value: second.queue.queueUrl });
    new CfnOutput(this, 'ThrottledFifoDlqUrl', { value: second.deadLetterQueue.queueUrl });
  }
}
