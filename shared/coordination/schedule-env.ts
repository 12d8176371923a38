/**
 * Environment variables the `SingletonSchedule` construct sets and `createScheduleHandler` reads.
 * Kept free of runtime dependencies so CDK code can import it.
 */
export const ScheduleEnv = {
  tableName: 'COORDINATION_TABLE_NAME',
  scheduleName: 'SCHEDULE_NAME',
  /** Window length in ms for rate schedules; absent for cron schedules. */
  intervalMs: 'SCHEDULE_INTERVAL_MS',
  /** The EventBridge cron expression of cron schedules, `cron(...)`; absent for rate schedules. */
  cron: 'SCHEDULE_CRON',
  catchUpWindows: 'SCHEDULE_CATCH_UP_WINDOWS',
  overlap: 'SCHEDULE_OVERLAP',
  partitions: 'SCHEDULE_PARTITIONS',
  leaseDurationMs: 'SCHEDULE_LEASE_DURATION_MS',
} as const;
