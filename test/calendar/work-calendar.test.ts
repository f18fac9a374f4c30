import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, fromDayNumber, InvalidDateError, toDayNumber, weekday } from '../../workflows/calendar/dates.js';
import { statutoryHolidays, yearSchedule } from '../../workflows/calendar/holidays.js';
import { OFFICIAL_SCHEDULES } from '../../workflows/calendar/official-schedules.js';
import { scheduleProblems } from '../../workflows/calendar/validate.js';
import { createWorkCalendar, vietnamDate } from '../../workflows/calendar/work-calendar.js';

const official = createWorkCalendar({ announced: OFFICIAL_SCHEDULES });
const lawOnly = createWorkCalendar();
const offDays = (from: string, to: string, cal = official) => {
  const out: string[] = [];
  for (let d = toDayNumber(from); d <= toDayNumber(to); d += 1) if (!cal.isWorkingDay(fromDayNumber(d))) out.push(fromDayNumber(d));
  return out;
};

describe('official schedules 2024–2026', () => {
  it('passes its own validation rules', () => {
    for (const y of OFFICIAL_SCHEDULES) expect(scheduleProblems(y.year, y.days)).toEqual([]);
  });

  it('Tết 2024: off Thu 8/2 to Wed 14/2, back on Thu 15/2', () => {
    expect(offDays('2024-02-05', '2024-02-18')).toEqual([
      '2024-02-08', '2024-02-09', '2024-02-10', '2024-02-11', '2024-02-12', '2024-02-13', '2024-02-14', '2024-02-17', '2024-02-18',
    ]);
    expect(official.addWorkingDays('2024-02-07', 1)).toBe('2024-02-15');
  });

  it('Tết 2025: off Sat 25/1 to Sun 2/2', () => {
    expect(offDays('2025-01-24', '2025-02-03')).toEqual([
      '2025-01-25', '2025-01-26', '2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-01', '2025-02-02',
    ]);
    expect(official.addWorkingDays('2025-01-24', 1)).toBe('2025-02-03');
  });

  it('Tết 2026: off Sat 14/2 to Sun 22/2', () => {
    expect(offDays('2026-02-13', '2026-02-23')).toEqual([
      '2026-02-14', '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22',
    ]);
    expect(official.addWorkingDays('2026-02-13', 1)).toBe('2026-02-23');
  });

  it('30/4–1/5 2025: Sat 26/4 is a make-up working day, Fri 2/5 is off', () => {
    expect(official.isWorkingDay('2025-04-26')).toBe(true);
    expect(official.dayInfo('2025-04-26')).toMatchObject({ working: true, weeklyRest: true, schedule: { kind: 'make-up' } });
    expect(offDays('2025-04-28', '2025-05-05')).toEqual(['2025-04-30', '2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04']);
    expect(official.addWorkingDays('2025-04-25', 1)).toBe('2025-04-26');
    expect(official.addWorkingDays('2025-04-29', 1)).toBe('2025-05-05');
    // The make-up Saturday counts: Fri 25/4 + 5 WD = Sat 26, Mon 28, Tue 29, Mon 5/5, Tue 6/5.
    expect(official.addWorkingDays('2025-04-25', 5)).toBe('2025-05-06');
  });

  it('National Day: 2024 off Mon 2/9–Tue 3/9, 2025 off Mon 1/9–Tue 2/9', () => {
    expect(offDays('2024-08-30', '2024-09-04')).toEqual(['2024-08-31', '2024-09-01', '2024-09-02', '2024-09-03']);
    expect(official.addWorkingDays('2024-08-30', 1)).toBe('2024-09-04');
    expect(offDays('2025-08-29', '2025-09-03')).toEqual(['2025-08-30', '2025-08-31', '2025-09-01', '2025-09-02']);
    expect(official.addWorkingDays('2025-08-29', 1)).toBe('2025-09-03');
  });

  it('New Year 2026: off Thu 1/1–Sun 4/1, Sat 10/1 worked', () => {
    expect(offDays('2025-12-31', '2026-01-05')).toEqual(['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04']);
    expect(official.addWorkingDays('2025-12-31', 1)).toBe('2026-01-05');
    expect(official.isWorkingDay('2026-01-10')).toBe(true);
    expect(official.addWorkingDays('2026-01-09', 1)).toBe('2026-01-10');
  });

  it('Giỗ Tổ 2026 falls on Sunday 26/4: Monday 27/4 is off in its place', () => {
    expect(official.dayInfo('2026-04-27')).toMatchObject({ working: false, schedule: { kind: 'compensatory', holiday: 'hung-kings' } });
    expect(official.addWorkingDays('2026-04-24', 1)).toBe('2026-04-28');
    expect(official.addWorkingDays('2026-04-29', 1)).toBe('2026-05-04');
  });

  it('2026 National Day, not announced, follows the law: Tue 1/9 and Wed 2/9', () => {
    expect(offDays('2026-08-31', '2026-09-04')).toEqual(['2026-09-01', '2026-09-02']);
  });

  it('counts the 60 working days of an admission decision across Tết 2025', () => {
    // Cell resolution on Mon 2/12/2024 → decision due 60 WD later; Tết (5 weekdays) and 1/1 push it out.
    const due = official.addWorkingDays('2024-12-02', 60);
    expect(due).toBe('2025-03-04');
    expect(official.workingDaysBetween('2024-12-02', due)).toBe(60);
  });
});

describe('law-derived defaults (years with no announced schedule)', () => {
  it('puts Tết on the last day of the lunar year and lunar 1/1–4/1, with a day off for each one on a weekend', () => {
    // Tết Đinh Mùi 2027: 1/1 âm = Sat 6/2/2027, so Sat and Sun are compensated on Wed 10/2 and Thu 11/2.
    const tet = yearSchedule(2027, undefined, 'mon-fri').filter((d) => d.holiday === 'tet');
    expect(tet.map((d) => `${d.date}:${d.kind}`)).toEqual([
      '2027-02-05:holiday', '2027-02-06:holiday', '2027-02-07:holiday', '2027-02-08:holiday', '2027-02-09:holiday',
      '2027-02-10:compensatory', '2027-02-11:compensatory',
    ]);
  });

  it('gives the next working day off for a holiday on a weekly rest day (art. 111.3)', () => {
    // 1/1/2028 is a Saturday → Monday 3/1 off. 30/4/2028 is a Sunday and Monday 1/5 is itself a holiday → Tuesday 2/5.
    expect(lawOnly.dayInfo('2028-01-03').schedule).toMatchObject({ kind: 'compensatory', holiday: 'new-year' });
    expect(lawOnly.dayInfo('2028-05-02').schedule).toMatchObject({ kind: 'compensatory', holiday: 'reunification' });
    expect(lawOnly.isWorkingDay('2028-05-03')).toBe(true);
  });

  it('adds the day before 2/9, or the day after when 2/9 is a Monday', () => {
    const nd = (y: number) => statutoryHolidays(y).filter((d) => d.holiday === 'national-day').map((d) => d.date);
    expect(nd(2024)).toEqual(['2024-09-02', '2024-09-03']); // Monday
    expect(nd(2025)).toEqual(['2025-09-01', '2025-09-02']); // Tuesday
    expect(nd(2027)).toEqual(['2027-09-01', '2027-09-02']); // Thursday
  });

  it('has the eleven statutory days every year', () => {
    for (let y = 1901; y <= 2099; y += 7) expect(statutoryHolidays(y)).toHaveLength(11);
  });

  it('with a Monday–Saturday week, Saturdays are worked and only Sunday holidays are compensated', () => {
    const sixDay = createWorkCalendar({ week: 'mon-sat' });
    expect(sixDay.isWorkingDay('2027-01-09')).toBe(true); // a Saturday
    // 1/1/2028 Saturday: a working day in a six-day week, so no compensation on Monday 3/1.
    expect(sixDay.isWorkingDay('2028-01-03')).toBe(true);
    // 30/4/2028 Sunday → compensated; Monday 1/5 is a holiday → Tuesday 2/5.
    expect(sixDay.isWorkingDay('2028-05-02')).toBe(false);
    expect(sixDay.addWorkingDays('2027-01-08', 1)).toBe('2027-01-09');
  });
});

describe('an announced schedule replaces the law only for the holidays it covers', () => {
  it('keeps law-derived days for uncovered holidays', () => {
    const cal = createWorkCalendar({
      announced: [{ year: 2027, source: 'test', days: [{ date: '2027-02-04', kind: 'bridge', holiday: 'tet' }, { date: '2027-02-05', kind: 'holiday', holiday: 'tet' }] }],
    });
    expect(cal.source(2027)).toBe('announced');
    expect(cal.isWorkingDay('2027-02-04')).toBe(false);
    expect(cal.isWorkingDay('2027-02-08')).toBe(true); // the law's Tết days are replaced …
    expect(cal.isWorkingDay('2027-04-30')).toBe(false); // … but 30/4 still follows the law
  });
});

describe('properties', () => {
  const dates = fc.integer({ min: toDayNumber('1950-01-01'), max: toDayNumber('2090-12-31') }).map(fromDayNumber);

  it('addWorkingDays(d, n) is a working day for n ≥ 1, and workingDaysBetween undoes it', () => {
    fc.assert(
      fc.property(dates, fc.integer({ min: 1, max: 400 }), fc.boolean(), (d, n, sixDay) => {
        const cal = sixDay ? createWorkCalendar({ announced: OFFICIAL_SCHEDULES, week: 'mon-sat' }) : official;
        const end = cal.addWorkingDays(d, n);
        expect(cal.isWorkingDay(end)).toBe(true);
        expect(end > d).toBe(true);
        expect(cal.workingDaysBetween(d, end)).toBe(n);
        expect(cal.workingDaysBetween(end, d)).toBe(-n);
      }),
      { numRuns: 1500 },
    );
  });

  it('adding in two steps equals adding at once', () => {
    fc.assert(
      fc.property(dates, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (d, a, b) => {
        expect(official.addWorkingDays(official.addWorkingDays(d, a), b)).toBe(official.addWorkingDays(d, a + b));
      }),
      { numRuns: 500 },
    );
  });

  it('a weekday that is not in the schedule is a working day, a weekend day not marked make-up is not', () => {
    fc.assert(
      fc.property(dates, (d) => {
        const info = official.dayInfo(d);
        const wd = weekday(d);
        if (!info.schedule) expect(info.working).toBe(wd !== 0 && wd !== 6);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('dates and invalid input', () => {
  it('adds calendar months, clamping to the end of a shorter month', () => {
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2023-01-31', 1)).toBe('2023-02-28');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2025-03-15', 12)).toBe('2026-03-15');
    expect(addMonths('2025-12-31', -1)).toBe('2025-11-30');
  });

  it('knows the date in Vietnam for an instant (UTC+7)', () => {
    expect(vietnamDate(Date.parse('2026-11-26T16:59:59Z'))).toBe('2026-11-26');
    expect(vietnamDate(Date.parse('2026-11-26T17:00:00Z'))).toBe('2026-11-27');
  });

  it.each([
    ['2025-02-30', 1, /not a real calendar date/],
    ['25/02/2025', 1, /not a date in the form YYYY-MM-DD/],
    ['2025-1-5', 1, /not a date in the form YYYY-MM-DD/],
    ['2025-03-03', -1, /must not be negative/],
    ['2025-03-03', 1.5, /whole number/],
    ['2025-03-03', 100_000, /at most/],
    ['1850-03-03', 1, /outside the supported range/],
    ['2100-03-03', 1, /outside the supported range/],
  ])('addWorkingDays(%s, %s) throws a clear error', (date, n, message) => {
    expect(() => official.addWorkingDays(date, n)).toThrow(InvalidDateError);
    expect(() => official.addWorkingDays(date, n)).toThrow(message);
  });

  it('rejects a bad date in workingDaysBetween and isWorkingDay', () => {
    expect(() => official.workingDaysBetween('2025-01-01', '2025-13-01')).toThrow(/not a real calendar date/);
    expect(() => official.isWorkingDay('')).toThrow(InvalidDateError);
  });

  it('reports each problem of a submitted schedule with its field', () => {
    const problems = scheduleProblems(2027, [
      { date: '2026-12-31', kind: 'holiday', holiday: 'new-year' },
      { date: '2027-02-05', kind: 'holiday', holiday: 'tet' },
      { date: '2027-02-05', kind: 'bridge', holiday: 'tet' },
      { date: '2027-02-03', kind: 'make-up', holiday: 'tet' },
      { date: '2027-02-04', kind: 'bridge', holiday: null },
    ]);
    expect(problems.map((p) => `${p.field}:${p.rule}`)).toEqual([
      'days.0.date:in_year',
      'days.2.date:unique',
      'days.3.kind:weekend',
      'days.4.holiday:required',
    ]);
    expect(scheduleProblems(1800, [])[0]).toMatchObject({ field: 'year', rule: 'range' });
  });
});

describe('workingDaysBetween by per-year running totals', () => {
  it('equals a day-by-day walk for pairs within and across years, both directions', () => {
    const cal = createWorkCalendar({ announced: OFFICIAL_SCHEDULES });
    const walk = (a: number, b: number) => {
      const [lo, hi, sign] = a <= b ? [a, b, 1] : [b, a, -1];
      let n = 0;
      for (let d = lo + 1; d <= hi; d += 1) if (cal.isWorkingDay(fromDayNumber(d))) n += 1;
      return sign * n;
    };
    const start = toDayNumber('2022-01-01');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * 366 }), fc.integer({ min: 0, max: 5 * 366 }), (x, y) => {
        expect(cal.workingDaysBetween(fromDayNumber(start + x), fromDayNumber(start + y))).toBe(walk(start + x, start + y));
      }),
      { numRuns: 300 },
    );
    expect(cal.workingDaysBetween('2024-12-31', '2025-01-02')).toBe(1); // 1 January is a holiday
  });
});
