import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { vietnamDate } from './calendar/work-calendar.js';
import { Deadlines } from './deadlines.js';
import { DIGEST_SENDS } from './policies.js';

const digest = proxyActivities<Pick<Activities, 'sendDigests'>>(DIGEST_SENDS);

export interface DigestRun {
  readonly date: string;
  /** Why nothing was sent (a holiday, a weekend day off). */
  readonly skipped?: string;
  readonly recipients?: number;
  /** Messages this run added to the outbox; the relay delivers them. */
  readonly stored?: number;
  readonly delivery?: 'smtp' | 'local';
}

/**
 * The daily digest, started by the `daily-digest` Schedule at 07:30 Asia/Ho_Chi_Minh Monday–Saturday:
 * on a working day (holidays and make-up Saturdays as the calendar says) each recipient gets one message.
 */
export async function dailyDigestWorkflow(): Promise<DigestRun> {
  const date = vietnamDate(Date.now());
  if (!(await new Deadlines().isWorkingDay(date))) return { date, skipped: 'not a working day' };
  return { date, ...(await digest.sendDigests({ date })) };
}
