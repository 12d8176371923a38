import { Duration, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { laneGroupId } from '../shared/ingress/lanes.ts';
import { type AlarmDestinationProps, routeAlarms } from './alarms.ts';
import { describeForDiscovery } from './discovery.ts';
import {
  allRuleAlarms,
  createRuleAlarms,
  newTargetDeadLetterQueue,
  type RuleAlarms,
  type RuleAlarmThresholds,
  type RuleMetrics,
  ruleMetrics,
  type TargetDeliveryProps,
  targetDeliveryRules,
} from './rule-monitoring.ts';
import { enforceRules } from './validation.ts';

/**
 * How the publisher reaches the component groups' queues.
 * - `direct`: SendMessageBatch to each matching group's queue; MessageGroupId derived from the
 *   partition key (`messageGroupIdFor`: the key itself when it is a valid group id).
 * - `eventbridge`: PutEvents to a bus; the publisher stamps a lane (stable hash of the partition
 *   key modulo `lanes`) and one rule per group and lane delivers with MessageGroupId `lane-<n>`.
 * - `both`: the two side by side on the same queues (the reference pipeline uses it).
 */
export const INGRESS_MODE = {
  DIRECT: 'direct',
  EVENTBRIDGE: 'eventbridge',
  BOTH: 'both',
} as const;
export type IngressMode = (typeof INGRESS_MODE)[keyof typeof INGRESS_MODE];

/** Limits the ingress rules enforce. */
export const INGRESS_LIMITS = {
  /** Default EventBridge quota of rules per bus (adjustable). */
  MAX_RULES_PER_BUS: 300,
  MAX_LANES: 100,
} as const;

/** A component group: a queue (usually a Worker's) that receives the event types it subscribes to. */
export interface ComponentGroup {
  /** Name used in construct ids and in the routes table; letters and digits only. */
  readonly name: string;
  /**
   * Event type prefixes this group receives (`orders.` for every order event). A type matching
   * several groups is fanned out to each.
   */
  readonly typePrefixes: readonly string[];
  /** The group's queue; FIFO queues keep per-key order. */
  readonly queue: sqs.IQueue;
  /**
   * Fair mode (SQS fair queues): the queue is a standard queue and the publisher gives every
   * message MessageGroupId = its partition key, so each key (tenant) is a tenant to SQS, which
   * moves a noisy tenant's messages back behind the quiet ones'. No per-key order, keys are
   * processed in parallel; pair it with the runtime's `keyConcurrency` `limit(k)` for a hard cap
   * per tenant. Direct mode only: an EventBridge rule cannot set a per-key MessageGroupId.
   * @default false
   */
  readonly fair?: boolean;
}

/** One entry of the routing table the direct publisher uses. */
export interface IngressRoute {
  readonly group: string;
  readonly typePrefixes: readonly string[];
  readonly queueUrl: string;
  readonly fifo: boolean;
  /** A fair queue: the publisher sets MessageGroupId = partition key on a standard queue. */
  readonly fair: boolean;
}

export interface IngressProps extends AlarmDestinationProps, TargetDeliveryProps {
  /**
   * Name of the ingress in `lanes dlq list --ingress <name>`.
   * @default - the construct id
   */
  readonly name?: string;
  /** @default 'direct' */
  readonly mode?: IngressMode;
  /** The component groups, at least one. */
  readonly groups: readonly ComponentGroup[];
  /**
   * Number of lanes (message groups per FIFO group) in EventBridge mode: the parallelism per group.
   * Changing it re-maps keys to lanes: events of one key published before and after the change can
   * sit in two lanes and be processed out of order. Change it safely by draining first (stop
   * publishers, wait for the queues to empty), then deploy the new count and restart publishers
   * with it.
   * @default 8
   */
  readonly lanes?: number;
  /**
   * An existing event bus to attach the lane rules to (EventBridge modes).
   * @default - a new event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Keep an EventBridge archive of every event on the bus, for replay.
   * @default true
   */
  readonly archive?: boolean;
  /** @default Duration.days(7) */
  readonly archiveRetention?: Duration;
  /**
   * Thresholds of the alarms on the rules' deliveries and the target DLQ (EventBridge modes).
   * @default - 1 of each per minute
   */
  readonly alarmThresholds?: RuleAlarmThresholds;
  /** What happens to the target DLQ the Ingress creates. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Partitioned ingress: routes events by type prefix to component groups, each with its own queue
 * and worker, keeping per-key order on FIFO queues, directly or over EventBridge lanes.
 *
 * EventBridge can put only a static MessageGroupId on an SQS FIFO target (aws-cdk #32965), so a
 * per-key group is impossible through a rule: the publisher computes a lane from a stable hash of
 * the partition key and this construct creates one rule per (FIFO group, lane) that matches
 * `detail.lane` and delivers with MessageGroupId `lane-<n>`. N lanes give N-way parallelism per
 * group; events of one key share a lane, so their order on the queue is their delivery order.
 * EventBridge itself does not promise delivery order to targets: strict per-key order across the
 * bus holds when the publisher sends one event of a key at a time (the lanes publisher does).
 *
 * @example
 * const ingress = new Ingress(this, 'Ingress', {
 *   mode: 'both',
 *   lanes: 8,
 *   groups: [
 *     { name: 'orders', typePrefixes: ['orders.'], queue: orders.queue },
 *     { name: 'notifications', typePrefixes: ['orders.'], queue: notifications.queue },
 *   ],
 * });
 * ingress.grantPublish(producerRole);
 */
export class Ingress extends Construct {
  public readonly mode: IngressMode;
  /** Lane count (EventBridge modes), 0 in direct mode. */
  public readonly lanes: number;
  /** The bus events are put on (EventBridge modes). */
  public readonly eventBus: events.IEventBus | undefined;
  /** The archive of the bus, when created. */
  public readonly archive: events.Archive | undefined;
  /** Lane rules, by group name. */
  public readonly rules: Readonly<Record<string, readonly events.Rule[]>>;
  /** The routing table for direct publishing. */
  public readonly routes: readonly IngressRoute[];
  /** The ingress's name in the `lanes` CLI. */
  public readonly name: string;
  /** Where EventBridge puts the events it could not deliver (EventBridge modes). */
  public readonly deadLetterQueue: sqs.IQueue | undefined;
  /** The rules' delivery metrics (EventBridge modes). */
  public readonly metrics: RuleMetrics | undefined;
  /** The alarms on the rules' deliveries (EventBridge modes). */
  public readonly alarms: RuleAlarms | undefined;
  readonly #groups: readonly ComponentGroup[];

  constructor(scope: Construct, id: string, props: IngressProps) {
    super(scope, id);
    this.mode = props.mode ?? INGRESS_MODE.DIRECT;
    this.name = props.name ?? id;
    const usesBus = this.mode !== INGRESS_MODE.DIRECT;
    const lanes = props.lanes ?? 8;
    const names = props.groups.map((group) => group.name);
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    const badNames = names.filter((name) => !/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name));
    const emptyPrefixes = props.groups.filter(
      (group) => group.typePrefixes.length === 0 || group.typePrefixes.some((p) => p.length === 0),
    );
    const fifoGroups = props.groups.filter((group) => group.queue.fifo).length;
    const fairFifo = props.groups.filter((group) => group.fair && group.queue.fifo);
    const fairGroups = props.groups.filter((group) => group.fair);
    const ruleCount = fifoGroups * lanes + (props.groups.length - fifoGroups);
    enforceRules(this, [
      {
        broken: !Object.values(INGRESS_MODE).includes(this.mode),
        message: () =>
          `mode must be one of ${Object.values(INGRESS_MODE).join(', ')} (given ${JSON.stringify(this.mode)}).`,
      },
      {
        broken: props.groups.length === 0,
        message: () => 'groups must name at least one component group (given none).',
      },
      {
        broken: duplicates.length > 0,
        message: () =>
          `group names must be unique (given ${duplicates.join(', ')} more than once); rename one.`,
      },
      {
        broken: badNames.length > 0,
        message: () =>
          `group names must be 1-64 letters and digits starting with a letter (given ${badNames.map((n) => JSON.stringify(n)).join(', ')}).`,
      },
      {
        broken: emptyPrefixes.length > 0,
        message: () =>
          `every group needs at least one non-empty type prefix (group ${emptyPrefixes.map((g) => g.name).join(', ')} has none); use e.g. 'orders.'.`,
      },
      {
        broken:
          usesBus &&
          !Token.isUnresolved(lanes) &&
          (!Number.isInteger(lanes) || lanes < 1 || lanes > INGRESS_LIMITS.MAX_LANES),
        message: () =>
          `lanes must be an integer between 1 and ${INGRESS_LIMITS.MAX_LANES} (given ${lanes}); it is the per-group parallelism over EventBridge.`,
      },
      {
        broken: usesBus && ruleCount > INGRESS_LIMITS.MAX_RULES_PER_BUS,
        message: () =>
          `${fifoGroups} FIFO groups x ${lanes} lanes need ${ruleCount} rules, above EventBridge's default quota of ${INGRESS_LIMITS.MAX_RULES_PER_BUS} rules per bus; lower lanes or raise the quota and split the bus.`,
      },
      {
        broken: props.name !== undefined && !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(props.name),
        message: () =>
          `name must be 1-64 of A-Z a-z 0-9 _ - starting with a letter (given ${JSON.stringify(props.name)}); it is how lanes dlq list --ingress finds it.`,
      },
      ...targetDeliveryRules(props),
      {
        broken:
          !usesBus &&
          (props.deadLetterQueue !== undefined ||
            props.retryAttempts !== undefined ||
            props.maxEventAge !== undefined),
        message: () =>
          `deadLetterQueue, retryAttempts and maxEventAge only apply to the EventBridge targets of the eventbridge and both modes (given mode ${this.mode}); remove them or change mode.`,
      },
      {
        broken: fairFifo.length > 0,
        message: () =>
          `fair groups need a standard queue (group ${fairFifo.map((g) => g.name).join(', ')} has a FIFO queue): SQS fair queues are standard queues with a MessageGroupId per tenant. Use a standard queue (Worker fifo: false) or drop fair for per-key order.`,
      },
      {
        broken: usesBus && fairGroups.length > 0,
        message: () =>
          `fair groups need mode direct (given mode ${this.mode}, fair group ${fairGroups.map((g) => g.name).join(', ')}): an EventBridge rule can set only a static MessageGroupId, so events over the bus would reach the queue without their tenant. Use mode direct, or drop fair.`,
      },
      {
        broken: !usesBus && (props.eventBus !== undefined || props.lanes !== undefined),
        message: () =>
          `eventBus and lanes only apply to the eventbridge and both modes (given mode ${this.mode}); remove them or change mode.`,
      },
    ]);
    this.#groups = props.groups;
    this.lanes = usesBus ? lanes : 0;
    this.routes = props.groups.map((group) => ({
      group: group.name,
      typePrefixes: [...group.typePrefixes],
      queueUrl: group.queue.queueUrl,
      fifo: group.queue.fifo,
      fair: group.fair ?? false,
    }));

    const rules: Record<string, events.Rule[]> = {};
    if (!usesBus) {
      this.rules = rules;
      return;
    }
    const bus = props.eventBus ?? new events.EventBus(this, 'Bus');
    const deadLetterQueue =
      props.deadLetterQueue ??
      newTargetDeadLetterQueue(this, 'TargetDeadLetterQueue', props.removalPolicy);
    this.deadLetterQueue = deadLetterQueue;
    // No event is dropped silently: retried for a day, then kept in the DLQ with the error.
    const delivery = {
      deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 185,
      maxEventAge: props.maxEventAge ?? Duration.hours(24),
    };
    this.eventBus = bus;
    if (props.archive ?? true) {
      this.archive = new events.Archive(this, 'Archive', {
        sourceEventBus: bus,
        description: `Every event on ${this.node.path}, for replay`,
        eventPattern: { account: [Stack.of(this).account] },
        retention: props.archiveRetention ?? Duration.days(7),
      });
    }
    for (const group of props.groups) {
      const detailType = events.Match.anyOf(
        ...group.typePrefixes.map((p) => events.Match.prefix(p)),
      );
      rules[group.name] = group.queue.fifo
        ? Array.from(
            { length: lanes },
            (_, lane) =>
              new events.Rule(this, `${group.name}Lane${lane}`, {
                eventBus: bus,
                description: `${group.typePrefixes.join(' ')} on lane ${lane} to ${group.name}`,
                eventPattern: { detailType, detail: { lane: [lane] } },
                targets: [
                  new targets.SqsQueue(group.queue, {
                    messageGroupId: laneGroupId(lane),
                    ...delivery,
                  }),
                ],
              }),
          )
        : [
            new events.Rule(this, `${group.name}AllLanes`, {
              eventBus: bus,
              description: `${group.typePrefixes.join(' ')} to ${group.name}`,
              eventPattern: { detailType },
              targets: [new targets.SqsQueue(group.queue, delivery)],
            }),
          ];
    }
    this.rules = rules;
    this.metrics = ruleMetrics(
      Object.values(rules).flat(),
      bus,
      deadLetterQueue,
      props.alarmThresholds?.period,
    );
    this.alarms = createRuleAlarms(this, this.metrics, this.node.path, props.alarmThresholds);
    routeAlarms(this, allRuleAlarms(this.alarms), props.alarmAction);
    describeForDiscovery(this, {
      kind: 'ingress',
      name: this.name,
      eventBusName: bus.eventBusName,
      deadLetterQueueUrl: deadLetterQueue.queueUrl,
      groups: props.groups.map((group) => ({ name: group.name, queueUrl: group.queue.queueUrl })),
    });
  }

  /** The routing table as a JSON string (for a CfnOutput or an environment variable). */
  get routesJson(): string {
    return Stack.of(this).toJsonString(this.routes);
  }

  /**
   * Lets a producer publish: SendMessage on every group queue, PutEvents on the bus.
   * @returns the grants combined
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    const grants: iam.Grant[] = [];
    if (this.mode !== INGRESS_MODE.EVENTBRIDGE) {
      for (const group of this.#groups) grants.push(group.queue.grantSendMessages(grantee));
    }
    if (this.eventBus) grants.push(this.eventBus.grantPutEventsTo(grantee));
    return grants.reduce((all, grant) => all.combine(grant), iam.Grant.drop(grantee, 'publish'));
  }
}

/** The SQS message group id of a lane: the publisher's `laneGroupId`, so both sides agree. */
export { laneGroupId };
