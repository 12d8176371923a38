import { recordWindowRun } from '#shared/coordination/sample-sweep.ts';
import { createScheduleHandler } from '#shared/coordination/schedule-handler.ts';

/** Sample singleton schedule of Lanes-Coordination: records each (sub-)window it runs. */
export const handler = createScheduleHandler((window, context) =>
  recordWindowRun(window, context.tableName, context.source),
);
