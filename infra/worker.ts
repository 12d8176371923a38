import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LANES_METRICS_NAMESPACE, POWERTOOLS_ENV } from '../shared/observability/metrics.ts';
import { WORKER_ENV } from '../shared/worker/env.ts';
import { type AlarmDestinationProps, routeAlarms } from './alarms.ts';
import {
  canaryAlias,
  canaryDeploymentGroup,
  canaryRules,
  type WorkerCanaryProps,
} from './canary.ts';
import { describeForDiscovery } from './discovery.ts';
import {
  type LanesFunctionProps,
  type LanesObservabilityProps,
  newLanesFunction,
} from './function-props.ts';
import { enforceRules } from './validation.ts';
import {
  createWorkerAlarms,
  type WorkerAlarms,
  type WorkerAlarmThresholds,
  type WorkerMetrics,
  workerMetrics,
} from './worker-monitoring.ts';

export type { WorkerAlarms, WorkerAlarmThresholds, WorkerMetrics } from './worker-monitoring.ts';

/** Time the runtime keeps before the function timeout to answer (`STOP_MARGIN_MS` of the runtime). */
const RUNTIME_STOP_MARGIN_MS = 500;

/** Limits the validation rules enforce (AWS documentation; see docs/aws-limits.md). */
export const WORKER_LIMITS = {
  MIN_MAX_CONCURRENCY: 2,
  MAX_MAX_CONCURRENCY: 1000,
  /** ProvisionedPollerConfig for SQS: MinimumPollers 2..200, MaximumPollers 2..2000. */
  MIN_POLLERS: 2,
  MAX_MINIMUM_POLLERS: 200,
  MAX_MAXIMUM_POLLERS: 2000,
  /** Concurrent invocations one provisioned SQS poller drives (AWS: up to 10). */
  INVOKES_PER_POLLER: 10,
  MIN_MAX_RECEIVE_COUNT: 5,
  VISIBILITY_TIMEOUT_FACTOR: 6,
} as const;

export interface WorkerProps extends AlarmDestinationProps, LanesObservabilityProps {
  /**
   * Name of the worker in `lanes watch`, `lanes scale <name>` and `lanes dlq --worker <name>`.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Path of the handler file of a new function (a NodejsFunction, bundled with esbuild).
   * @default - none; give exactly one of `entry` and `function`
   */
  readonly entry?: string;
  /**
   * An existing function to run instead of a new one. The Worker adds its event source, its
   * runtime environment (`LANES_*`) and its DLQ permission; its timeout is checked against the
   * queue's visibility timeout.
   * @default - none; give exactly one of `entry` and `function`
   */
  readonly function?: lambda.Function;
  /** Handler export of a new function. @default 'handler' */
  readonly handler?: string;
  /**
   * More props of a new function (runtime, architecture, VPC, layers, logging, tracing, bundling).
   * @default - Node.js 24 on the default architecture; esbuild bundling that includes the AWS SDK
   * @example
   * functionProps: { architecture: lambda.Architecture.ARM_64, tracing: lambda.Tracing.ACTIVE,
   *   bundling: { minify: true, sourceMap: true } }
   */
  readonly functionProps?: LanesFunctionProps;
  /** Timeout of a new function. @default Duration.seconds(15) */
  readonly timeout?: Duration;
  /**
   * Longest time one record may take (the runtime's `recordBudgetMs`): records start only while
   * the invocation has this much time left, and one that runs longer is abandoned and retried
   * alone (dead-lettered with its reason on its last receive). Must be shorter than the timeout
   * minus the runtime's 500 ms answer margin.
   * @default - half of the invocation's time, decided by the runtime
   */
  readonly recordBudget?: Duration;
  /** Memory of a new function, in MB. @default 256 */
  readonly memorySize?: number;
  /**
   * Extra environment variables for a new function. `LANES_*` names are reserved for the runtime.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * What happens to the queues the Worker creates when they leave the stack.
   * @default RemovalPolicy.DESTROY (CDK's default for queues)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Create a FIFO queue (per-key order, one batch in flight per message group) or a standard one.
   * Ignored when `queue` is given.
   * @default true
   */
  readonly fifo?: boolean;
  /**
   * An existing queue to consume instead of creating one. Its visibility timeout and redrive
   * policy are then yours to set (the rules below cannot check them).
   * @default - a new queue with a dead-letter queue
   */
  readonly queue?: sqs.IQueue;
  /**
   * An existing dead-letter queue for the new queue and for the runtime's dead-lettering.
   * @default - a new queue of the same kind (FIFO or standard), kept 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Receives before SQS moves a message to the DLQ; the runtime dead-letters it itself, with its
   * reason, on that last receive. Must be >= 5: throttled invocations count as receives.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Visibility timeout of the new queue; must be >= 6 x timeout + maxBatchingWindow.
   * @default - 6 x timeout + maxBatchingWindow
   */
  readonly visibilityTimeout?: Duration;
  /** @default 10 */
  readonly batchSize?: number;
  /**
   * How long the event source waits to fill a batch (standard queues only).
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the SQS event source mapping starts (2..1000): the worker pool's
   * parallelism limit. On FIFO queues concurrency is also capped by the number of active groups.
   * Cannot be combined with `provisionedPollers` (AWS refuses both on one mapping).
   * @default 5, or none when `provisionedPollers` is set
   */
  readonly maxConcurrency?: number;
  /**
   * Provisioned mode for the event source mapping instead of the maxConcurrency cap: minimum
   * and maximum dedicated pollers (each drives up to 10 concurrent invocations). With
   * `reservedConcurrency`, the reservation must cover what the minimum pollers drive.
   * @default - the default mode, capped by maxConcurrency
   */
  readonly provisionedPollers?: WorkerProvisionedPollers;
  /**
   * Reserved concurrency of the function; must be >= the sum of its event sources'
   * maxConcurrency, or throttled invocations count as receives and push healthy messages to the DLQ.
   * @default - no reservation (the function shares the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
  /**
   * Alarm when the oldest message has waited longer than this.
   * @default Duration.minutes(5)
   */
  readonly maxMessageAge?: Duration;
  /**
   * Thresholds of the worker's alarms (failed and dead-lettered events, DLQ depth, errors,
   * throttles, duration near the timeout); `alarmAction` says where they go.
   * @default - see WorkerAlarmThresholds: 1 of each per minute, duration at 90 % of the timeout
   */
  readonly alarmThresholds?: WorkerAlarmThresholds;
  /**
   * The `service` dimension of the runtime's metrics (and the logger's service), which the
   * alarms and dashboards watch: set as `POWERTOOLS_SERVICE_NAME` on the function.
   * @default - `POWERTOOLS_SERVICE_NAME` of `environment`, else the worker's name
   */
  readonly serviceName?: string;
  /**
   * Canary releases: the mapping consumes through an alias of the function's current version, and
   * a deploy of new code shifts `percent` of the invocations to the new version for `interval`,
   * then all of them (CodeDeploy's Lambda deployment group on AWS, with the worker's alarms as
   * rollback triggers; on the embedded LocalStack the deploy sets the alias weights and
   * `lanes canary promote|rollback` ends the canary). `lanes canary status|promote|rollback`.
   * @default - no alias: every deploy switches all invocations to the new code at once
   */
  readonly canary?: WorkerCanaryProps;
}

/**
 * Provisioned mode of the SQS event source mapping (`ProvisionedPollerConfig`): dedicated pollers
 * that stay ready between `minimumPollers` and `maximumPollers`, each driving up to 10 concurrent
 * invocations, scaling about 3x faster than the default mode. Billed per poller on AWS.
 */
export interface WorkerProvisionedPollers {
  /** 2..200. @default 2 */
  readonly minimumPollers?: number;
  /** 2..2000, at least `minimumPollers`. @default 200 */
  readonly maximumPollers?: number;
}

/** Options of an extra queue consumed by the same worker function. */
export interface WorkerSourceOptions {
  /** @default 10 */
  readonly batchSize?: number;
  /** @default - no batching window */
  readonly maxBatchingWindow?: Duration;
  /** Cannot be combined with `provisionedPollers`. @default 5 (none with provisionedPollers) */
  readonly maxConcurrency?: number;
  /** Provisioned mode instead of a concurrency cap. @default - the default (on-demand) mode */
  readonly provisionedPollers?: WorkerProvisionedPollers;
}

/** Invocations one source can start: its cap, or what its minimum provisioned pollers drive. */
function concurrencyOf(
  maxConcurrency: number | undefined,
  provisioned: WorkerProvisionedPollers | undefined,
): number {
  if (provisioned) {
    const minimum = provisioned.minimumPollers ?? WORKER_LIMITS.MIN_POLLERS;
    return Token.isUnresolved(minimum) ? 0 : minimum * WORKER_LIMITS.INVOKES_PER_POLLER;
  }
  return maxConcurrency ?? 0;
}

/**
 * A backpressured worker pool: a Lambda function (NodejsFunction) consuming an SQS queue with
 * partial batch responses, its concurrency capped by the event source mapping's maxConcurrency
 * (and optionally reserved concurrency), a dead-letter queue, and alarms on message age, DLQ
 * depth, errors and throttles. Props are checked at synth time against the rules AWS documents.
 *
 * @example
 * const worker = new Worker(this, 'Orders', {
 *   entry: 'functions/orders-worker.ts',
 *   maxConcurrency: 10,
 *   reservedConcurrency: 10,
 *   environment: { RESULTS_TABLE_NAME: table.tableName },
 * });
 * table.grantReadWriteData(worker.function);
 */
export class Worker extends Construct {
  /** The worker's name in the `lanes` CLI. */
  public readonly name: string;
  /** The worker function (created or given). */
  public readonly function: lambda.Function;
  /** The queue the worker consumes (created or given). */
  public readonly queue: sqs.IQueue;
  /** The dead-letter queue (created or given). */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The event source mapping of `queue`. */
  public readonly eventSource: SqsEventSource;
  public readonly alarms: WorkerAlarms;
  /** The worker's metrics (queue, DLQ, function, and the runtime's), for dashboards. */
  public readonly metrics: WorkerMetrics;
  /** The `service` dimension of the runtime's metrics. */
  public readonly serviceName: string;
  /** The function timeout. */
  public readonly timeout: Duration;
  /** The oldest-message age the worker alarms at. */
  public readonly maxMessageAge: Duration;
  /** The maximum concurrency of the worker's own mapping (undefined in provisioned mode). */
  public readonly maxConcurrency: number | undefined;
  /** Provisioned pollers of the worker's own mapping, when in provisioned mode. */
  public readonly provisionedPollers: WorkerProvisionedPollers | undefined;
  /** With `canary`: the alias the mappings invoke (weighted between two versions during a canary). */
  public readonly alias: lambda.Alias | undefined;
  /** With `canary`: the CodeDeploy deployment group that shifts the alias on AWS. */
  public readonly deploymentGroup: codedeploy.LambdaDeploymentGroup | undefined;
  /** Reserved concurrency of a new function (undefined when none or for an existing function). */
  public get reservedConcurrency(): number | undefined {
    return this.#reservedConcurrency;
  }
  /**
   * Sum of maxConcurrency over the worker's event sources; a provisioned source counts the
   * invocations its minimum pollers drive (minimumPollers x 10).
   */
  public get totalMaxConcurrency(): number {
    return this.#totalMaxConcurrency;
  }

  readonly #reservedConcurrency: number | undefined;
  #totalMaxConcurrency = 0;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id);
    this.name = props.name ?? id;
    const timeout = props.function?.timeout ?? props.timeout ?? Duration.seconds(15);
    const batchingWindow = props.maxBatchingWindow;
    const provisioned = props.provisionedPollers;
    const maxConcurrency = props.maxConcurrency ?? (provisioned ? undefined : 5);
    const sourceConcurrency = concurrencyOf(maxConcurrency, provisioned);
    const maxReceiveCount = props.maxReceiveCount ?? WORKER_LIMITS.MIN_MAX_RECEIVE_COUNT;
    const fifo = props.queue ? (props.queue.fifo ?? false) : (props.fifo ?? true);
    const minVisibilitySeconds =
      WORKER_LIMITS.VISIBILITY_TIMEOUT_FACTOR * (timeout.isUnresolved() ? 0 : timeout.toSeconds()) +
      (batchingWindow && !batchingWindow.isUnresolved() ? batchingWindow.toSeconds() : 0);
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(minVisibilitySeconds);
    this.#reservedConcurrency = props.reservedConcurrency;
    this.timeout = timeout;
    this.maxMessageAge = props.maxMessageAge ?? Duration.minutes(5);
    this.serviceName =
      props.serviceName ?? props.environment?.[POWERTOOLS_ENV.SERVICE_NAME] ?? this.name;
    this.maxConcurrency = maxConcurrency;
    this.provisionedPollers = provisioned;

    const reserved = props.reservedConcurrency;
    const reservedKnown = reserved !== undefined && !Token.isUnresolved(reserved);
    const reservedEnv = Object.values(WORKER_ENV).filter(
      (name) => props.environment?.[name] !== undefined,
    );
    const newFunctionProps = (
      [
        'handler',
        'functionProps',
        'timeout',
        'memorySize',
        'environment',
        'reservedConcurrency',
        'tracing',
        'logRetention',
      ] as const
    ).filter((key) => props[key] !== undefined);
    const budgetMs = props.recordBudget?.isUnresolved()
      ? undefined
      : props.recordBudget?.toMilliseconds();
    const usableMs = timeout.isUnresolved()
      ? undefined
      : timeout.toMilliseconds() - RUNTIME_STOP_MARGIN_MS;
    enforceRules(this, [
      {
        broken: (props.entry === undefined) === (props.function === undefined),
        message: () =>
          `give exactly one of entry (a handler file for a new function) and function (an existing one) (given ${props.entry === undefined ? 'neither' : 'both'}).`,
      },
      {
        broken: props.function !== undefined && newFunctionProps.length > 0,
        message: () =>
          `${newFunctionProps.join(', ')} only apply to a new function (given with an existing function); set them on that function instead.`,
      },
      {
        broken: props.name !== undefined && !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(props.name),
        message: () =>
          `name must be 1-64 of A-Z a-z 0-9 _ - starting with a letter (given ${JSON.stringify(props.name)}); it is how the lanes CLI finds the worker.`,
      },
      ...this.#sourceRules(maxConcurrency, batchingWindow, fifo, provisioned),
      {
        broken:
          budgetMs !== undefined &&
          (budgetMs < 1 || (usableMs !== undefined && budgetMs > usableMs)),
        message: () =>
          `recordBudget must be between 1 ms and the timeout minus ${RUNTIME_STOP_MARGIN_MS} ms = ${usableMs} ms (given ${budgetMs} ms): the runtime answers ${RUNTIME_STOP_MARGIN_MS} ms before the timeout and never starts a record it cannot finish by then. Lower recordBudget or raise timeout.`,
      },
      {
        broken:
          !Token.isUnresolved(maxReceiveCount) &&
          maxReceiveCount < WORKER_LIMITS.MIN_MAX_RECEIVE_COUNT,
        message: () =>
          `maxReceiveCount must be at least ${WORKER_LIMITS.MIN_MAX_RECEIVE_COUNT} (given ${maxReceiveCount}): throttled invocations count as receives, so a low count dead-letters healthy messages. Set maxReceiveCount to ${WORKER_LIMITS.MIN_MAX_RECEIVE_COUNT} or more.`,
      },
      {
        broken:
          props.visibilityTimeout !== undefined &&
          !props.visibilityTimeout.isUnresolved() &&
          !timeout.isUnresolved() &&
          props.visibilityTimeout.toSeconds() < minVisibilitySeconds,
        message: () =>
          `visibilityTimeout must be at least 6 x timeout + maxBatchingWindow = ${minVisibilitySeconds} seconds (given ${props.visibilityTimeout?.toSeconds()} seconds): a shorter one lets SQS hand a batch to a second invocation while the first still runs. Raise visibilityTimeout or lower timeout.`,
      },
      {
        broken: reservedKnown && reserved < sourceConcurrency,
        message: () =>
          provisioned
            ? `reservedConcurrency must cover what the minimum provisioned pollers drive (given ${reserved}, minimumPollers ${provisioned.minimumPollers ?? WORKER_LIMITS.MIN_POLLERS} x ${WORKER_LIMITS.INVOKES_PER_POLLER} = ${sourceConcurrency}): the pollers would start invocations that get throttled, and throttles count as receives. Raise reservedConcurrency to ${sourceConcurrency} or lower minimumPollers.`
            : `reservedConcurrency must be at least the sum of the event sources' maxConcurrency (given ${reserved}, maxConcurrency ${maxConcurrency}): the mapping would start invocations that get throttled, and throttles count as receives. Raise reservedConcurrency to ${maxConcurrency} or lower maxConcurrency.`,
      },
      {
        broken: props.queue !== undefined && props.fifo !== undefined,
        message: () =>
          `fifo is ignored when an existing queue is given (given fifo: ${props.fifo}); drop fifo, the queue decides.`,
      },
      {
        broken: reservedEnv.length > 0,
        message: () =>
          `environment must not set ${reservedEnv.join(', ')} (reserved for the worker runtime, set by this construct); remove them.`,
      },
      ...canaryRules(props.canary),
    ]);

    this.deadLetterQueue =
      props.deadLetterQueue ??
      new sqs.Queue(this, 'DeadLetterQueue', {
        fifo: fifo || undefined,
        retentionPeriod: Duration.days(14),
        removalPolicy: props.removalPolicy,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
    this.queue =
      props.queue ??
      new sqs.Queue(this, 'Queue', {
        fifo: fifo || undefined,
        // EventBridge targets send no deduplication id; content-based dedup covers them, and the
        // direct publisher's explicit id (the event id) takes precedence over it.
        contentBasedDeduplication: fifo || undefined,
        // High-throughput FIFO: quotas per message group instead of per queue.
        deduplicationScope: fifo ? sqs.DeduplicationScope.MESSAGE_GROUP : undefined,
        fifoThroughputLimit: fifo ? sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID : undefined,
        visibilityTimeout,
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
        removalPolicy: props.removalPolicy,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });

    const runtimeEnvironment = {
      [POWERTOOLS_ENV.SERVICE_NAME]: this.serviceName,
      [WORKER_ENV.DLQ_URL]: this.deadLetterQueue.queueUrl,
      [WORKER_ENV.MAX_RECEIVE_COUNT]: String(maxReceiveCount),
      ...(budgetMs !== undefined ? { [WORKER_ENV.RECORD_BUDGET_MS]: String(budgetMs) } : {}),
    };
    this.function = props.function ?? this.#newFunction(props, timeout, runtimeEnvironment);
    if (props.function) {
      for (const [key, value] of Object.entries(runtimeEnvironment)) {
        props.function.addEnvironment(key, value);
      }
    }
    this.deadLetterQueue.grantSendMessages(this.function);
    this.alias = props.canary ? canaryAlias(this, this.function, props.canary) : undefined;

    this.eventSource = this.#addSource(this.queue, {
      batchSize: props.batchSize,
      maxBatchingWindow: batchingWindow,
      ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
      ...(provisioned ? { provisionedPollers: provisioned } : {}),
    });
    this.metrics = workerMetrics({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      function: this.function,
      metricsNamespace:
        props.environment?.[POWERTOOLS_ENV.METRICS_NAMESPACE] ?? LANES_METRICS_NAMESPACE,
      serviceName: this.serviceName,
      period: props.alarmThresholds?.period,
    });
    this.alarms = createWorkerAlarms(this, this.metrics, {
      maxMessageAge: this.maxMessageAge,
      timeout,
      thresholds: props.alarmThresholds,
    });
    routeAlarms(this, Object.values(this.alarms), props.alarmAction);
    this.deploymentGroup =
      props.canary && this.alias
        ? canaryDeploymentGroup(this, this.alias, props.canary, Object.values(this.alarms))
        : undefined;
    describeForDiscovery(this, {
      kind: 'worker',
      name: this.name,
      functionName: this.function.functionName,
      queueUrl: this.queue.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      ...(this.alias ? { alias: this.alias.aliasName } : {}),
      ...(this.deploymentGroup
        ? {
            codeDeployApplication: this.deploymentGroup.application.applicationName,
            deploymentGroup: this.deploymentGroup.deploymentGroupName,
          }
        : {}),
    });
  }

  #newFunction(
    props: WorkerProps,
    timeout: Duration,
    runtimeEnvironment: Record<string, string>,
  ): lambda.Function {
    return newLanesFunction(
      this,
      'Function',
      {
        entry: props.entry,
        handler: props.handler,
        timeout,
        memorySize: props.memorySize,
        reservedConcurrency: props.reservedConcurrency,
        environment: { ...props.environment, ...runtimeEnvironment },
        tracing: props.tracing,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      },
      props.canary
        ? {
            ...props.functionProps,
            // A canary rolls back to the previous version: it must outlive the deploy that replaced it.
            currentVersionOptions: {
              removalPolicy: RemovalPolicy.RETAIN,
              ...props.functionProps?.currentVersionOptions,
            },
          }
        : props.functionProps,
    );
  }

  /**
   * Consumes one more queue with the same function (for example a second pipeline stage). The
   * reserved-concurrency rule is checked again over all sources.
   */
  addQueue(queue: sqs.IQueue, options: WorkerSourceOptions = {}): SqsEventSource {
    const provisioned = options.provisionedPollers;
    const maxConcurrency = options.maxConcurrency ?? (provisioned ? undefined : 5);
    enforceRules(
      this,
      this.#sourceRules(maxConcurrency, options.maxBatchingWindow, queue.fifo, provisioned),
    );
    const reserved = this.#reservedConcurrency;
    const total = this.#totalMaxConcurrency + concurrencyOf(maxConcurrency, provisioned);
    enforceRules(this, [
      {
        broken: reserved !== undefined && !Token.isUnresolved(reserved) && reserved < total,
        message: () =>
          `reservedConcurrency must be at least the sum of the event sources' maxConcurrency (given ${reserved}, sum ${total} after adding ${queue.node.path}): raise reservedConcurrency to ${total} or lower maxConcurrency.`,
      },
    ]);
    return this.#addSource(queue, {
      ...options,
      ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    });
  }

  #sourceRules(
    maxConcurrency: number | undefined,
    batchingWindow: Duration | undefined,
    fifo: boolean,
    provisioned: WorkerProvisionedPollers | undefined,
  ) {
    const minimum = provisioned?.minimumPollers;
    const maximum = provisioned?.maximumPollers;
    const known = (value: number | undefined): value is number =>
      value !== undefined && !Token.isUnresolved(value);
    const outside = (value: number, low: number, high: number) =>
      !Number.isInteger(value) || value < low || value > high;
    return [
      {
        broken: provisioned !== undefined && maxConcurrency !== undefined,
        message: () =>
          `maxConcurrency cannot be combined with provisionedPollers (given maxConcurrency ${maxConcurrency} and provisionedPollers ${JSON.stringify(provisioned)}): AWS refuses ScalingConfig.MaximumConcurrency together with ProvisionedPollerConfig. Keep one of them.`,
      },
      {
        broken:
          known(minimum) &&
          outside(minimum, WORKER_LIMITS.MIN_POLLERS, WORKER_LIMITS.MAX_MINIMUM_POLLERS),
        message: () =>
          `provisionedPollers.minimumPollers must be an integer between ${WORKER_LIMITS.MIN_POLLERS} and ${WORKER_LIMITS.MAX_MINIMUM_POLLERS} (given ${minimum}).`,
      },
      {
        broken:
          known(maximum) &&
          outside(maximum, WORKER_LIMITS.MIN_POLLERS, WORKER_LIMITS.MAX_MAXIMUM_POLLERS),
        message: () =>
          `provisionedPollers.maximumPollers must be an integer between ${WORKER_LIMITS.MIN_POLLERS} and ${WORKER_LIMITS.MAX_MAXIMUM_POLLERS} (given ${maximum}).`,
      },
      {
        broken: known(minimum) && known(maximum) && minimum > maximum,
        message: () =>
          `provisionedPollers.minimumPollers must not exceed maximumPollers (given ${minimum} and ${maximum}): raise maximumPollers or lower minimumPollers.`,
      },
      {
        broken:
          maxConcurrency !== undefined &&
          !Token.isUnresolved(maxConcurrency) &&
          (!Number.isInteger(maxConcurrency) ||
            maxConcurrency < WORKER_LIMITS.MIN_MAX_CONCURRENCY ||
            maxConcurrency > WORKER_LIMITS.MAX_MAX_CONCURRENCY),
        message: () =>
          `maxConcurrency must be an integer between ${WORKER_LIMITS.MIN_MAX_CONCURRENCY} and ${WORKER_LIMITS.MAX_MAX_CONCURRENCY} (given ${maxConcurrency}): it is the SQS event source mapping's ScalingConfig.MaximumConcurrency. Pick a value in that range.`,
      },
      {
        broken: fifo && batchingWindow !== undefined,
        message: () =>
          `maxBatchingWindow is not supported on FIFO queues (given ${batchingWindow?.toHumanString()}): remove it, or use a standard queue (fifo: false) for this worker.`,
      },
    ];
  }

  #addSource(queue: sqs.IQueue, options: WorkerSourceOptions): SqsEventSource {
    const provisioned = options.provisionedPollers;
    const source = new SqsEventSource(queue, {
      batchSize: options.batchSize ?? 10,
      maxBatchingWindow: options.maxBatchingWindow,
      maxConcurrency: options.maxConcurrency,
      ...(provisioned
        ? {
            provisionedPollerConfig: {
              minimumPollers: provisioned.minimumPollers ?? WORKER_LIMITS.MIN_POLLERS,
              maximumPollers: provisioned.maximumPollers ?? 200,
            },
          }
        : {}),
      reportBatchItemFailures: true,
    });
    // A canary worker's mappings invoke the alias, so its weights split the batches.
    (this.alias ?? this.function).addEventSource(source);
    // The runtime's per-key policy requeues a busy key's event as a delayed copy on a standard
    // queue before the redrive policy would dead-letter it (FIFO queues are only postponed).
    if (!queue.fifo) queue.grantSendMessages(this.function);
    this.#totalMaxConcurrency += concurrencyOf(options.maxConcurrency, provisioned);
    return source;
  }
}
