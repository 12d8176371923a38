import { createScheduleHandler } from 'lanes/runtime';

/** A singleton schedule: each window runs once, under a lease. */
export const handler = createScheduleHandler(async (window) => {
  console.log(`closing the books for ${new Date(window.startMs).toISOString()}`);
});
