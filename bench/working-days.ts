/**
 * `npm run bench:calendar`: addWorkingDays(…, 60) against a plain loop over the same days that only skips
 * weekends (the least any working-day count must do). Both run in the same process, interleaved in rounds,
 * so the ratio holds on a noisy machine even when the absolute figures move.
 */
import { fromDayNumber, toDayNumber } from '../workflows/calendar/dates.js';
import { OFFICIAL_SCHEDULES } from '../workflows/calendar/official-schedules.js';
import { createWorkCalendar } from '../workflows/calendar/work-calendar.js';

const N = 60;
const CALLS = 20_000;
const ROUNDS = 7;
const first = toDayNumber('2024-01-01');
const starts = Array.from({ length: CALLS }, (_, i) => fromDayNumber(first + ((i * 37) % (4 * 365))));
const calendar = createWorkCalendar({ announced: OFFICIAL_SCHEDULES });

function calendarRun(): number {
  let sink = 0;
  for (const d of starts) sink += calendar.addWorkingDays(d, N).length;
  return sink;
}

/** The baseline: walk day numbers from the same start dates, counting Monday–Friday only. */
function plainLoopRun(): number {
  let sink = 0;
  for (const d of starts) {
    let day = toDayNumber(d);
    for (let left = N; left > 0; ) {
      day += 1;
      const wd = ((day % 7) + 11) % 7;
      if (wd !== 0 && wd !== 6) left -= 1;
    }
    sink += fromDayNumber(day).length;
  }
  return sink;
}

function time(fn: () => number): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

calendarRun(); // warm up (and build the per-year tables once)
plainLoopRun();
const cal: number[] = [];
const plain: number[] = [];
for (let r = 0; r < ROUNDS; r += 1) {
  cal.push(time(calendarRun));
  plain.push(time(plainLoopRun));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const calPerSec = CALLS / median(cal);
const plainPerSec = CALLS / median(plain);
console.log(`addWorkingDays(d, ${N}) with holidays: ${Math.round(calPerSec).toLocaleString('en')} calls/s (median of ${ROUNDS} rounds of ${CALLS})`);
console.log(`plain weekday loop over the same days: ${Math.round(plainPerSec).toLocaleString('en')} calls/s`);
console.log(`ratio plain / calendar: ${(plainPerSec / calPerSec).toFixed(2)}x`);
