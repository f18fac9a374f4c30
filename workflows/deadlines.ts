/**
 * Due dates of a case's steps in working days. The calendar is loaded through an activity (deterministic:
 * its result is in the history) the first time a step needs it, and again after a `calendarChanged` signal.
 */
import { addDays, type IsoDate } from './calendar/dates.js';
import type { WorkWeek } from './calendar/holidays.js';
import { createWorkCalendar, type WorkCalendar } from './calendar/work-calendar.js';
import { reference } from './proxies.js';

export class Deadlines {
  private calendar: WorkCalendar | undefined;
  private stale = false;

  constructor(private readonly week: WorkWeek = 'mon-fri') {}

  /** Set by the signal handler: synchronous, never throws. */
  markStale(): void {
    this.stale = true;
  }

  get isStale(): boolean {
    return this.stale;
  }

  /** Clears the stale mark; the calendar reloads at its next use. */
  acknowledge(): void {
    if (this.stale) this.calendar = undefined;
    this.stale = false;
  }

  private async load(): Promise<WorkCalendar> {
    if (!this.calendar || this.stale) {
      this.stale = false;
      const data = await reference.loadCalendar();
      this.calendar = createWorkCalendar({ announced: data.announced, week: this.week });
    }
    return this.calendar;
  }

  async due(from: IsoDate, workingDays: number | undefined): Promise<IsoDate | null> {
    if (workingDays === undefined) return null;
    return (await this.load()).addWorkingDays(from, workingDays);
  }

  /** The working day `n` working days after `from`, or before it when `n` is negative. */
  async shift(from: IsoDate, n: number): Promise<IsoDate> {
    const calendar = await this.load();
    if (n >= 0) return calendar.addWorkingDays(from, n);
    let day = from;
    for (let left = -n; left > 0; ) {
      day = addDays(day, -1);
      if (calendar.dayInfo(day).working) left -= 1;
    }
    return day;
  }

  async isWorkingDay(date: IsoDate): Promise<boolean> {
    return (await this.load()).dayInfo(date).working;
  }

  async workingDaysBetween(from: IsoDate, to: IsoDate): Promise<number> {
    return (await this.load()).workingDaysBetween(from, to);
  }
}
