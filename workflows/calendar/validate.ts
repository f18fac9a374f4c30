/** Rules an announced year's schedule must follow before it is stored (shared by the API and the seed). */
import { parts, weekday } from './dates.js';
import { HOLIDAYS, type ScheduleDay } from './holidays.js';
import { CALENDAR_MAX_YEAR, CALENDAR_MIN_YEAR } from './work-calendar.js';

export interface ScheduleProblem {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** Every problem of a year's schedule, each naming the field (`days.3.date`) and the rule it breaks. */
export function scheduleProblems(year: number, days: readonly ScheduleDay[]): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  if (!Number.isInteger(year) || year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR) {
    problems.push({ field: 'year', rule: 'range', message: `must be between ${CALENDAR_MIN_YEAR} and ${CALENDAR_MAX_YEAR}` });
    return problems;
  }
  if (days.length === 0) problems.push({ field: 'days', rule: 'min', message: 'must list at least one day' });
  const seen = new Map<string, number>();
  days.forEach((day, i) => {
    const at = (f: string) => `days.${i}.${f}`;
    if (parts(day.date).year !== year) {
      problems.push({ field: at('date'), rule: 'in_year', message: `${day.date} is not in ${year}` });
    }
    const first = seen.get(day.date);
    if (first !== undefined) {
      problems.push({ field: at('date'), rule: 'unique', message: `${day.date} is listed twice (also days.${first})` });
    } else {
      seen.set(day.date, i);
    }
    const wd = weekday(day.date);
    if (day.kind === 'make-up' && wd !== 0 && wd !== 6) {
      problems.push({ field: at('kind'), rule: 'weekend', message: `a make-up working day must be a Saturday or Sunday; ${day.date} is a weekday` });
    }
    if (day.kind !== 'make-up' && day.holiday === null) {
      problems.push({ field: at('holiday'), rule: 'required', message: `a day off must name the holiday it belongs to (${HOLIDAYS.join(', ')})` });
    }
  });
  return problems;
}
