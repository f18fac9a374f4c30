/**
 * The workflow side of the read model: every fact the workflow wants Postgres to know goes through here,
 * numbered in order. The number is the idempotency key of the write, so a retried activity (or a replayed
 * workflow) never duplicates a row.
 */
import type { CaseEvent } from './definitions.js';
import { readModel } from './proxies.js';

type Unnumbered<E> = E extends CaseEvent ? Omit<E, 'seq' | 'caseId' | 'at'> : never;

export class CaseLog {
  private seq = 0;
  private staged: CaseEvent[] = [];
  private held = false;
  /** The time events are stamped with: workflow time, or (an imported history) the day they happened. */
  private stamp: () => string = () => new Date().toISOString();

  constructor(private readonly caseId: string) {}

  /**
   * Keeps everything staged until `release()` (an imported history: all of it, or nothing), stamping the
   * events with `day()` (08:00 in Vietnam that day) instead of workflow time.
   */
  hold(day: () => string): void {
    this.held = true;
    this.stamp = () => `${day()}T01:00:00.000Z`;
  }

  /** Back to stamping with workflow time; writes what was held (one activity call). */
  async release(): Promise<void> {
    this.held = false;
    this.stamp = () => new Date().toISOString();
    await this.flush();
  }

  /** Numbers an event now and writes it with the next `flush()`: one activity per transition. */
  stage(event: Unnumbered<CaseEvent>): void {
    this.seq += 1;
    this.staged.push({ ...event, caseId: this.caseId, seq: this.seq, at: this.stamp() } as CaseEvent);
  }

  /** Stages one more event and writes everything staged (one activity call). */
  async write(event: Unnumbered<CaseEvent>): Promise<void> {
    this.stage(event);
    await this.flush();
  }

  /** Writes the staged events in one activity call, in order. */
  async flush(): Promise<void> {
    if (this.staged.length === 0 || this.held) return;
    const events = this.staged;
    this.staged = [];
    await readModel.recordCaseEvents(events);
  }

  /** Writes one event, stamped with workflow time (deterministic). Used by the first version. */
  async record(event: Unnumbered<CaseEvent>): Promise<void> {
    this.seq += 1;
    const full = { ...event, caseId: this.caseId, seq: this.seq, at: new Date().toISOString() } as CaseEvent;
    await readModel.recordCaseEvent(full);
  }
}
