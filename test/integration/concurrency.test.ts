import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vietnamDate } from '../../workflows/calendar/work-calendar.js';
import { addOrganization, approver, createUser, organizer } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Two approvers of the same body sign the same step at the same moment: exactly one succeeds, the other gets
 * 409 naming why; the case records the step once. For decisions, the loser's decision number stays free.
 */
describe('two sign-offs at once', () => {
  let stack: TestStack;
  let staff: ReturnType<typeof caller>;
  const cellSigners: Array<ReturnType<typeof caller>> = [];
  const standing: Array<ReturnType<typeof caller>> = [];
  let cellId: string;
  let members: string[];
  const t = vietnamDate(Date.now());
  const year = t.slice(0, 4);

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    const upper = await addOrganization(pool, { name: 'Đảng ủy Khu kinh tế', kind: 'upper-committee', symbol: 'ĐUKKT', place: 'Hải Phòng' });
    cellId = await addOrganization(pool, { name: 'Chi bộ Công ty Đồng Thời', kind: 'grassroots-cell', parentId: upper, officialMembers: 9 });
    staff = caller(stack.baseUrl, (await createUser(pool, 'c-staff', [organizer(upper)])).token);
    for (const n of [1, 2]) {
      cellSigners.push(caller(stack.baseUrl, (await createUser(pool, `c-cell-${n}`, [approver(cellId, 'cell')])).token));
      standing.push(caller(stack.baseUrl, (await createUser(pool, `c-standing-${n}`, [approver(upper, 'standing-committee')])).token));
    }
    members = [];
    for (const fullName of ['Đảng viên A', 'Đảng viên B', 'Đảng viên C']) {
      members.push((await staff('POST', '/api/v1/people', { fullName, dateOfBirth: '1980-03-03', organizationId: cellId, memberStatus: 'full', admittedOn: '2010-05-19' })).body.id);
    }
  });
  afterAll(() => stack?.stop());

  async function toCellVote(fullName: string): Promise<string> {
    const opened = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName, dateOfBirth: '1998-04-04' } });
    const id: string = opened.body.caseId;
    const go = async (s: string, body: unknown) => expect((await staff('POST', `/api/v1/cases/${id}/steps/${s}`, body)).status).toBe(200);
    await go('source', { helperPersonId: members[2] });
    await go('awareness-course', { certificateIssuedOn: t });
    await go('application', { receivedOn: t, biographySealedOn: t });
    await go('verification', { completedOn: t, result: 'clear' });
    await go('introduction', { introducedOn: t, introducers: members.slice(0, 2).map((personId) => ({ personId, coWorkingMonths: 24 })) });
    await go('opinions', { summarizedOn: t });
    return id;
  }

  it('the cell vote: one of two simultaneous sign-offs succeeds, the other gets 409; the vote is recorded once', async () => {
    const outcomes: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const id = await toCellVote(`Nguyễn Văn Đồng ${i}`);
      const vote = (n: number) => ({ vote: { heldOn: t, eligible: 9, present: 9, for: 7 + n, against: 2 - n } });
      const answers = await Promise.all(cellSigners.map((who, n) => who('POST', `/api/v1/cases/${id}/steps/cell-vote`, vote(n))));
      const statuses = answers.map((a) => a.status).sort();
      outcomes.push(statuses);
      expect(statuses, JSON.stringify(answers.map((a) => a.body))).toEqual([200, 409]);
      const loser = answers.find((a) => a.status === 409)!;
      expect(loser.body.error.code).toBe('wrong_step');
      expect(loser.body.error.message).toMatch(/cell-vote|decision/);
      const status = (await staff('GET', `/api/v1/cases/${id}/status`)).body;
      expect(status.steps.filter((s: { step: string }) => s.step === 'cell-vote')).toHaveLength(1);
      expect(status.step).toBe('decision');
      const { rows } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM case_events WHERE case_id = $1 AND kind = 'step-completed' AND step = 'cell-vote'`, [id]);
      expect(rows[0].n).toBe(1);
    }
    console.log(`concurrent sign-offs: pairs=${outcomes.length} both-succeeded=0 both-failed=0`);
  });

  it('the decision: one number wins, the other answers 409 and stays free for another case', async () => {
    const id = await toCellVote('Trần Thị Quyết');
    expect((await cellSigners[0]!('POST', `/api/v1/cases/${id}/steps/cell-vote`, { vote: { heldOn: t, eligible: 9, present: 9, for: 8, against: 1 } })).status).toBe(200);
    const numbers = [`71-QĐ/ĐUKKT`, `72-QĐ/ĐUKKT`];
    const answers = await Promise.all(standing.map((who, n) => who('POST', `/api/v1/cases/${id}/steps/decision`, { decided: 'admit', number: numbers[n], issuedOn: t, receivedByCellOn: t })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const loserNumber = numbers[answers.findIndex((a) => a.status === 409)]!;
    const { rows } = await stack.db.pool.query(`SELECT number FROM decision_numbers WHERE year = $1 AND number = ANY($2::text[])`, [Number(year), numbers]);
    expect(rows.map((r) => r.number)).toEqual([numbers[answers.findIndex((a) => a.status === 200)]]);
    const other = await toCellVote('Lê Văn Khác');
    expect((await cellSigners[1]!('POST', `/api/v1/cases/${other}/steps/cell-vote`, { vote: { heldOn: t, eligible: 9, present: 9, for: 8, against: 1 } })).status).toBe(200);
    expect((await standing[0]!('POST', `/api/v1/cases/${other}/steps/decision`, { decided: 'admit', number: loserNumber, issuedOn: t, receivedByCellOn: t })).status).toBe(200);
  });
});
