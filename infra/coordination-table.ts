import { RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CoordinationKeys } from '../shared/coordination/keys.ts';
import { type AlarmDestinationProps, routeAlarms } from './alarms.ts';
import { createTableThrottleAlarm } from './table-monitoring.ts';

export interface CoordinationTableProps extends AlarmDestinationProps {
  /**
   * Throttled requests (reads + writes) in one minute that raise the throttle alarm: a throttled
   * lease renewal or idempotency write delays or retries work.
   * @default 1
   */
  readonly throttleAlarmThreshold?: number;
  /** @default - a name CloudFormation generates */
  readonly tableName?: string;
  /** @default RemovalPolicy.RETAIN (leases' token counters and idempotency records survive a stack delete) */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * The one table for leases, semaphore slots, schedule state and idempotency records.
 *
 * Key design (see `#shared/coordination/keys.ts`): partition key `pk` (string) only, items told
 * apart by prefix (`lease#`, `idem#`, `fence#`), every access a single-item conditional write or a
 * consistent GetItem, so no query, scan or index is needed and load spreads over partitions.
 * On-demand billing. TTL on `ttl` (epoch seconds) only collects garbage: lease expiry and
 * idempotency expiry are checked in condition expressions, never by waiting for TTL deletion
 * (best effort, typically within two days).
 *
 * @example
 * const coordination = new CoordinationTable(this, 'Coordination');
 * coordination.grantCoordination(myFunction);
 */
export class CoordinationTable extends Construct {
  public readonly table: dynamodb.Table;
  /** Throttled reads and writes on the table. */
  public readonly throttlesAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: CoordinationTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: CoordinationKeys.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: CoordinationKeys.ttlAttribute,
      // Encrypted at rest with the AWS owned key (DynamoDB always encrypts). AWS_MANAGED (KMS) is not
      // used: LocalStack's CreateTable fails with SSESpecification (reports "Table already exists").
      encryption: dynamodb.TableEncryption.DEFAULT,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.throttlesAlarm = createTableThrottleAlarm(
      this,
      'ThrottlesAlarm',
      this.table,
      props.throttleAlarmThreshold ?? 1,
      'leases, idempotency records, schedule state',
    );
    routeAlarms(this, [this.throttlesAlarm], props.alarmAction);
  }

  /** Read and conditional-write access (GetItem, UpdateItem, PutItem, TransactWriteItems, ...). */
  public grantCoordination(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadWriteData(grantee);
  }
}
