import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import {
  AlarmTopic,
  CoordinationTable,
  PipelineDashboard,
  SingletonScheduledFunction,
} from 'lanes/constructs';
import { functionEntry, referenceFunctionProps } from './function-props.ts';

/** Output keys of Lanes-Coordination; tests and benchmarks read them by these names. */
export const COORDINATION_OUTPUTS = {
  TABLE_NAME: 'CoordinationTableName',
  SAMPLE_FUNCTION_NAME: 'SampleScheduleFunctionName',
  SAMPLE_SCHEDULE_NAME: 'SampleScheduleName',
  SAMPLE_RULE_NAME: 'SampleScheduleRuleName',
} as const;

/**
 * The coordination table and a sample singleton schedule: every minute, two partitions of the
 * minute, catch-up of up to 3 missed minutes, overlapping triggers skipped.
 */
export class CoordinationStack extends Stack {
  public readonly coordination: CoordinationTable;
  public readonly sample: SingletonScheduledFunction;
  public readonly alarms: AlarmTopic;
  public readonly dashboard: PipelineDashboard;

  public constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.alarms = new AlarmTopic(this, 'Alarms');
    const alarmAction = this.alarms.topic;
    this.coordination = new CoordinationTable(this, 'Coordination', {
      // A reference stack: removable.
      removalPolicy: RemovalPolicy.DESTROY,
      alarmAction,
    });
    this.sample = new SingletonScheduledFunction(this, 'SampleSchedule', {
      functionProps: referenceFunctionProps,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      table: this.coordination.table,
      entry: functionEntry('scheduler-sample'),
      scheduleName: 'sample',
      partitions: 2,
      catchUpWindows: 3,
      timeout: Duration.seconds(30),
      alarmAction,
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      schedules: [this.sample],
      coordinationTables: [this.coordination],
    });
    new CfnOutput(this, COORDINATION_OUTPUTS.TABLE_NAME, {
      value: this.coordination.table.tableName,
    });
    new CfnOutput(this, COORDINATION_OUTPUTS.SAMPLE_FUNCTION_NAME, {
      value: this.sample.function.functionName,
    });
    new CfnOutput(this, COORDINATION_OUTPUTS.SAMPLE_SCHEDULE_NAME, {
      value: this.sample.scheduleName,
    });
    new CfnOutput(this, COORDINATION_OUTPUTS.SAMPLE_RULE_NAME, {
      value: this.sample.rule.ruleName,
    });
  }
}
