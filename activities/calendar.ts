import type { Pool } from '../infra/db/pool.js';
import { listAnnouncedYears } from '../infra/db/queries/calendar.js';
import type { CalendarData } from '../workflows/definitions.js';

export function calendarActivities(deps: { pool: Pool }) {
  return {
    /** The announced schedules; the workflow derives every other year from the law (pure code). */
    async loadCalendar(): Promise<CalendarData> {
      const years = await listAnnouncedYears(deps.pool);
      return { announced: years.map(({ year, source, days }) => ({ year, source, days })) };
    },
  };
}
