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

  constructor(private readonly caseId: string) {}

  /** Writes one event, stamped with workflow time (deterministic). */
  async record(event: Unnumbered<CaseEvent>): Promise<void> {
    this.seq += 1;
    const full = { ...event, caseId: this.caseId, seq: this.seq, at: new Date().toISOString() } as CaseEvent;
    await readModel.recordCaseEvent(full);
  }
}
