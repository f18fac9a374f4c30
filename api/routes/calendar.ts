/** /api/v1/calendar: the year's days off, working-day arithmetic, and (admin) a year's announced schedule. */
import { z } from 'zod';
import { DAY_KINDS, HOLIDAYS, WORK_WEEKS, type WorkWeek } from '../../workflows/calendar/holidays.js';
import { CALENDAR_MAX_YEAR, CALENDAR_MIN_YEAR, MAX_WORKING_DAYS } from '../../workflows/calendar/work-calendar.js';
import type { CalendarService } from '../calendar.js';
import { principal, type RouteDef } from '../routing.js';
import { isoDate, line, parse } from '../validation.js';

const week = z.enum(WORK_WEEKS as [WorkWeek, ...WorkWeek[]], { error: 'must be mon-fri or mon-sat' }).default('mon-fri');
const calendarDate = isoDate({ min: `${CALENDAR_MIN_YEAR}-01-01` }).refine((d) => d <= `${CALENDAR_MAX_YEAR}-12-31`, {
  message: `must be on or before ${CALENDAR_MAX_YEAR}-12-31`,
  params: { rule: 'max' },
});

const YearParams = z.strictObject({
  year: z.coerce
    .number({ error: 'must be a year such as 2026' })
    .int('must be a whole year')
    .min(CALENDAR_MIN_YEAR, `must be ${CALENDAR_MIN_YEAR} or later`)
    .max(CALENDAR_MAX_YEAR, `must be ${CALENDAR_MAX_YEAR} or earlier`),
});
const YearQuery = z.strictObject({ week });
const AddQuery = z.strictObject({
  from: calendarDate,
  days: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(MAX_WORKING_DAYS, `must be at most ${MAX_WORKING_DAYS}`),
  week,
});
const BetweenQuery = z.strictObject({ from: calendarDate, to: calendarDate, week });
export const YearBody = z.strictObject({
  source: line(1000),
  days: z
    .array(
      z.strictObject({
        date: isoDate(),
        kind: z.enum(DAY_KINDS, { error: `must be one of ${DAY_KINDS.join(', ')}` }),
        holiday: z.enum(HOLIDAYS, { error: `must be one of ${HOLIDAYS.join(', ')}` }).nullable().default(null),
        note: line(300).optional(),
      }),
      { error: 'must be a list of days' },
    )
    .max(100, 'must list at most 100 days'),
});

const tags = ['Calendar'];
const weekNote = '`week=mon-sat` for organizations with six-day weeks.';

export function calendarRoutes(calendar: CalendarService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/add-working-days',
      action: 'calendar.read',
      doc: { summary: 'The N-th working day after a date', description: weekNote, tags, query: AddQuery, responseDescription: '`{ from, days, week, date }`' },
      handler: async (req, res) => {
        const q = parse(AddQuery, req.query, 'query');
        const cal = await calendar.calendar(q.week);
        res.json({ from: q.from, days: q.days, week: q.week, date: cal.addWorkingDays(q.from, q.days) });
      },
    },
    {
      method: 'get',
      path: '/working-days-between',
      action: 'calendar.read',
      doc: { summary: 'Working days in (from, to]', description: weekNote, tags, query: BetweenQuery, responseDescription: '`{ from, to, week, workingDays }`' },
      handler: async (req, res) => {
        const q = parse(BetweenQuery, req.query, 'query');
        const cal = await calendar.calendar(q.week);
        res.json({ from: q.from, to: q.to, week: q.week, workingDays: cal.workingDaysBetween(q.from, q.to) });
      },
    },
    {
      method: 'get',
      path: '/:year',
      action: 'calendar.read',
      doc: {
        summary: "A year's days off and make-up working days",
        description: `Holidays, compensatory days and bridges, with the holiday's name; \`source\` is \`announced\` or \`law\`. ${weekNote}`,
        tags,
        params: YearParams,
        query: YearQuery,
      },
      handler: async (req, res) => {
        const { year } = parse(YearParams, req.params, 'path');
        const q = parse(YearQuery, req.query, 'query');
        res.json(await calendar.year(year, q.week));
      },
    },
    {
      method: 'put',
      path: '/:year',
      action: 'calendar.write',
      doc: {
        summary: "Admin: set a year's announced schedule",
        description: 'Replaces the law-derived days of the holidays it lists; open cases due that year or later recompute their due dates.',
        tags,
        params: YearParams,
        body: YearBody,
      },
      handler: async (req, res) => {
        const { year } = parse(YearParams, req.params, 'path');
        const body = parse(YearBody, req.body, 'body');
        res.json(await calendar.saveYear(principal(req), { year, source: body.source, days: body.days }));
      },
    },
  ];
}
