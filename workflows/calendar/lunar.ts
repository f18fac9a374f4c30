/**
 * Vietnamese lunisolar calendar (âm lịch), computed in UTC+7. Pure code: safe in Temporal workflows.
 *
 * Astronomy from Jean Meeus, *Astronomical Algorithms* (2nd ed.): new moons from ch. 49 (with the periodic
 * and the 14 additional planetary corrections), apparent solar longitude from ch. 25 (low-accuracy method,
 * ~0.01°). ΔT (TT − UT) uses the Espenak–Meeus polynomials (NASA eclipse pages): seconds off in the past,
 * a forecast for future decades (a minute or more off by 2100). Only new moons within minutes of local
 * midnight are sensitive to it (e.g. 1967-07-07, 2054-05-07, 2077-11-15, 2085-10-18).
 *
 * Calendar rules: a month starts on the local day of a new moon; month 11 contains the winter solstice;
 * when 13 months lie between two month-11 starts, the first month after month 11 with no major solar term
 * (no crossing of a multiple of 30° of solar longitude) is the leap month and repeats the previous number.
 * Major terms are judged by the Sun's 30° sector at local midnight starting each month and the next one.
 *
 * The supported range is lunar years 1900..2100, so solarToLunar accepts 1900-01-31 (Tết 1900) up to the
 * last day of lunar 2100 (in January 2101). All years use UTC+7; almanacs printed in Vietnam before 1968
 * reportedly followed UTC+8, so a few pre-1968 dates may differ from them.
 */
import { fromDayNumber, InvalidDateError, toDayNumber } from './dates.js';
import type { IsoDate } from './dates.js';

export interface LunarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly leap: boolean;
}

export const LUNAR_MIN_YEAR = 1900;
export const LUNAR_MAX_YEAR = 2100;

// ---------------------------------------------------------------------------------------------------------
// Astronomy

const JD_UNIX_EPOCH = 2440587.5; // JD of 1970-01-01 00:00 UT (day number 0)
const TZ_DAYS = 7 / 24; // UTC+7
const SYNODIC_MONTH = 29.530588861;
const JDE_NEW_MOON_K0 = 2451550.09766; // Meeus (49.1), k = 0: the new moon of 2000-01-06

const DEG = Math.PI / 180;
const sinD = (deg: number): number => Math.sin(deg * DEG);

/** ΔT in seconds (Espenak & Meeus 2006 polynomials) for a decimal year. */
function deltaTSeconds(y: number): number {
  if (y >= 2050 || y < 1860) {
    const u = (y - 1820) / 100;
    return y >= 2050 && y < 2150 ? -20 + 32 * u * u - 0.5628 * (2150 - y) : -20 + 32 * u * u;
  }
  if (y < 1900) {
    const t = y - 1860;
    return 7.62 + 0.5737 * t - 0.251754 * t ** 2 + 0.01680668 * t ** 3 - 0.0004473624 * t ** 4 + t ** 5 / 233174;
  }
  if (y < 1920) {
    const t = y - 1900;
    return -2.79 + 1.494119 * t - 0.0598939 * t ** 2 + 0.0061966 * t ** 3 - 0.000197 * t ** 4;
  }
  if (y < 1941) {
    const t = y - 1920;
    return 21.2 + 0.84493 * t - 0.0761 * t ** 2 + 0.0020936 * t ** 3;
  }
  if (y < 1961) {
    const t = y - 1950;
    return 29.07 + 0.407 * t - t ** 2 / 233 + t ** 3 / 2547;
  }
  if (y < 1986) {
    const t = y - 1975;
    return 45.45 + 1.067 * t - t ** 2 / 260 - t ** 3 / 718;
  }
  if (y < 2005) {
    const t = y - 2000;
    return 63.86 + 0.3345 * t - 0.060374 * t ** 2 + 0.0017275 * t ** 3 + 0.000651814 * t ** 4 + 0.00002373599 * t ** 5;
  }
  const t = y - 2000;
  return 62.92 + 0.32217 * t + 0.005589 * t ** 2;
}

const deltaTDays = (jd: number): number => deltaTSeconds(2000 + (jd - 2451545) / 365.25) / 86400;

/** Instant (JDE, dynamical time) of the true new moon number k (k = 0 near 2000-01-06). Meeus ch. 49. */
function newMoonJde(k: number): number {
  const T = k / 1236.85;
  const T2 = T * T;
  const T3 = T2 * T;
  const T4 = T3 * T;
  const jde = JDE_NEW_MOON_K0 + SYNODIC_MONTH * k + 0.00015437 * T2 - 0.00000015 * T3 + 0.00000000073 * T4;
  const E = 1 - 0.002516 * T - 0.0000074 * T2; // eccentricity of Earth's orbit (47.6)
  const M = 2.5534 + 29.1053567 * k - 0.0000014 * T2 - 0.00000011 * T3; // Sun's mean anomaly
  const Mp = 201.5643 + 385.81693528 * k + 0.0107582 * T2 + 0.00001238 * T3 - 0.000000058 * T4; // Moon's
  const F = 160.7108 + 390.67050284 * k - 0.0016118 * T2 - 0.00000227 * T3 + 0.000000011 * T4;
  const Om = 124.7746 - 1.56375588 * k + 0.0020672 * T2 + 0.00000215 * T3;

  // Periodic terms for the new moon (Meeus p. 351).
  const periodic =
    -0.4072 * sinD(Mp) +
    0.17241 * E * sinD(M) +
    0.01608 * sinD(2 * Mp) +
    0.01039 * sinD(2 * F) +
    0.00739 * E * sinD(Mp - M) -
    0.00514 * E * sinD(Mp + M) +
    0.00208 * E * E * sinD(2 * M) -
    0.00111 * sinD(Mp - 2 * F) -
    0.00057 * sinD(Mp + 2 * F) +
    0.00056 * E * sinD(2 * Mp + M) -
    0.00042 * sinD(3 * Mp) +
    0.00042 * E * sinD(M + 2 * F) +
    0.00038 * E * sinD(M - 2 * F) -
    0.00024 * E * sinD(2 * Mp - M) -
    0.00017 * sinD(Om) -
    0.00007 * sinD(Mp + 2 * M) +
    0.00004 * sinD(2 * Mp - 2 * F) +
    0.00004 * sinD(3 * M) +
    0.00003 * sinD(Mp + M - 2 * F) +
    0.00003 * sinD(2 * Mp + 2 * F) -
    0.00003 * sinD(Mp + M + 2 * F) +
    0.00003 * sinD(Mp - M + 2 * F) -
    0.00002 * sinD(Mp - M - 2 * F) -
    0.00002 * sinD(3 * Mp + M) +
    0.00002 * sinD(4 * Mp);

  // Additional (planetary) corrections for all phases (Meeus p. 352), in units of 1e-6 day.
  let planetary = 0;
  for (const [coef, a0, rate] of PLANETARY_TERMS) planetary += coef * sinD(a0 + rate * k);
  planetary += 325 * sinD(299.77 + 0.107408 * k - 0.009173 * T2); // A1 also has a T² term

  return jde + periodic + planetary * 1e-6;
}

// [coefficient ×1e-6 day, A at k = 0 (deg), deg per lunation] for A2..A14.
const PLANETARY_TERMS: ReadonlyArray<readonly [number, number, number]> = [
  [165, 251.88, 0.016321],
  [164, 251.83, 26.651886],
  [126, 349.42, 36.412478],
  [110, 84.66, 18.206239],
  [62, 141.74, 53.303771],
  [60, 207.14, 2.453732],
  [56, 154.84, 7.30686],
  [47, 34.52, 27.261239],
  [42, 207.19, 0.121824],
  [40, 291.34, 1.844379],
  [37, 161.72, 24.198154],
  [35, 239.56, 25.513099],
  [23, 331.55, 3.592518],
];

/** Apparent geocentric longitude of the Sun in degrees [0, 360) at JDE. Meeus ch. 25, low accuracy. */
function sunLongitude(jde: number): number {
  const T = (jde - 2451545) / 36525;
  const L0 = 280.46646 + 36000.76983 * T + 0.0003032 * T * T;
  const M = 357.52911 + 35999.05029 * T - 0.0001537 * T * T;
  const C =
    (1.914602 - 0.004817 * T - 0.000014 * T * T) * sinD(M) +
    (0.019993 - 0.000101 * T) * sinD(2 * M) +
    0.000289 * sinD(3 * M);
  const omega = 125.04 - 1934.136 * T;
  const lambda = L0 + C - 0.00569 - 0.00478 * sinD(omega); // nutation + aberration (25.8)
  return ((lambda % 360) + 360) % 360;
}

/** Local (UTC+7) day number of new moon k. */
function newMoonDay(k: number): number {
  const jde = newMoonJde(k);
  const jdUt = jde - deltaTDays(jde);
  return Math.floor(jdUt + TZ_DAYS - JD_UNIX_EPOCH);
}

/** Solar longitude at local midnight at the start of a day. */
function sunLongitudeAtDayStart(day: number): number {
  const jdUt = JD_UNIX_EPOCH + day - TZ_DAYS;
  return sunLongitude(jdUt + deltaTDays(jdUt));
}

/** Index 0..11 of the 30° sector the Sun is in at the start of a day (a month has a major term iff it changes). */
const sectorAtDayStart = (day: number): number => Math.floor(sunLongitudeAtDayStart(day) / 30);

// ---------------------------------------------------------------------------------------------------------
// Calendar structure

interface MonthInfo {
  readonly month: number;
  readonly leap: boolean;
  readonly start: number; // day number of day 1
  readonly length: 29 | 30;
}

interface YearInfo {
  readonly start: number; // day number of 1/1 (Tết)
  readonly end: number; // day number of next year's 1/1
  readonly months: readonly MonthInfo[]; // in order, 12 or 13
  readonly leapMonth: number | null;
}

interface PeriodMonth {
  readonly year: number;
  readonly month: number;
  readonly leap: boolean;
  readonly start: number;
  readonly end: number;
}

/** k of the new moon that starts month 11 around December of solar year y (the month with that solstice). */
function month11K(y: number): number {
  // Midnight before the solstice has λ in (180°, 270°); the month starting then contains the solstice.
  const beforeSolstice = (day: number): boolean => {
    const l = sunLongitudeAtDayStart(day);
    return l > 180 && l < 270;
  };
  const dec21 = toDayNumber(`${String(y).padStart(4, '0')}-12-21`);
  let k = Math.round((JD_UNIX_EPOCH + dec21 - JDE_NEW_MOON_K0) / SYNODIC_MONTH);
  while (!beforeSolstice(newMoonDay(k))) k--;
  while (beforeSolstice(newMoonDay(k + 1))) k++;
  return k;
}

const periodCache = new Map<number, readonly PeriodMonth[]>();

/** Months from month 11 of solar year y − 1 up to (not including) month 11 of solar year y. */
function period(y: number): readonly PeriodMonth[] {
  const cached = periodCache.get(y);
  if (cached) return cached;
  const kA = month11K(y - 1);
  const count = month11K(y) - kA; // 12 or 13
  const starts = Array.from({ length: count + 1 }, (_, i) => newMoonDay(kA + i));
  let leapIndex = -1;
  if (count === 13) {
    const sectors = starts.map(sectorAtDayStart);
    for (let i = 1; i < count && leapIndex < 0; i++) if (sectors[i] === sectors[i + 1]) leapIndex = i;
    if (leapIndex < 0) throw new Error(`internal: no month without a major term between the month 11s of ${y - 1} and ${y}`);
  } else if (count !== 12) {
    throw new Error(`internal: ${count} months between the month 11s of ${y - 1} and ${y}`);
  }
  const months: PeriodMonth[] = [];
  let reachedMonth1 = false;
  for (let i = 0; i < count; i++) {
    const shifted = leapIndex >= 0 && i >= leapIndex ? i - 1 : i;
    const month = ((10 + shifted) % 12) + 1; // index 0 is month 11
    if (month === 1) reachedMonth1 = true;
    months.push({
      year: reachedMonth1 ? y : y - 1,
      month,
      leap: i === leapIndex,
      start: starts[i] as number,
      end: starts[i + 1] as number,
    });
  }
  periodCache.set(y, months);
  return months;
}

const yearCache = new Map<number, YearInfo>();

function yearInfo(year: number): YearInfo {
  const cached = yearCache.get(year);
  if (cached) return cached;
  const all = [...period(year), ...period(year + 1)];
  const own = all.filter((m) => m.year === year);
  const next = all.find((m) => m.year === year + 1 && m.month === 1 && !m.leap);
  const first = own[0];
  if (!first || !next || own.length < 12 || own.length > 13) throw new Error(`internal: bad lunar year ${year}`);
  const months = own.map((m): MonthInfo => {
    const length = m.end - m.start;
    if (length !== 29 && length !== 30) throw new Error(`internal: lunar ${year}-${m.month} has ${length} days`);
    return { month: m.month, leap: m.leap, start: m.start, length };
  });
  const info: YearInfo = {
    start: first.start,
    end: next.start,
    months,
    leapMonth: months.find((m) => m.leap)?.month ?? null,
  };
  yearCache.set(year, info);
  return info;
}

// ---------------------------------------------------------------------------------------------------------
// Validation

const pad2 = (n: number): string => String(n).padStart(2, '0');
const label = (year: number, month: number, leap: boolean): string =>
  `lunar ${year}-${pad2(month)}${leap ? ' (leap)' : ''}`;

function checkYear(year: unknown, what = 'lunar year'): number {
  if (typeof year !== 'number' || !Number.isInteger(year)) {
    throw new InvalidDateError(`${what} ${String(year)} is not an integer`);
  }
  if (year < LUNAR_MIN_YEAR || year > LUNAR_MAX_YEAR) {
    throw new InvalidDateError(`${what} ${year} is outside the supported range ${LUNAR_MIN_YEAR}..${LUNAR_MAX_YEAR}`);
  }
  return year;
}

function findMonth(year: unknown, month: unknown, leap: unknown): MonthInfo {
  const y = checkYear(year);
  if (typeof month !== 'number' || !Number.isInteger(month) || month < 1 || month > 12) {
    throw new InvalidDateError(`lunar month ${String(month)} is not an integer in 1..12`);
  }
  if (typeof leap !== 'boolean') throw new InvalidDateError(`leap flag ${String(leap)} is not a boolean`);
  const info = yearInfo(y);
  const found = info.months.find((m) => m.month === month && m.leap === leap);
  if (!found) {
    throw new InvalidDateError(
      info.leapMonth === null
        ? `lunar ${y} has no leap month, so month ${month} cannot be leap`
        : `lunar ${y}'s leap month is ${info.leapMonth}, not ${month}`,
    );
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// API

export function solarToLunar(date: IsoDate): LunarDate {
  const n = toDayNumber(date); // validates the string
  const solarYear = Number(date.slice(0, 4));
  if (solarYear < LUNAR_MIN_YEAR || solarYear > LUNAR_MAX_YEAR + 1) {
    throw new InvalidDateError(`${date} is outside the supported lunar years ${LUNAR_MIN_YEAR}..${LUNAR_MAX_YEAR}`);
  }
  const year = n >= yearInfo(solarYear).start ? solarYear : solarYear - 1;
  if (year < LUNAR_MIN_YEAR || year > LUNAR_MAX_YEAR) {
    throw new InvalidDateError(
      `${date} falls in lunar year ${year}, outside the supported range ${LUNAR_MIN_YEAR}..${LUNAR_MAX_YEAR}`,
    );
  }
  const months = yearInfo(year).months;
  let m = months[0] as MonthInfo;
  for (const candidate of months) if (candidate.start <= n) m = candidate;
  return { year, month: m.month, day: n - m.start + 1, leap: m.leap };
}

export function lunarToSolar(date: LunarDate): IsoDate {
  if (typeof date !== 'object' || date === null) throw new InvalidDateError(`${String(date)} is not a lunar date`);
  const m = findMonth(date.year, date.month, date.leap);
  const { day } = date;
  if (typeof day !== 'number' || !Number.isInteger(day) || day < 1 || day > m.length) {
    throw new InvalidDateError(`${label(date.year, date.month, date.leap)} has ${m.length} days, not ${String(day)}`);
  }
  return fromDayNumber(m.start + day - 1);
}

/** The month number that is repeated as a leap month in this lunar year, or null. */
export function leapMonthOf(lunarYear: number): number | null {
  return yearInfo(checkYear(lunarYear)).leapMonth;
}

export function lunarMonthLength(year: number, month: number, leap = false): 29 | 30 {
  return findMonth(year, month, leap).length;
}

/** Lunar 1/1 (Tết) of the lunar year. */
export function lunarNewYear(lunarYear: number): IsoDate {
  return fromDayNumber(yearInfo(checkYear(lunarYear)).start);
}

/** The last day of the lunar year before lunarYear (giao thừa's day): the day before lunarNewYear(lunarYear). */
export function lunarNewYearsEve(lunarYear: number): IsoDate {
  return fromDayNumber(yearInfo(checkYear(lunarYear)).start - 1);
}
