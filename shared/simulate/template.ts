import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TemplateModelError } from './errors.ts';
import { AWS } from './limits.ts';

/** A worker as deployed: its queue, event source mapping and function, read from the template. */
export interface WorkerSettings {
  /** Construct path below the stack (`Orders` for `Lanes-Pipeline/Orders/Function`). */
  readonly name: string;
  readonly stack: string;
  readonly queue: {
    readonly logicalId: string;
    readonly fifo: boolean;
    readonly visibilityTimeoutSeconds: number;
    readonly maxReceiveCount: number | undefined;
    readonly deadLetterQueue: string | undefined;
    /** FifoThroughputLimit perMessageGroupId with DeduplicationScope messageGroup. */
    readonly highThroughput: boolean;
  };
  readonly mapping: {
    readonly logicalId: string;
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    readonly maximumConcurrency: number | undefined;
    readonly provisioned:
      | { readonly minimumPollers: number; readonly maximumPollers: number }
      | undefined;
    readonly reportBatchItemFailures: boolean;
  };
  readonly function: {
    readonly logicalId: string;
    readonly timeoutSeconds: number;
    readonly memoryMb: number;
    readonly reservedConcurrency: number | undefined;
    readonly arm: boolean;
    /** The lanes worker runtime (it dead-letters a record itself on its last receive). */
    readonly lanesRuntime: boolean;
    /** DynamoDB tables the function's environment refers to. */
    readonly tables: readonly string[];
  };
}

/** A DynamoDB table of the app. */
export interface TableSettings {
  readonly logicalId: string;
  readonly name: string;
  readonly onDemand: boolean;
  /** Partitions that carry its write capacity (on-demand: the warm start of 4,000 units). */
  readonly partitions: number;
}

/** What the simulator needs to know about the app. */
export interface PipelineModel {
  readonly stacks: readonly string[];
  readonly workers: readonly WorkerSettings[];
  readonly tables: readonly TableSettings[];
  /** The ingress's lane count (stack output `LaneCount`), when there is one. */
  readonly laneCount: number | undefined;
}

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
  readonly Metadata?: Json;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The logical id a `Ref` or `Fn::GetAtt` points to. */
function referenced(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function numberOf(
  resource: string,
  property: string,
  value: unknown,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new TemplateModelError(
      resource,
      property,
      `must be a number the simulator can read (given ${JSON.stringify(value)}); a parameter or an intrinsic function is not resolved at synth time. Use a literal value in the app.`,
    );
  }
  return n;
}

/**
 * Reads the workers (SQS queue, event source mapping, function), the DynamoDB tables and the
 * lane count from synthesized CloudFormation templates (`npx cdk synth` writes them to
 * `cdk.out/<stack>.template.json`). No setting is typed twice: the workload file only says what
 * the traffic and the code do.
 *
 * @example
 * const app = readPipelineModel(['Lanes-Pipeline'], 'cdk.out');
 * app.workers.map((w) => w.name); // ['Orders', 'Notifications']
 */
export function readPipelineModel(stacks: readonly string[], cdkOut: string): PipelineModel {
  const models = stacks.map((stack) => {
    const file = join(cdkOut, `${stack}.template.json`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new TemplateModelError(
        stack,
        undefined,
        `no synthesized template at ${file}; run \`npx cdk synth\` (or pass --synth), and check the stack name`,
        { cause: error },
      );
    }
    return pipelineFromTemplate(stack, JSON.parse(text) as Json);
  });
  return {
    stacks,
    workers: models.flatMap((m) => m.workers),
    tables: models.flatMap((m) => m.tables),
    laneCount: models.find((m) => m.laneCount !== undefined)?.laneCount,
  };
}

/** Reads one template (see {@link readPipelineModel}). */
export function pipelineFromTemplate(stack: string, template: Json): PipelineModel {
  const resources = (isObject(template.Resources) ? template.Resources : {}) as Record<
    string,
    Resource
  >;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const tables = ofType('AWS::DynamoDB::Table').map(([id, r]) => tableOf(stack, id, r));
  const workers: WorkerSettings[] = [];
  for (const [mappingId, mapping] of ofType('AWS::Lambda::EventSourceMapping')) {
    const props = mapping.Properties ?? {};
    const queueId = referenced(props.EventSourceArn);
    const queue = queueId ? resources[queueId] : undefined;
    if (!queueId || queue?.Type !== 'AWS::SQS::Queue') continue; // not an SQS source of this stack
    if (props.Enabled === false) continue;
    const functionId = referenced(props.FunctionName);
    const fn = functionId ? resources[functionId] : undefined;
    if (!functionId || fn?.Type !== 'AWS::Lambda::Function') {
      throw new TemplateModelError(
        mappingId,
        'FunctionName',
        `must refer to a function of the same stack (given ${JSON.stringify(props.FunctionName)})`,
      );
    }
    workers.push(
      workerOf(stack, { mappingId, mapping, queueId, queue, functionId, fn }, tables, resources),
    );
  }
  const outputs = isObject(template.Outputs) ? template.Outputs : {};
  const laneOutput = outputs.LaneCount;
  const laneValue = isObject(laneOutput) ? Number(laneOutput.Value) : Number.NaN;
  return {
    stacks: [stack],
    workers,
    tables,
    laneCount: Number.isInteger(laneValue) && laneValue > 0 ? laneValue : undefined,
  };
}

function tableOf(stack: string, logicalId: string, r: Resource): TableSettings {
  const props = r.Properties ?? {};
  const onDemand = props.BillingMode === 'PAY_PER_REQUEST';
  const throughput = isObject(props.ProvisionedThroughput) ? props.ProvisionedThroughput : {};
  const writeUnits = onDemand
    ? AWS.dynamodb.onDemandInitialWriteUnits
    : (numberOf(
        logicalId,
        'ProvisionedThroughput.WriteCapacityUnits',
        throughput.WriteCapacityUnits,
        5,
      ) ?? 5);
  return {
    logicalId,
    name: constructName(stack, r, logicalId),
    onDemand,
    partitions: Math.max(1, Math.ceil(writeUnits / AWS.dynamodb.writeUnitsPerPartitionPerSecond)),
  };
}

/**
 * `Lanes-Pipeline/Orders/Function/Resource` -> `Orders`. Without path metadata (`cdk synth
 * --path-metadata false`, or `Template.fromStack`), from the logical id: `OrdersFunction520DBA95`
 * -> `Orders` (CDK appends an 8-hex-digit hash to the path's parts).
 */
function constructName(stack: string, r: Resource, logicalId: string, child?: string): string {
  const path = r.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string' || !path.startsWith(`${stack}/`)) {
    let name = logicalId.replace(/[0-9A-F]{8}$/, '');
    if (child && name.endsWith(child) && name !== child) name = name.slice(0, -child.length);
    return name || logicalId;
  }
  let name = path.slice(stack.length + 1).replace(/\/Resource$/, '');
  if (child && name.endsWith(`/${child}`)) name = name.slice(0, -child.length - 1);
  return name || logicalId;
}

function workerOf(
  stack: string,
  parts: {
    mappingId: string;
    mapping: Resource;
    queueId: string;
    queue: Resource;
    functionId: string;
    fn: Resource;
  },
  tables: readonly TableSettings[],
  resources: Record<string, Resource>,
): WorkerSettings {
  const { mappingId, queueId, functionId } = parts;
  const m = parts.mapping.Properties ?? {};
  const q = parts.queue.Properties ?? {};
  const f = parts.fn.Properties ?? {};
  const redrive = isObject(q.RedrivePolicy) ? q.RedrivePolicy : undefined;
  const scaling = isObject(m.ScalingConfig) ? m.ScalingConfig : {};
  const provisioned = isObject(m.ProvisionedPollerConfig) ? m.ProvisionedPollerConfig : undefined;
  const environment =
    isObject(f.Environment) && isObject(f.Environment.Variables) ? f.Environment.Variables : {};
  const fifo = q.FifoQueue === true || q.FifoQueue === 'true';
  const functionName = constructName(stack, parts.fn, functionId, 'Function');
  // Several sources of one function get their queue's name: `Orders`, `Orders/Second`.
  const sameFunction = Object.values(resources).filter(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      referenced(r.Properties?.FunctionName) === functionId,
  ).length;
  const name =
    sameFunction > 1
      ? `${functionName}:${constructName(stack, parts.queue, queueId, 'Queue')}`
      : functionName;
  const tableIds = new Set(tables.map((t) => t.logicalId));
  const architectures = Array.isArray(f.Architectures) ? f.Architectures : [];
  return {
    name,
    stack,
    queue: {
      logicalId: queueId,
      fifo,
      visibilityTimeoutSeconds:
        numberOf(
          queueId,
          'VisibilityTimeout',
          q.VisibilityTimeout,
          AWS.sqs.defaultVisibilityTimeoutSeconds,
        ) ?? AWS.sqs.defaultVisibilityTimeoutSeconds,
      maxReceiveCount: redrive
        ? numberOf(queueId, 'RedrivePolicy.maxReceiveCount', redrive.maxReceiveCount, undefined)
        : undefined,
      deadLetterQueue: redrive ? referenced(redrive.deadLetterTargetArn) : undefined,
      highThroughput:
        fifo &&
        q.FifoThroughputLimit === 'perMessageGroupId' &&
        q.DeduplicationScope === 'messageGroup',
    },
    mapping: {
      logicalId: mappingId,
      batchSize:
        numberOf(mappingId, 'BatchSize', m.BatchSize, AWS.esm.defaultBatchSize) ??
        AWS.esm.defaultBatchSize,
      maximumBatchingWindowSeconds:
        numberOf(
          mappingId,
          'MaximumBatchingWindowInSeconds',
          m.MaximumBatchingWindowInSeconds,
          0,
        ) ?? 0,
      maximumConcurrency: numberOf(
        mappingId,
        'ScalingConfig.MaximumConcurrency',
        scaling.MaximumConcurrency,
        undefined,
      ),
      provisioned: provisioned
        ? {
            minimumPollers:
              numberOf(
                mappingId,
                'ProvisionedPollerConfig.MinimumPollers',
                provisioned.MinimumPollers,
                AWS.esm.provisionedDefaultMinimumPollers,
              ) ?? AWS.esm.provisionedDefaultMinimumPollers,
            maximumPollers:
              numberOf(
                mappingId,
                'ProvisionedPollerConfig.MaximumPollers',
                provisioned.MaximumPollers,
                AWS.esm.provisionedDefaultMaximumPollers,
              ) ?? AWS.esm.provisionedDefaultMaximumPollers,
          }
        : undefined,
      reportBatchItemFailures:
        Array.isArray(m.FunctionResponseTypes) &&
        m.FunctionResponseTypes.includes('ReportBatchItemFailures'),
    },
    function: {
      logicalId: functionId,
      timeoutSeconds:
        numberOf(functionId, 'Timeout', f.Timeout, AWS.lambda.defaultTimeoutSeconds) ??
        AWS.lambda.defaultTimeoutSeconds,
      memoryMb:
        numberOf(functionId, 'MemorySize', f.MemorySize, AWS.lambda.defaultMemoryMb) ??
        AWS.lambda.defaultMemoryMb,
      reservedConcurrency: numberOf(
        functionId,
        'ReservedConcurrentExecutions',
        f.ReservedConcurrentExecutions,
        undefined,
      ),
      arm: architectures.includes('arm64'),
      lanesRuntime: 'LANES_MAX_RECEIVE_COUNT' in environment,
      tables: Object.values(environment)
        .map(referenced)
        .filter((id): id is string => id !== undefined && tableIds.has(id)),
    },
  };
}
