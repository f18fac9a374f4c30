/**
 * CalendarService: the working-day calendar for staff and integrations. Announced schedules live in
 * Postgres; every other year is derived from the law by the same pure module the workflows use.
 */
import { weekday, type IsoDate } from '../workflows/calendar/dates.js';
import { HOLIDAY_LABELS, type AnnouncedYear, type HolidayId, type ScheduleDay, type WorkWeek } from '../workflows/calendar/holidays.js';
import { scheduleProblems } from '../workflows/calendar/validate.js';
import { createWorkCalendar, type WorkCalendar } from '../workflows/calendar/work-calendar.js';
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { invalidateWorkCalendar, listAnnouncedYears, replaceAnnouncedYear } from '../infra/db/queries/calendar.js';
import type { Principal } from './auth/policy.js';
import type { CaseService } from './cases.js';
import { HttpError } from './http-errors.js';

const WEEKDAYS_VI = ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'];

export interface CalendarDayView extends ScheduleDay {
  readonly weekday: string;
  readonly holidayLabel: { readonly vi: string; readonly en: string } | null;
}

export interface CalendarYearView {
  readonly year: number;
  readonly week: WorkWeek;
  /** `announced`: a stored schedule covers some holidays; the rest (and `law` years) follow the Labor Code. */
  readonly source: 'announced' | 'law';
  readonly announcedBy: string | null;
  readonly version: number | null;
  readonly daysOff: CalendarDayView[];
  readonly makeUpDays: CalendarDayView[];
}

export interface CalendarService {
  year(year: number, week: WorkWeek): Promise<CalendarYearView>;
  saveYear(p: Principal, input: AnnouncedYear): Promise<CalendarYearView & { readonly casesNotified: number }>;
  calendar(week: WorkWeek): Promise<WorkCalendar>;
}

export function createCalendarService(deps: { pool: Pool; cases: Pick<CaseService, 'notifyCalendarChanged'> }): CalendarService {
  const load = async (week: WorkWeek) => {
    const stored = await listAnnouncedYears(deps.pool);
    return { stored, calendar: createWorkCalendar({ announced: stored, week }) };
  };

  const view = async (year: number, week: WorkWeek): Promise<CalendarYearView> => {
    const { stored, calendar } = await load(week);
    const announced = stored.find((y) => y.year === year);
    const days = calendar.schedule(year).map(
      (d): CalendarDayView => ({
        ...d,
        weekday: WEEKDAYS_VI[weekday(d.date)]!,
        holidayLabel: d.holiday ? HOLIDAY_LABELS[d.holiday as HolidayId] : null,
      }),
    );
    return {
      year,
      week,
      source: calendar.source(year),
      announcedBy: announced?.source ?? null,
      version: announced?.version ?? null,
      daysOff: days.filter((d) => d.kind !== 'make-up'),
      makeUpDays: days.filter((d) => d.kind === 'make-up'),
    };
  };

  return {
    year: view,
    calendar: async (week) => (await load(week)).calendar,
    async saveYear(p, input) {
      const problems = scheduleProblems(input.year, input.days);
      if (problems.length) {
        throw new HttpError(400, 'validation_failed', `Invalid calendar: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
      }
      await withTransaction(deps.pool, async (db) => {
        const version = await replaceAnnouncedYear(db, input);
        await appendAudit(db, {
          actorUserId: p.userId,
          actorIp: p.ip,
          action: 'calendar.year-saved',
          entityType: 'calendar-year',
          entityId: String(input.year),
          details: { version, days: input.days.length },
        });
      });
      invalidateWorkCalendar(deps.pool);
      // Due dates on or after 1 January of that year may move; earlier ones cannot.
      const casesNotified = await deps.cases.notifyCalendarChanged(`${input.year}-01-01` as IsoDate);
      return { ...(await view(input.year, 'mon-fri')), casesNotified };
    },
  };
}
