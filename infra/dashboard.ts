import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { SingletonScheduledFunction } from './coordination-schedule.ts';
import type { CoordinationTable } from './coordination-table.ts';
import type { Ingress } from './ingress.ts';
import { tableThrottlesMetric } from './table-monitoring.ts';
import type { Worker } from './worker.ts';
import type { Workflow } from './workflow.ts';

export interface PipelineDashboardProps {
  /** @default - a name CloudFormation generates */
  readonly dashboardName?: string;
  /** Time range shown when the dashboard opens. @default Duration.hours(3) */
  readonly range?: Duration;
  /** @default - none; add them with addWorker */
  readonly workers?: readonly Worker[];
  /** @default - none; add them with addIngress */
  readonly ingresses?: readonly Ingress[];
  /** @default - none; add them with addWorkflow */
  readonly workflows?: readonly Workflow[];
  /** @default - none; add them with addSchedule */
  readonly schedules?: readonly SingletonScheduledFunction[];
  /** @default - none; add them with addCoordinationTable */
  readonly coordinationTables?: readonly CoordinationTable[];
}

const graph = (
  title: string,
  left: readonly cloudwatch.IMetric[],
  annotations: cloudwatch.HorizontalAnnotation[] = [],
  width = 8,
) =>
  new cloudwatch.GraphWidget({
    title,
    left: [...left],
    leftAnnotations: annotations,
    width,
    height: 6,
  });

const heading = (markdown: string) => new cloudwatch.TextWidget({ markdown, width: 24, height: 1 });

/**
 * A CloudWatch dashboard for one pipeline, a row of widgets per component, built from the
 * metrics the constructs expose (the same ones their alarms watch):
 * - worker: backlog and in flight, oldest message age (against the alarm's age), concurrency
 *   against its caps (the mappings' maxConcurrency and reserved concurrency), throttles and
 *   errors, processed/failed/dead-lettered events, end-to-end latency p50/p99, DLQ depth, and
 *   duration against the timeout;
 * - ingress: EventBridge failed, dead-lettered and lost invocations, target DLQ depth;
 * - workflow: executions started, succeeded, failed, timed out, throttled;
 * - schedule: heartbeat, errors, target DLQ depth; coordination table: throttled requests.
 *
 * Hand-made from CDK's CloudWatch L2 rather than cdk-monitoring-constructs: the widgets chart the
 * lanes runtime's own metrics and the workers' caps, and the alarms already belong to the
 * constructs, so a second library (and its own alarm set) would add nothing but weight.
 *
 * @example
 * new PipelineDashboard(this, 'Dashboard', { workers: [orders], ingresses: [ingress] });
 */
export class PipelineDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps = {}) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: props.range ?? Duration.hours(3),
    });
    for (const worker of props.workers ?? []) this.addWorker(worker);
    for (const ingress of props.ingresses ?? []) this.addIngress(ingress);
    for (const workflow of props.workflows ?? []) this.addWorkflow(workflow);
    for (const schedule of props.schedules ?? []) this.addSchedule(schedule);
    for (const table of props.coordinationTables ?? []) this.addCoordinationTable(table);
  }

  /** A worker's row. Add it after its last `addQueue`, so the caps shown are complete. */
  public addWorker(worker: Worker): this {
    const m = worker.metrics;
    const caps: cloudwatch.HorizontalAnnotation[] = [
      { value: worker.totalMaxConcurrency, label: 'maxConcurrency (mappings)' },
      ...(worker.reservedConcurrency !== undefined
        ? [{ value: worker.reservedConcurrency, label: 'reserved concurrency' }]
        : []),
    ];
    this.dashboard.addWidgets(heading(`### Worker ${worker.name}`));
    this.dashboard.addWidgets(
      graph('Backlog', [
        m.backlog.with({ label: 'visible' }),
        m.inFlight.with({ label: 'in flight' }),
      ]),
      graph(
        'Oldest message age (s)',
        [m.oldestMessageAge],
        [{ value: worker.maxMessageAge.toSeconds(), label: 'alarm' }],
      ),
      graph('Concurrency', [m.concurrency.with({ label: 'concurrent executions' })], caps),
    );
    this.dashboard.addWidgets(
      graph('Throttles and errors', [
        m.throttles.with({ label: 'throttles' }),
        m.invocationErrors.with({ label: 'invocation errors' }),
      ]),
      graph('Events', [
        m.processed.with({ label: 'processed' }),
        m.failed.with({ label: 'failed' }),
        m.deadLettered.with({ label: 'dead-lettered' }),
      ]),
      graph('End-to-end latency (ms)', [
        m.latencyP50.with({ label: 'p50' }),
        m.latencyP99.with({ label: 'p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('DLQ depth', [m.deadLetterDepth.with({ label: 'dead letters' })], [], 12),
      graph(
        'Duration (ms)',
        [m.duration.with({ label: 'longest invocation' })],
        worker.timeout.isUnresolved()
          ? []
          : [{ value: worker.timeout.toMilliseconds(), label: 'timeout' }],
        12,
      ),
    );
    return this;
  }

  /** An ingress's row (EventBridge modes; direct mode has no rule to chart). */
  public addIngress(ingress: Ingress): this {
    const m = ingress.metrics;
    if (!m) return this;
    this.dashboard.addWidgets(heading(`### Ingress ${ingress.name}`));
    this.dashboard.addWidgets(
      graph('EventBridge deliveries that failed', [
        ...m.failedInvocations,
        ...m.deadLetteredInvocations,
        ...m.lostInvocations,
      ]),
      graph('Target DLQ depth', [m.deadLetterDepth.with({ label: 'undelivered events' })]),
    );
    return this;
  }

  /** A workflow's row. */
  public addWorkflow(workflow: Workflow): this {
    const machine = workflow.stateMachine;
    const period = Duration.minutes(1);
    this.dashboard.addWidgets(heading(`### Workflow ${workflow.name}`));
    this.dashboard.addWidgets(
      graph(
        'Executions',
        [
          machine.metricStarted({ period, label: 'started' }),
          machine.metricSucceeded({ period, label: 'succeeded' }),
          machine.metricFailed({ period, label: 'failed' }),
          machine.metricTimedOut({ period, label: 'timed out' }),
          machine.metricThrottled({ period, label: 'throttled' }),
        ],
        [],
        24,
      ),
    );
    return this;
  }

  /** A singleton schedule's row. */
  public addSchedule(schedule: SingletonScheduledFunction): this {
    const minute = Duration.minutes(1);
    this.dashboard.addWidgets(heading(`### Schedule ${schedule.scheduleName}`));
    this.dashboard.addWidgets(
      graph('Heartbeat (handled triggers)', [schedule.heartbeatMetric]),
      graph('Errors', [schedule.function.metricErrors({ period: minute, label: 'errors' })]),
      graph('Target DLQ depth', [
        schedule.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: 'Maximum',
          label: 'undelivered triggers',
        }),
      ]),
    );
    return this;
  }

  /** A coordination table's row. */
  public addCoordinationTable(coordination: CoordinationTable): this {
    this.dashboard.addWidgets(heading(`### Coordination table ${coordination.node.id}`));
    this.dashboard.addWidgets(
      graph('Throttled requests', [tableThrottlesMetric(coordination.table)], [], 24),
    );
    return this;
  }
}
