/**
 * Working days and deadlines "in working days" (domain.md §3.2), as pure functions over a calendar built
 * from the law and the announced schedules. Deterministic: the workflows build one from data an activity
 * loaded; the API builds one from Postgres.
 *
 * Counting convention (Civil Code 2015 art. 147–148): the day of the event is not counted; counting starts
 * the next day; a period of N working days ends on the N-th working day after the event (so it can never
 * end on a weekend or a day off).
 */
import { fromDayNumber, InvalidDateError, parts, toDayNumber, type IsoDate } from './dates.js';
import { isWeeklyRestDay, yearSchedule, type AnnouncedYear, type ScheduleDay, type WorkWeek } from './holidays.js';

/** Years the calendar answers for (the lunar conversion covers 1900–2100; Tết of a year needs the year before). */
export const CALENDAR_MIN_YEAR = 1901;
export const CALENDAR_MAX_YEAR = 2099;
/** The longest period we count: ten years of working days, far beyond any procedure deadline. */
export const MAX_WORKING_DAYS = 2_600;

export interface WorkCalendarOptions {
  readonly announced?: readonly AnnouncedYear[];
  readonly week?: WorkWeek;
}

export interface DayInfo {
  readonly date: IsoDate;
  readonly working: boolean;
  /** Why a weekday is off or a weekend day is worked; absent for an ordinary day. */
  readonly schedule?: ScheduleDay;
  readonly weeklyRest: boolean;
}

export interface WorkCalendar {
  readonly week: WorkWeek;
  isWorkingDay(date: IsoDate): boolean;
  /** The N-th working day after `date` (N ≥ 0; N = 0 gives `date` itself). */
  addWorkingDays(date: IsoDate, n: number): IsoDate;
  /** Working days in (from, to]; negative when `to` is before `from`. */
  workingDaysBetween(from: IsoDate, to: IsoDate): number;
  dayInfo(date: IsoDate): DayInfo;
  /** The year's days off beyond the weekly rest days, and its make-up working days, in date order. */
  schedule(year: number): readonly ScheduleDay[];
  /** 'announced' when the year has a stored schedule, else 'law'. */
  source(year: number): 'announced' | 'law';
}

export function createWorkCalendar(options: WorkCalendarOptions = {}): WorkCalendar {
  const week = options.week ?? 'mon-fri';
  const announced = new Map((options.announced ?? []).map((a) => [a.year, a]));
  const years = new Map<number, YearTable>();

  // One table per year: its schedule, and a working/not-working flag per day so that counting is a walk
  // over an array (deadlines are counted on every step of every case).
  const table = (year: number): YearTable => {
    checkYear(year);
    let t = years.get(year);
    if (!t) {
      const days = yearSchedule(year, announced.get(year), week);
      const start = toDayNumber(`${String(year).padStart(4, '0')}-01-01`);
      const end = toDayNumber(`${String(year).padStart(4, '0')}-12-31`);
      const working = new Uint8Array(end - start + 1);
      for (let i = 0; i < working.length; i += 1) {
        const wd = (((start + i) % 7) + 11) % 7;
        working[i] = wd === 0 || (week === 'mon-fri' && wd === 6) ? 0 : 1;
      }
      for (const d of days) working[toDayNumber(d.date) - start] = d.kind === 'make-up' ? 1 : 0;
      const through = new Uint16Array(working.length);
      for (let i = 0, n = 0; i < working.length; i += 1) through[i] = n += working[i]!;
      t = { year, start, end, working, through, days, byDate: new Map(days.map((d) => [d.date, d])) };
      years.set(year, t);
    }
    return t;
  };

  /** Walks day numbers, switching year tables at year ends. */
  const cursor = (startYear: number) => {
    let t = table(startYear);
    return (day: number): boolean => {
      if (day > t.end) t = table(t.year + 1);
      else if (day < t.start) t = table(t.year - 1);
      return t.working[day - t.start] === 1;
    };
  };

  const isWorkingDay = (date: IsoDate): boolean => {
    const t = table(parts(date).year);
    return t.working[toDayNumber(date) - t.start] === 1;
  };

  const countInteger = (n: number, name: string) => {
    if (!Number.isInteger(n)) throw new InvalidDateError(`${name} must be a whole number of working days, got ${n}`);
    if (n < 0) throw new InvalidDateError(`${name} must not be negative, got ${n}`);
    if (n > MAX_WORKING_DAYS) throw new InvalidDateError(`${name} must be at most ${MAX_WORKING_DAYS}, got ${n}`);
  };

  return {
    week,
    isWorkingDay,
    addWorkingDays(date, n) {
      countInteger(n, 'days');
      let day = toDayNumber(date);
      const working = cursor(parts(date).year);
      for (let left = n; left > 0; ) {
        day += 1;
        if (working(day)) left -= 1;
      }
      return fromDayNumber(day);
    },
    workingDaysBetween(from, to) {
      const a = toDayNumber(from);
      const b = toDayNumber(to);
      const [lo, hi, sign] = a <= b ? [a, b, 1] : [b, a, -1];
      if (hi - lo > MAX_WORKING_DAYS * 2) {
        throw new InvalidDateError(`the dates ${from} and ${to} are too far apart to count (more than ${MAX_WORKING_DAYS * 2} days)`);
      }
      // Working days from each year's 1 January through a day, summed over the years between (a list of
      // overdue cases counts this for every row).
      const loT = table(parts(fromDayNumber(lo)).year);
      const hiT = table(parts(fromDayNumber(hi)).year);
      let count = hiT.through[hi - hiT.start]! - loT.through[lo - loT.start]!;
      for (let y = loT.year; y < hiT.year; y += 1) count += table(y).through.at(-1)!;
      return sign * count;
    },
    dayInfo(date) {
      const schedule = table(parts(date).year).byDate.get(date);
      return { date, working: isWorkingDay(date), weeklyRest: isWeeklyRestDay(date, week), ...(schedule ? { schedule } : {}) };
    },
    schedule: (year) => table(year).days,
    source: (year) => (checkYear(year), announced.has(year) ? 'announced' : 'law'),
  };
}

interface YearTable {
  readonly year: number;
  readonly start: number;
  readonly end: number;
  /** 1 = working day, indexed by day number − start. */
  readonly working: Uint8Array;
  /** Working days from 1 January through the day, same index. */
  readonly through: Uint16Array;
  readonly days: ScheduleDay[];
  readonly byDate: Map<IsoDate, ScheduleDay>;
}

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR) {
    throw new InvalidDateError(`year ${year} is outside the supported range ${CALENDAR_MIN_YEAR}–${CALENDAR_MAX_YEAR}`);
  }
}

/** Today's date in Vietnam (UTC+7 all year, no daylight saving) for an instant in ms, e.g. workflow time. */
export function vietnamDate(epochMs: number): IsoDate {
  return fromDayNumber(Math.floor((epochMs + 7 * 3_600_000) / 86_400_000));
}
