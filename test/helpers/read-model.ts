/**
 * Cases written straight into the read model through the worker's own activity (recordCaseEvent), for tests
 * of what reads it (counters, reports, search) without driving every case through Temporal.
 */
import { randomUUID } from 'node:crypto';
import { caseRecordActivities } from '../../activities/case-records.js';
import type { Pool } from '../../infra/db/pool.js';
import { insertPerson } from '../../infra/db/queries/cases.js';
import type { CaseEvent, CaseType } from '../../workflows/definitions.js';

/** Event writer for one case: each call appends the next event (seq counts up), as a workflow does. */
export class CaseWriter {
  private seq = 0;
  /** The time events happen at (ISO), until changed; unset: now. */
  clock: string | undefined;
  private constructor(
    private readonly record: ReturnType<typeof caseRecordActivities>['recordCaseEvent'],
    readonly caseId: string,
  ) {}

  static async open(
    pool: Pool,
    o: { type?: CaseType; organizationId: string; personName?: string; enterpriseId?: string; at?: string; step?: string },
  ): Promise<CaseWriter> {
    const type = o.type ?? 'admission';
    const caseId = randomUUID();
    const personId = type === 'admission' ? await insertPerson(pool, { fullName: o.personName ?? 'Nguyễn Văn Thử', dateOfBirth: '1995-01-01', organizationId: o.organizationId }) : null;
    const w = new CaseWriter(caseRecordActivities({ pool }).recordCaseEvent, caseId);
    w.clock = o.at;
    await w.write({
      kind: 'case-opened',
      workflowId: `${type}:${caseId}`,
      type,
      organizationId: o.organizationId,
      personId,
      ruleSet: 'test',
      step: o.step ?? (type === 'admission' ? 'source' : 'survey'),
      enterpriseId: o.enterpriseId ?? null,
      at: o.at,
    } as Partial<CaseEvent> & { kind: 'case-opened' });
    return w;
  }

  /** The next event (seq and time filled in). Returns the event as written, to replay it. */
  async write(e: Partial<CaseEvent> & { kind: CaseEvent['kind'] }): Promise<CaseEvent> {
    this.seq += 1;
    const event = { ...e, caseId: this.caseId, seq: this.seq, at: e.at ?? this.clock ?? new Date().toISOString() } as CaseEvent;
    await this.record(event);
    return event;
  }

  /** Replays an event already written (a retried activity). */
  replay(event: CaseEvent) {
    return this.record(event);
  }

  enter(step: string, dueOn: string | null = null) {
    return this.write({ kind: 'step-entered', step, dueOn });
  }
  complete(step: string, data: Record<string, unknown>) {
    return this.write({ kind: 'step-completed', step, data });
  }
  transfer(from: string, to: string) {
    return this.write({ kind: 'case-noted', step: null, note: 'transfer', data: { from, to }, organizationId: to });
  }
  hold(step: string) {
    return this.write({ kind: 'case-noted', step, note: 'hold', data: { reason: 'test' } });
  }
  close(status: 'completed' | 'withdrawn' | 'rejected') {
    return this.write({ kind: 'case-closed', status, reason: 'test' });
  }

  /** An admission decided on `issuedOn` (the decision step passed, the ceremony entered), its events on that day. */
  async admit(issuedOn: string, number = `${Math.floor(Math.random() * 900) + 100}-QĐ/ĐU`) {
    this.clock = `${issuedOn}T02:00:00.000Z`;
    await this.enter('decision', issuedOn);
    await this.complete('decision', { number, issuedOn, receivedByCellOn: issuedOn, outcome: 'admitted' });
    await this.enter('ceremony', null);
  }
}
