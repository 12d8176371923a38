import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appContext, everyConstructStack, referenceStacks } from '#test/infra/support/stacks.ts';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly metrics?: readonly unknown[][];
    readonly annotations?: { readonly horizontal?: readonly { label?: string; value: number }[] };
  };
}

/** The dashboard body as JSON: tokens (queue names, function names) become "TOKEN". */
function dashboardWidgets(template: Template): Widget[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = (dashboard as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : ((body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] as unknown[])
          .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
          .join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

/** Rows of widgets under each `### <heading>` text widget. */
function sections(widgets: readonly Widget[]): Map<string, Widget[]> {
  const out = new Map<string, Widget[]>();
  let current = '';
  for (const widget of widgets) {
    if (widget.type === 'text') {
      current = (widget.properties.markdown ?? '').replace(/^#+\s*/, '');
      out.set(current, []);
    } else out.get(current)?.push(widget);
  }
  return out;
}

/** The metric names a widget charts (plain metrics and those inside math expressions). */
function metricNames(widget: Widget): string[] {
  return (widget.properties.metrics ?? [])
    .map((row) => row.filter((cell) => typeof cell === 'string'))
    .map((cells) => cells[1] as string)
    .filter(Boolean);
}

function statsOf(widget: Widget): string[] {
  return (widget.properties.metrics ?? [])
    .map((row) => row.find((cell) => typeof cell === 'object') as { stat?: string } | undefined)
    .map((options) => options?.stat ?? '');
}

const app = new App({ context: appContext() });
const [pipeline, workflows] = referenceStacks(app);
const every = everyConstructStack(app);

describe('PipelineDashboard', () => {
  const pipelineSections = sections(dashboardWidgets(Template.fromStack(pipeline as never)));
  const workflowSections = sections(dashboardWidgets(Template.fromStack(workflows as never)));
  const everySections = sections(dashboardWidgets(Template.fromStack(every)));

  it('has one section per component of the pipeline', () => {
    expect([...pipelineSections.keys()].filter(Boolean)).toEqual([
      'Worker orders',
      'Worker notifications',
      'Ingress Ingress',
      'Coordination table Coordination',
    ]);
    expect([...workflowSections.keys()].filter(Boolean)).toEqual([
      'Worker workflow-starter',
      'Worker workflow-steps',
      'Workflow order-fulfilment-direct',
      'Workflow order-fulfilment-queue',
    ]);
  });

  it.each(['orders', 'notifications'])(
    'worker %s: a widget for backlog, age, concurrency, throttles, events, latency, DLQ depth and duration',
    (name) => {
      const widgets = pipelineSections.get(`Worker ${name}`) ?? [];
      const byTitle = Object.fromEntries(widgets.map((w) => [w.properties.title, w]));
      expect(Object.keys(byTitle)).toEqual([
        'Backlog',
        'Oldest message age (s)',
        'Concurrency',
        'Throttles and errors',
        'Events',
        'End-to-end latency (ms)',
        'DLQ depth',
        'Duration (ms)',
      ]);
      const names = (title: string) => metricNames(byTitle[title] as Widget);
      expect(names('Backlog')).toEqual([
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesNotVisible',
      ]);
      expect(names('Oldest message age (s)')).toEqual(['ApproximateAgeOfOldestMessage']);
      expect(names('Concurrency')).toEqual(['ConcurrentExecutions']);
      expect(names('Throttles and errors')).toEqual(['Throttles', 'Errors']);
      expect(names('Events')).toEqual(['EventsProcessed', 'EventsFailed', 'EventsDeadLettered']);
      expect(names('End-to-end latency (ms)')).toEqual(['EndToEndLatency', 'EndToEndLatency']);
      expect(statsOf(byTitle['End-to-end latency (ms)'] as Widget)).toEqual(['p50', 'p99']);
      expect(names('DLQ depth')).toEqual(['ApproximateNumberOfMessagesVisible']);
      expect(names('Duration (ms)')).toEqual(['Duration']);
      // The runtime's metrics: namespace lanes, the worker's service.
      for (const row of (byTitle.Events as Widget).properties.metrics ?? []) {
        expect(row.slice(0, 4)).toEqual(['lanes', expect.any(String), 'service', name]);
      }
    },
  );

  it("shows a worker's concurrency against its caps", () => {
    const concurrency = (pipelineSections.get('Worker orders') ?? []).find(
      (w) => w.properties.title === 'Concurrency',
    );
    expect(concurrency?.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 10, label: 'maxConcurrency (mappings)' }),
      expect.objectContaining({ value: 10, label: 'reserved concurrency' }),
    ]);
  });

  it('ingress: EventBridge failed, dead-lettered and lost invocations of every rule, and the target DLQ', () => {
    const [deliveries, dlq] = pipelineSections.get('Ingress Ingress') ?? [];
    const names = metricNames(deliveries as Widget);
    // 9 rules x 3 metrics.
    expect(names.filter((n) => n === 'FailedInvocations')).toHaveLength(9);
    expect(names.filter((n) => n === 'InvocationsSentToDlq')).toHaveLength(9);
    expect(names.filter((n) => n === 'InvocationsFailedToBeSentToDlq')).toHaveLength(9);
    expect(metricNames(dlq as Widget)).toEqual(['ApproximateNumberOfMessagesVisible']);
  });

  it.each(['order-fulfilment-direct', 'order-fulfilment-queue'])(
    'workflow %s: executions started, succeeded, failed, timed out, throttled',
    (name) => {
      const [executions] = workflowSections.get(`Workflow ${name}`) ?? [];
      expect(metricNames(executions as Widget)).toEqual([
        'ExecutionsStarted',
        'ExecutionsSucceeded',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
        'ExecutionThrottled',
      ]);
    },
  );

  it('schedule and coordination table: heartbeat, errors, target DLQ, throttled requests', () => {
    const schedule =
      [...everySections.entries()].find(([k]) => k.startsWith('Schedule'))?.[1] ?? [];
    expect(schedule.map(metricNames)).toEqual([
      ['ScheduleHeartbeat'],
      ['Errors'],
      ['ApproximateNumberOfMessagesVisible'],
    ]);
    const [table] = everySections.get('Coordination table Coordination') ?? [];
    expect(metricNames(table as Widget)).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
  });
});
