/**
 * Temporal Schedules the engine needs, created at start-up and idempotent: an existing schedule is
 * updated to the current spec and task queue instead of duplicated.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';

export const DIGEST_SCHEDULE_ID = 'daily-digest';

export function digestSchedule(taskQueue: string): ScheduleOptions {
  return {
    scheduleId: DIGEST_SCHEDULE_ID,
    // Monday–Saturday at 07:30 in Vietnam; the workflow skips days off (and runs on make-up Saturdays).
    spec: { calendars: [{ hour: 7, minute: 30, dayOfWeek: [{ start: 'MONDAY', end: 'SATURDAY' }] }], timezone: 'Asia/Ho_Chi_Minh' },
    action: { type: 'startWorkflow', workflowType: 'dailyDigestWorkflow', taskQueue, args: [] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
  };
}

/** Creates the digest schedule, or brings an existing one up to date. Returns what it did. */
export async function ensureDigestSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  const options = digestSchedule(taskQueue);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(DIGEST_SCHEDULE_ID).update((previous) => ({ ...previous, spec: options.spec, action: options.action }));
    return 'updated';
  }
}
