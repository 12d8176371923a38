import { createScheduleHandler } from 'lanes/runtime';
import { recordWindowRun } from '../domain/sample-sweep.ts';

/** Sample singleton schedule of Lanes-Coordination: records each (sub-)window it runs. */
export const handler = createScheduleHandler((window, context) =>
  recordWindowRun(window, context.tableName, context.source),
);
