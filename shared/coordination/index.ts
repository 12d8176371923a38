export { type Clock, ManualClock, systemClock } from './clock.ts';
export { DynamoDBLeaseStore, type DynamoDBLeaseStoreOptions } from './dynamodb-lease-store.ts';
export * from './errors.ts';
export { DEFAULT_FENCE_ATTRIBUTE, FencedWriter, fencePut, fenceUpdate } from './fencing.ts';
export {
  KeyConcurrency,
  type KeyConcurrencyOptions,
  KeyPolicies,
  type KeyPolicy,
  type KeyRunOutcome,
  planQueueRetry,
} from './key-policy.ts';
export { CoordinationKeys, LeaseAttributes } from './keys.ts';
export {
  type Lease,
  type LeaseRecord,
  LeaseStore,
  type LeaseStoreOptions,
} from './lease.ts';
export { powertoolsIdempotency } from './powertools-idempotency.ts';
export {
  OverlapPolicy,
  type ScheduleWindow,
  SingletonSchedule,
  type SingletonScheduleOptions,
} from './schedule.ts';
export { ScheduleEnv } from './schedule-env.ts';
export { type Permit, Semaphore } from './semaphore.ts';
export {
  type CoalescedRun,
  hashPayload,
  TransactionalIdempotency,
} from './transactional-idempotency.ts';
