/** Reference data every installation starts with; idempotent, never overwrites what admins changed. */
import { OFFICIAL_SCHEDULES } from '../../workflows/calendar/official-schedules.js';
import { scheduleProblems } from '../../workflows/calendar/validate.js';
import { withTransaction, type Pool } from './pool.js';
import { seedAnnouncedYear } from './queries/calendar.js';

export async function seedReferenceData(pool: Pool): Promise<string[]> {
  const seeded: string[] = [];
  for (const year of OFFICIAL_SCHEDULES) {
    const problems = scheduleProblems(year.year, year.days);
    if (problems.length) throw new Error(`seed calendar ${year.year} is invalid: ${JSON.stringify(problems)}`);
    if (await withTransaction(pool, (db) => seedAnnouncedYear(db, year))) seeded.push(`calendar ${year.year}`);
  }
  return seeded;
}
