/** SQL for the announced calendar schedules. */
import type { AnnouncedYear, ScheduleDay } from '../../../workflows/calendar/holidays.js';
import type { PoolClient, Queryable } from '../pool.js';
import { createWorkCalendar, type WorkCalendar } from '../../../workflows/calendar/work-calendar.js';

export interface StoredYear extends AnnouncedYear {
  readonly version: number;
  readonly updatedAt: string;
}

export async function listAnnouncedYears(db: Queryable, years?: readonly number[]): Promise<StoredYear[]> {
  const { rows } = await db.query<{ year: number; source: string; version: number; updatedAt: string; days: ScheduleDay[] }>(
    `SELECT y.year, y.source, y.version, to_json(y.updated_at) #>> '{}' AS "updatedAt",
            coalesce(json_agg(json_build_object('date', d.date, 'kind', d.kind, 'holiday', d.holiday, 'note', d.note)
                              ORDER BY d.date) FILTER (WHERE d.date IS NOT NULL), '[]') AS days
       FROM calendar_years y LEFT JOIN calendar_days d ON d.year = y.year
      WHERE $1::int[] IS NULL OR y.year = ANY($1::int[])
      GROUP BY y.year ORDER BY y.year`,
    [years ?? null],
  );
  return rows.map((r) => ({ ...r, days: r.days.map((d) => ({ ...d, note: d.note ?? undefined })) }));
}

/** Replaces a year's schedule (inside the caller's transaction); returns the new version. */
export async function replaceAnnouncedYear(db: PoolClient, year: AnnouncedYear): Promise<number> {
  const { rows } = await db.query<{ version: number }>(
    `INSERT INTO calendar_years (year, source) VALUES ($1, $2)
     ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, version = calendar_years.version + 1, updated_at = now()
     RETURNING version`,
    [year.year, year.source],
  );
  await db.query('DELETE FROM calendar_days WHERE year = $1', [year.year]);
  await insertDays(db, year);
  return rows[0]!.version;
}

/** Seeds a year only when it has no schedule yet: admins' corrections are never overwritten. */
export async function seedAnnouncedYear(db: PoolClient, year: AnnouncedYear): Promise<boolean> {
  const inserted = await db.query(`INSERT INTO calendar_years (year, source) VALUES ($1, $2) ON CONFLICT (year) DO NOTHING`, [
    year.year,
    year.source,
  ]);
  if (!inserted.rowCount) return false;
  await insertDays(db, year);
  return true;
}

async function insertDays(db: PoolClient, year: AnnouncedYear): Promise<void> {
  await db.query(
    `INSERT INTO calendar_days (date, year, kind, holiday, note)
     SELECT d.date, $1, d.kind, d.holiday, d.note
       FROM jsonb_to_recordset($2::jsonb) AS d(date date, kind text, holiday text, note text)`,
    [year.year, JSON.stringify(year.days)],
  );
}

/** The working-day calendar as stored now (announced years; the law for the others). */
export async function loadWorkCalendar(db: Queryable): Promise<WorkCalendar> {
  const years = await listAnnouncedYears(db);
  return createWorkCalendar({ announced: years.map(({ year, source, days }) => ({ year, source, days })) });
}

/** How long another process's calendar change may take to show here (this process's show at once). */
export const CALENDAR_CACHE_MS = 30_000;
const calendars = new WeakMap<Queryable, { at: number; calendar: Promise<WorkCalendar> }>();

/**
 * The calendar for hot read paths (every case list computes days overdue): loaded once and kept for
 * CALENDAR_CACHE_MS; `invalidateWorkCalendar` after a change made through this process.
 */
export function cachedWorkCalendar(db: Queryable): Promise<WorkCalendar> {
  const hit = calendars.get(db);
  if (hit && Date.now() - hit.at < CALENDAR_CACHE_MS) return hit.calendar;
  const calendar = loadWorkCalendar(db);
  calendars.set(db, { at: Date.now(), calendar });
  calendar.catch(() => calendars.delete(db)); // a failed load is not kept
  return calendar;
}

export function invalidateWorkCalendar(db: Queryable): void {
  calendars.delete(db);
}
