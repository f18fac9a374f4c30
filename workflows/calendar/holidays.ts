/**
 * Public holidays of Vietnam (Labor Code 2019 art. 112) and compensatory days off (art. 111.3), derived by
 * law for any year, and the data shape of a year's schedule as the government announces it (Tết span,
 * bridge days off, make-up working Saturdays), which replaces the law-derived days of the holidays it covers.
 */
import { addDays, isoDate, weekday, type IsoDate } from './dates.js';
import { lunarNewYearsEve, lunarToSolar } from './lunar.js';

export const HOLIDAYS = ['new-year', 'tet', 'hung-kings', 'reunification', 'labour', 'national-day'] as const;
export type HolidayId = (typeof HOLIDAYS)[number];

export const HOLIDAY_LABELS: Readonly<Record<HolidayId, { readonly vi: string; readonly en: string }>> = {
  'new-year': { vi: 'Tết Dương lịch', en: "New Year's Day" },
  tet: { vi: 'Tết Nguyên đán', en: 'Lunar New Year (Tết)' },
  'hung-kings': { vi: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)', en: 'Hung Kings Commemoration' },
  reunification: { vi: 'Ngày Chiến thắng (30/4)', en: 'Reunification Day' },
  labour: { vi: 'Ngày Quốc tế Lao động (1/5)', en: 'International Labour Day' },
  'national-day': { vi: 'Quốc khánh (2/9)', en: 'National Day' },
};

/**
 * - `holiday`: a public holiday (art. 112), or a day of the announced span of one;
 * - `compensatory`: the working day off when a holiday falls on a weekly rest day (nghỉ bù, art. 111.3);
 * - `bridge`: a working day the government moved to make a longer break (hoán đổi ngày làm việc);
 * - `make-up`: a weekend day announced as a working day in exchange (ngày làm bù).
 */
export const DAY_KINDS = ['holiday', 'compensatory', 'bridge', 'make-up'] as const;
export type DayKind = (typeof DAY_KINDS)[number];

export interface ScheduleDay {
  readonly date: IsoDate;
  readonly kind: DayKind;
  /** The holiday the day belongs to (for a make-up day: the break it pays for, when known). */
  readonly holiday: HolidayId | null;
  readonly note?: string | undefined;
}

/** A year's announced schedule, as stored by admins (and shipped for 2024–2026). */
export interface AnnouncedYear {
  readonly year: number;
  /** Where it was announced, e.g. "Công văn 12729/VPCP-KGVX ngày 25/12/2025". */
  readonly source: string;
  readonly days: readonly ScheduleDay[];
}

/** Which weekdays are weekly rest days: Mon–Fri weeks rest on Sat+Sun, Mon–Sat weeks on Sun only. */
export type WorkWeek = 'mon-fri' | 'mon-sat';
export const WORK_WEEKS: readonly WorkWeek[] = ['mon-fri', 'mon-sat'];

export const isWeeklyRestDay = (date: IsoDate, week: WorkWeek): boolean => {
  const wd = weekday(date);
  return wd === 0 || (week === 'mon-fri' && wd === 6);
};

/** The statutory holiday days of a year (before compensation), in date order. */
export function statutoryHolidays(year: number): ScheduleDay[] {
  const day = (date: IsoDate, holiday: HolidayId, note?: string): ScheduleDay => ({ date, kind: 'holiday', holiday, note });
  const tetStart = lunarNewYearsEve(year);
  const tet = [0, 1, 2, 3, 4].map((i) => day(addDays(tetStart, i), 'tet', i === 0 ? 'Giao thừa' : `Mùng ${i}`));
  // The PM picks the day next to 2/9 each year. Default: the day before, or the day after when 2/9 is a
  // Monday (2024: Mon 2/9 → Tue 3/9; 2025: Tue 2/9 → Mon 1/9), so the break joins a weekend.
  const nationalDay = isoDate(year, 9, 2);
  const nationalExtra = weekday(nationalDay) === 1 ? isoDate(year, 9, 3) : isoDate(year, 9, 1);
  return [
    day(isoDate(year, 1, 1), 'new-year'),
    ...tet,
    day(lunarToSolar({ year, month: 3, day: 10, leap: false }), 'hung-kings'),
    day(isoDate(year, 4, 30), 'reunification'),
    day(isoDate(year, 5, 1), 'labour'),
    day(nationalDay, 'national-day'),
    day(nationalExtra, 'national-day', 'Ngày liền kề'),
  ].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/**
 * The year's days off and make-up days: the announced schedule for the holidays it covers, the law for the
 * others (their holiday days plus a compensatory day for each one on a weekly rest day).
 */
export function yearSchedule(year: number, announced: AnnouncedYear | undefined, week: WorkWeek): ScheduleDay[] {
  const covered = new Set(announced?.days.filter((d) => d.kind !== 'make-up').map((d) => d.holiday));
  const days = new Map<IsoDate, ScheduleDay>();
  for (const d of announced?.days ?? []) days.set(d.date, d);
  const isOff = (date: IsoDate) => {
    const d = days.get(date);
    return d ? d.kind !== 'make-up' : isWeeklyRestDay(date, week);
  };
  const byLaw = statutoryHolidays(year).filter((d) => !covered.has(d.holiday));
  for (const d of byLaw) if (!days.has(d.date)) days.set(d.date, d);
  for (const d of byLaw) {
    if (!isWeeklyRestDay(d.date, week)) continue;
    // Art. 111.3: the next working day is off instead. Tết's own span can push it further.
    let next = addDays(d.date, 1);
    while (isOff(next)) next = addDays(next, 1);
    days.set(next, { date: next, kind: 'compensatory', holiday: d.holiday, note: `Nghỉ bù ${d.date}` });
  }
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
