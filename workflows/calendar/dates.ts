/**
 * Calendar dates as plain `YYYY-MM-DD` strings (a local date in Asia/Ho_Chi_Minh, no time, no zone) and
 * their day numbers. Pure code: used by workflows (deterministic sandbox) and the API alike.
 *
 * Why not a date library: every date library works on instants (JS Date) and so on some time zone; party
 * deadlines are whole local days. Counting days as integers since 1970-01-01 has no zone at all.
 */

export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export class InvalidDateError extends RangeError {
  override name = 'InvalidDateError';
}

/** Days from 1970-01-01 (proleptic Gregorian). */
export function toDayNumber(date: IsoDate): number {
  const m = ISO_DATE.exec(date);
  if (!m) throw new InvalidDateError(`"${date}" is not a date in the form YYYY-MM-DD`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) {
    throw new InvalidDateError(`"${date}" is not a real calendar date`);
  }
  return daysFromCivil(y, mo, d);
}

export function fromDayNumber(n: number): IsoDate {
  if (!Number.isSafeInteger(n)) throw new InvalidDateError(`day number ${n} is not an integer`);
  const { y, m, d } = civilFromDays(n);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function isIsoDate(value: unknown): value is IsoDate {
  if (typeof value !== 'string') return false;
  try {
    toDayNumber(value);
    return true;
  } catch {
    return false;
  }
}

export function parts(date: IsoDate): { year: number; month: number; day: number } {
  toDayNumber(date); // validates
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

export const isoDate = (year: number, month: number, day: number): IsoDate => fromDayNumber(daysFromCivil(year, month, day));

export const addDays = (date: IsoDate, n: number): IsoDate => fromDayNumber(toDayNumber(date) + n);

/** 0 = Sunday … 6 = Saturday. */
export const weekday = (date: IsoDate): number => ((toDayNumber(date) % 7) + 11) % 7;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * Calendar months later (Civil Code 2015 art. 147–148 style): the same day number in the target month, or
 * its last day when the month is shorter (2024-01-31 + 1 month = 2024-02-29). Used for the 12-month
 * probation and the 60-month certificate validity.
 */
export function addMonths(date: IsoDate, months: number): IsoDate {
  if (!Number.isInteger(months)) throw new InvalidDateError(`months must be a whole number, got ${months}`);
  const { year, month, day } = parts(date);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = index - y * 12 + 1;
  return isoDate(y, m, Math.min(day, daysInMonth(y, m)));
}

// Howard Hinnant's days_from_civil / civil_from_days: exact integer conversions for the Gregorian calendar.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): { y: number; m: number; d: number } {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** Age in full months on a date (the candidate's age at the cell vote, counted in months). */
export function ageInFullMonths(birth: IsoDate, on: IsoDate): number {
  const b = parts(birth);
  const d = parts(on);
  let months = (d.year - b.year) * 12 + (d.month - b.month);
  if (addMonths(birth, months) > on) months -= 1;
  return months;
}
