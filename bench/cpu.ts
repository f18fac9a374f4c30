/**
 * CPU seconds spent by processes and threads, from Linux's /proc (benchmarks print where the time went;
 * elsewhere the figures are left out).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on

/** utime + stime of a /proc …/stat line, in seconds. */
function cpuOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export const cpuAvailable = read('/proc/self/stat') !== undefined;

/** A process (all its threads) or, with `mainThread`, only its main thread. */
export function cpuOfProcess(pid: number, opts: { mainThread?: boolean } = {}): number {
  const stat = read(opts.mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`);
  return stat ? cpuOfStat(stat) : 0;
}

/** Every process whose program is called `name` (e.g. all of a PostgreSQL server's backends, whatever their titles). */
export function cpuOfProgram(name: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || read(`/proc/${pid}/comm`)?.trim() !== name) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (stat) total += cpuOfStat(stat);
  }
  return total;
}
