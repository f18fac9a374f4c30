import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, fromDayNumber, InvalidDateError, toDayNumber, weekday } from '../../workflows/calendar/dates.js';
import {
  leapMonthOf,
  LUNAR_MAX_YEAR,
  LUNAR_MIN_YEAR,
  lunarMonthLength,
  lunarNewYear,
  lunarNewYearsEve,
  lunarToSolar,
  solarToLunar,
} from '../../workflows/calendar/lunar.js';
import type { LunarDate } from '../../workflows/calendar/lunar.js';

const lunar = (year: number, month: number, day: number, leap = false): LunarDate => ({ year, month, day, leap });

/** The months of a lunar year in order, the leap month right after its namesake. */
function monthsOf(year: number): Array<{ month: number; leap: boolean }> {
  const leap = leapMonthOf(year);
  return Array.from({ length: 12 }, (_, i) => i + 1).flatMap((month) =>
    month === leap ? [{ month, leap: false }, { month, leap: true }] : [{ month, leap: false }],
  );
}

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidDateError);
  expect((error as Error).message).toMatch(message);
}

describe('fixtures (UTC+7)', () => {
  // weekday: 0 = Sunday … 6 = Saturday
  const table = [
    { year: 2024, tet: '2024-02-10', tetWd: 6, eve: '2024-02-09', chap: 30, gioTo: '2024-04-18', gioToWd: 4, leap: null },
    { year: 2025, tet: '2025-01-29', tetWd: 3, eve: '2025-01-28', chap: 29, gioTo: '2025-04-07', gioToWd: 1, leap: 6 },
    { year: 2026, tet: '2026-02-17', tetWd: 2, eve: '2026-02-16', chap: 29, gioTo: '2026-04-26', gioToWd: 0, leap: null },
  ] as const;

  it.each(table)('lunar year $year', ({ year, tet, tetWd, eve, chap, gioTo, gioToWd, leap }) => {
    expect(lunarNewYear(year)).toBe(tet);
    expect(weekday(tet)).toBe(tetWd);
    expect(lunarToSolar(lunar(year, 1, 1))).toBe(tet);
    expect(solarToLunar(tet)).toEqual(lunar(year, 1, 1));

    expect(lunarNewYearsEve(year)).toBe(eve);
    expect(lunarMonthLength(year - 1, 12)).toBe(chap);
    expect(solarToLunar(eve)).toEqual(lunar(year - 1, 12, chap));
    expect(lunarToSolar(lunar(year - 1, 12, chap))).toBe(eve);

    expect(lunarToSolar(lunar(year, 3, 10))).toBe(gioTo);
    expect(weekday(gioTo)).toBe(gioToWd);
    expect(solarToLunar(gioTo)).toEqual(lunar(year, 3, 10));

    expect(leapMonthOf(year)).toBe(leap);
  });

  it.each([
    // 1985 and 2007 differ from China's calendar (UTC+8): Vietnam's new moon falls a day earlier.
    [1985, '1985-01-21'],
    [2007, '2007-02-17'],
    [2000, '2000-02-05'],
    [2010, '2010-02-14'],
    [2020, '2020-01-25'],
    // New moon 2030-02-02 16:07 UT = 23:07 in UTC+7 (00:07 on 02-03 in China, whose Tết is 2030-02-03).
    [2030, '2030-02-02'],
  ])('Tết %i is %s', (year, date) => {
    expect(lunarNewYear(year)).toBe(date);
    expect(solarToLunar(date)).toEqual(lunar(year, 1, 1));
    expect(solarToLunar(addDays(date, -1)).year).toBe(year - 1);
  });
});

describe('leap months', () => {
  it.each([
    // [year, leap month, first day of the leap month]
    [2020, 4, '2020-05-23'],
    [2023, 2, '2023-03-22'],
    [2025, 6, '2025-07-25'],
  ])('lunar %i has leap month %i starting %s', (year, month, start) => {
    expect(leapMonthOf(year)).toBe(month);
    const regularLength = lunarMonthLength(year, month);
    const regularEnd = lunarToSolar(lunar(year, month, regularLength));
    expect(lunarToSolar(lunar(year, month, 1, true))).toBe(start);
    expect(addDays(regularEnd, 1)).toBe(start);
    expect(solarToLunar(start)).toEqual(lunar(year, month, 1, true));
    expect(solarToLunar(regularEnd)).toEqual(lunar(year, month, regularLength));

    const leapLength = lunarMonthLength(year, month, true);
    const leapEnd = lunarToSolar(lunar(year, month, leapLength, true));
    expect(solarToLunar(leapEnd)).toEqual(lunar(year, month, leapLength, true));
    expect(solarToLunar(addDays(leapEnd, 1))).toEqual(lunar(year, month + 1, 1));
  });

  it('has no leap month in 2024 and 2026, and leap month 2 in 1985 (China: 10 in 1984)', () => {
    expect(leapMonthOf(2024)).toBeNull();
    expect(leapMonthOf(2026)).toBeNull();
    expect(leapMonthOf(1984)).toBeNull();
    expect(leapMonthOf(1985)).toBe(2);
  });
});

describe('round trips', () => {
  it('solar → lunar → solar is the identity on 1900-01-31 .. 2100-12-31', () => {
    const first = toDayNumber('1900-01-31'); // Tết 1900, the first supported day
    const last = toDayNumber('2100-12-31');
    fc.assert(
      fc.property(fc.integer({ min: first, max: last }), (n) => {
        const iso = fromDayNumber(n);
        expect(lunarToSolar(solarToLunar(iso))).toBe(iso);
      }),
      { numRuns: 5000 },
    );
  });

  it('lunar → solar → lunar is the identity on valid lunar dates 1901..2099', () => {
    const arb = fc
      .record({ year: fc.integer({ min: 1901, max: 2099 }), index: fc.nat(12), day: fc.nat(29) })
      .map(({ year, index, day }) => {
        const months = monthsOf(year);
        const m = months[index % months.length] as { month: number; leap: boolean };
        const length = lunarMonthLength(year, m.month, m.leap);
        return lunar(year, m.month, (day % length) + 1, m.leap);
      });
    fc.assert(
      fc.property(arb, (date) => {
        expect(solarToLunar(lunarToSolar(date))).toEqual(date);
      }),
      { numRuns: 5000 },
    );
  });

  it('consecutive days map to consecutive lunar days in 2024..2026', () => {
    let prev = solarToLunar('2023-12-31');
    for (let n = toDayNumber('2024-01-01'); n <= toDayNumber('2026-12-31'); n++) {
      const cur = solarToLunar(fromDayNumber(n));
      if (cur.day === 1) expect(prev.day).toBeGreaterThanOrEqual(29);
      else expect(cur).toEqual({ ...prev, day: prev.day + 1 });
      prev = cur;
    }
  });

  it('covers exactly the lunar years 1900..2100 at the edges', () => {
    expect(solarToLunar('1900-01-31')).toEqual(lunar(1900, 1, 1));
    const lastLength = lunarMonthLength(2100, 12);
    const lastDay = lunarToSolar(lunar(2100, 12, lastLength));
    expect(solarToLunar(lastDay)).toEqual(lunar(2100, 12, lastLength));
    expectInvalid(() => solarToLunar('1900-01-30'), /1900-01-30 falls in lunar year 1899/);
    expectInvalid(() => solarToLunar(addDays(lastDay, 1)), /falls in lunar year 2101/);
  });
});

describe('structure of every lunar year 1901..2099', () => {
  it('has 12 months plus at most one leap month of 29 or 30 days that tile the year', () => {
    for (let year = 1901; year <= 2099; year++) {
      const tet = toDayNumber(lunarNewYear(year));
      const nextTet = toDayNumber(lunarNewYear(year + 1));
      expect(nextTet - tet).toBeGreaterThanOrEqual(353);
      expect(nextTet - tet).toBeLessThanOrEqual(385);
      expect(lunarNewYearsEve(year + 1)).toBe(fromDayNumber(nextTet - 1));

      const leap = leapMonthOf(year);
      const months = monthsOf(year);
      expect(months).toHaveLength(leap === null ? 12 : 13);
      let start = tet;
      for (const { month, leap: isLeap } of months) {
        const length = lunarMonthLength(year, month, isLeap);
        expect([29, 30]).toContain(length);
        expect(lunarToSolar(lunar(year, month, 1, isLeap))).toBe(fromDayNumber(start));
        start += length;
      }
      expect(start).toBe(nextTet);
      // 13-month years are 383..385 days, 12-month years 353..355.
      expect(nextTet - tet).toSatisfy((d: number) => (leap === null ? d <= 355 : d >= 383));
    }
  });
});

describe('invalid input', () => {
  it('rejects bad ISO strings', () => {
    expectInvalid(() => solarToLunar('2024-2-10'), /"2024-2-10" is not a date in the form YYYY-MM-DD/);
    expectInvalid(() => solarToLunar('2023-02-29'), /not a real calendar date/);
  });

  it('rejects years outside 1900..2100', () => {
    expect(LUNAR_MIN_YEAR).toBe(1900);
    expect(LUNAR_MAX_YEAR).toBe(2100);
    expectInvalid(() => lunarToSolar(lunar(1899, 1, 1)), /lunar year 1899 is outside the supported range 1900\.\.2100/);
    expectInvalid(() => lunarToSolar(lunar(2101, 1, 1)), /lunar year 2101 is outside the supported range 1900\.\.2100/);
    expectInvalid(() => lunarNewYear(1899), /1899/);
    expectInvalid(() => leapMonthOf(2101), /2101/);
    expectInvalid(() => solarToLunar('1899-12-31'), /1899-12-31 is outside the supported lunar years/);
    expectInvalid(() => solarToLunar('2102-06-01'), /2102-06-01 is outside the supported lunar years/);
  });

  it('rejects a leap flag on a month that is not the leap month', () => {
    expectInvalid(() => lunarToSolar(lunar(2024, 2, 1, true)), /lunar 2024 has no leap month, so month 2 cannot be leap/);
    expectInvalid(() => lunarToSolar(lunar(2025, 5, 1, true)), /lunar 2025's leap month is 6, not 5/);
    expectInvalid(() => lunarMonthLength(2023, 3, true), /leap month is 2, not 3/);
  });

  it('rejects days outside the month', () => {
    expect(lunarMonthLength(2025, 12)).toBe(29);
    expectInvalid(() => lunarToSolar(lunar(2025, 12, 30)), /lunar 2025-12 has 29 days, not 30/);
    expectInvalid(() => lunarToSolar(lunar(2025, 6, 30, true)), /lunar 2025-06 \(leap\) has 29 days, not 30/);
    expectInvalid(() => lunarToSolar(lunar(2024, 1, 0)), /has \d\d days, not 0/);
  });

  it('rejects months outside 1..12 and non-integers', () => {
    expectInvalid(() => lunarToSolar(lunar(2024, 13, 1)), /lunar month 13 is not an integer in 1\.\.12/);
    expectInvalid(() => lunarToSolar(lunar(2024, 0, 1)), /lunar month 0 is not an integer in 1\.\.12/);
    expectInvalid(() => lunarToSolar(lunar(2024, 1.5, 1)), /lunar month 1\.5/);
    expectInvalid(() => lunarToSolar(lunar(2024, 1, 1.5)), /not 1\.5/);
    expectInvalid(() => lunarToSolar(lunar(2024.5, 1, 1)), /lunar year 2024\.5 is not an integer/);
    expectInvalid(() => lunarNewYear(Number.NaN), /lunar year NaN is not an integer/);
  });
});
