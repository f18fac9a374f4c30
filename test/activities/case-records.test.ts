import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseRecordActivities } from '../../activities/case-records.js';
import { insertPerson } from '../../infra/db/queries/cases.js';
import type { CaseEvent } from '../../workflows/definitions.js';
import { createTestDatabase, insertOrganization, type TestDatabase } from '../helpers/db.js';

describe('recordCaseEvent (read model)', () => {
  let db: TestDatabase;
  let orgId: string;
  let personId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    orgId = await insertOrganization(db.pool);
    personId = await insertPerson(db.pool, { fullName: 'Trần Thị B', dateOfBirth: '1998-07-15' });
  });
  afterAll(() => db?.drop());

  const opened = (caseId: string): CaseEvent => ({
    kind: 'case-opened',
    caseId,
    seq: 1,
    at: '2026-01-05T02:00:00.000Z',
    workflowId: `admission:${caseId}`,
    type: 'admission',
    organizationId: orgId,
    personId,
    ruleSet: 'QD294-HD06-2025',
    step: 'source',
  });

  it('writes each event once, however often the activity is retried', async () => {
    const { recordCaseEvent } = caseRecordActivities({ pool: db.pool });
    const caseId = randomUUID();
    const first = await recordCaseEvent(opened(caseId));
    const retried = await recordCaseEvent(opened(caseId));
    expect(first).toEqual({ written: true });
    expect(retried).toEqual({ written: false });
    const cases = await db.pool.query('SELECT current_step, status, last_seq FROM cases WHERE id = $1', [caseId]);
    expect(cases.rows).toEqual([{ current_step: 'source', status: 'open', last_seq: 1 }]);
    const events = await db.pool.query('SELECT seq, kind, step FROM case_events WHERE case_id = $1', [caseId]);
    expect(events.rows).toEqual([{ seq: 1, kind: 'case-opened', step: 'source' }]);
  });

  it('projects steps and closing onto the case row, ignoring an older event that arrives late', async () => {
    const { recordCaseEvent } = caseRecordActivities({ pool: db.pool });
    const caseId = randomUUID();
    await recordCaseEvent(opened(caseId));
    await recordCaseEvent({ kind: 'step-entered', caseId, seq: 3, at: '2026-01-06T02:00:00.000Z', step: 'awareness-course' });
    // seq 2 arrives after seq 3 (e.g. a slow retry): history gets it, the projection keeps the newer step.
    await recordCaseEvent({ kind: 'step-completed', caseId, seq: 2, at: '2026-01-06T01:00:00.000Z', step: 'source', data: { helperPersonId: personId } });
    let row = await db.pool.query('SELECT current_step, last_seq FROM cases WHERE id = $1', [caseId]);
    expect(row.rows[0]).toEqual({ current_step: 'awareness-course', last_seq: 3 });

    await recordCaseEvent({ kind: 'case-closed', caseId, seq: 4, at: '2026-01-07T01:00:00.000Z', status: 'withdrawn', reason: 'moved away' });
    row = await db.pool.query('SELECT current_step, status, closed_at IS NOT NULL AS closed FROM cases WHERE id = $1', [caseId]);
    expect(row.rows[0]).toEqual({ current_step: null, status: 'withdrawn', closed: true });
    const seqs = await db.pool.query('SELECT seq FROM case_events WHERE case_id = $1 ORDER BY seq', [caseId]);
    expect(seqs.rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });
});
