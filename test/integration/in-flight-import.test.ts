import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterDifferences } from '../../infra/db/queries/counters.js';
import { addOrganization, approver, createUser, organizer } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * A committee adopting the engine brings its paper cases in: each starts at its current step with the
 * earlier steps' dates, votes and decision numbers as history, checked by the workflow's own rules, and is
 * counted in reports on its real dates.
 */
describe('in-flight import of paper cases', () => {
  let stack: TestStack;
  let staff: ReturnType<typeof caller>;
  let cellApprover: ReturnType<typeof caller>;
  let upperId: string;
  let cellId: string;
  let introducers: string[];
  let helper: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    upperId = await addOrganization(pool, { name: 'Đảng ủy Khu kinh tế Giấy', kind: 'upper-committee', symbol: 'ĐUKKTG', place: 'Hải Phòng' });
    cellId = await addOrganization(pool, { name: 'Chi bộ Công ty Giấy Cũ', kind: 'grassroots-cell', parentId: upperId, officialMembers: 9 });
    staff = caller(stack.baseUrl, (await createUser(pool, 'ifi-staff', [organizer(upperId)])).token);
    cellApprover = caller(stack.baseUrl, (await createUser(pool, 'ifi-cell', [approver(cellId, 'cell')])).token);
    const member = async (fullName: string) =>
      (await staff('POST', '/api/v1/people', { fullName, dateOfBirth: '1980-03-03', organizationId: cellId, memberStatus: 'full', admittedOn: '2010-05-19' })).body.id as string;
    introducers = [await member('Đảng viên Giấy Một'), await member('Đảng viên Giấy Hai')];
    helper = await member('Đảng viên Giấy Giúp');
  });
  afterAll(() => stack?.stop());

  /** The paper trail of a candidate admitted on 15/03/2024, up to the cell vote or further. */
  const paper = (until: 'opinions' | 'decision' | 'ceremony', vote = { for: 7, against: 2 }, number = '41-QĐ/ĐUKKTG') => {
    const steps = [
      { step: 'source', signedOn: '2023-09-04', helperPersonId: helper },
      { step: 'awareness-course', signedOn: '2023-10-20', certificateIssuedOn: '2023-10-18' },
      { step: 'application', signedOn: '2023-11-06', receivedOn: '2023-11-06', biographySealedOn: '2023-11-06' },
      { step: 'verification', signedOn: '2023-12-08', completedOn: '2023-12-08', result: 'clear' },
      { step: 'introduction', signedOn: '2024-01-05', introducedOn: '2024-01-05', introducers: introducers.map((personId) => ({ personId, coWorkingMonths: 24 })) },
      { step: 'opinions', signedOn: '2024-01-19', summarizedOn: '2024-01-19' },
      { step: 'cell-vote', signedOn: '2024-01-26', vote: { heldOn: '2024-01-26', eligible: 9, present: 9, ...vote } },
      { step: 'decision', signedOn: '2024-03-18', decided: 'admit', number, issuedOn: '2024-03-15', receivedByCellOn: '2024-03-18' },
      { step: 'ceremony', signedOn: '2024-04-10', heldOn: '2024-04-10', helperPersonId: helper },
    ];
    return steps.slice(0, steps.findIndex((s) => s.step === until) + 1);
  };
  const open = (fullName: string, history: unknown[], openedOn = '2023-09-01') =>
    staff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName, dateOfBirth: '1995-06-06' }, openedOn, history });

  it('starts a case at its current step with the paper history on its own dates, counted on the decision’s date', async () => {
    const res = await open('Nguyễn Văn Giấy', paper('ceremony'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // Probation (12 months from the 10/04/2024 ceremony) ended on paper too: on its own date, not today.
    expect(res.body).toMatchObject({ step: 'recognition-review', facts: { decisionNumber: '41-QĐ/ĐUKKTG', probationEndsOn: '2025-04-10' } });
    expect(res.body.steps.find((x: { step: string }) => x.step === 'probation')).toMatchObject({ completedOn: '2025-04-11', outcome: 'ended' });
    expect(res.body.steps.at(-1)).toMatchObject({ step: 'recognition-review', enteredOn: '2025-04-11' });
    const id = res.body.caseId;
    const detail = (await staff('GET', `/api/v1/cases/${id}`)).body;
    expect(detail.openedAt.slice(0, 10)).toBe('2023-09-01');
    const decided = detail.history.find((e: { kind: string; step: string }) => e.kind === 'step-completed' && e.step === 'decision');
    expect(decided).toMatchObject({ occurredAt: expect.stringMatching(/^2024-03-18/), data: { outcome: 'admitted', issuedOn: '2024-03-15', imported: true } });
    const person = (await staff('GET', `/api/v1/people/${detail.personId}`)).body;
    expect(person).toMatchObject({ memberStatus: 'probationary', admittedOn: '2024-03-15' });
    const report = (await staff('GET', `/api/v1/reports/progress?organizationId=${upperId}&year=2024&period=q1`)).body;
    expect(report.admissions.counted).toBe(1);
    // Papers were issued on paper: none are made again.
    expect((await staff('GET', `/api/v1/cases/${id}/documents`)).body.items).toEqual([]);
  });

  it('goes on live from where the paper stopped: the overdue cell vote is signed by the cell, under the same rules', async () => {
    const res = await open('Trần Thị Dở Dang', paper('opinions'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ step: 'cell-vote', dueOn: '2024-03-08' }); // 30 working days from 19/01/2024, the Tết week (8–14/02) excluded
    const listed = (await staff('GET', `/api/v1/cases?organizationId=${cellId}&overdue=true`)).body.items.map((c: { id: string }) => c.id);
    expect(listed).toContain(res.body.caseId);
    const today = new Date().toISOString().slice(0, 10);
    const vote = await cellApprover('POST', `/api/v1/cases/${res.body.caseId}/steps/cell-vote`, { vote: { heldOn: today, eligible: 9, present: 8, for: 7, against: 1 } });
    expect(vote.status, JSON.stringify(vote.body)).toBe(200);
    // The same rules as for a live case: the file was built in November 2023, over 12 months before this
    // vote, so the introductions and opinions are redone before the cell votes again.
    expect(vote.body.step).toBe('introduction');
    expect(vote.body.steps.at(-2)).toMatchObject({ step: 'cell-vote', outcome: 'file-stale' });
  });

  it('refuses a history that breaks a rule, naming the step, and records nothing', async () => {
    const before = await stack.db.pool.query(`SELECT (SELECT count(*) FROM cases)::int AS cases, (SELECT count(*) FROM people)::int AS people, (SELECT count(*) FROM decision_numbers)::int AS numbers`);
    // 5 of 9 is not two thirds: the paper decision after it cannot stand.
    const failed = await open('Lê Văn Thiếu Phiếu', paper('decision', { for: 5, against: 4 }, '42-QĐ/ĐUKKTG'));
    expect(failed.status, JSON.stringify(failed.body)).toBe(422);
    expect(failed.body.error.fields[0]).toMatchObject({ field: 'history.7', rule: 'procedure' });
    expect(failed.body.error.message).toContain('decision');
    // Out of order: a decision right after the application.
    const order = await open('Phạm Văn Nhảy Bước', [...paper('opinions').slice(0, 3), { step: 'decision', signedOn: '2024-03-15', decided: 'admit', number: '43-QĐ/ĐUKKTG', issuedOn: '2024-03-15', receivedByCellOn: '2024-03-18' }]);
    expect(order.status).toBe(422);
    expect(order.body.error.fields[0].field).toBe('history.3');
    // Dates going backwards.
    const back = paper('opinions');
    back[4] = { ...back[4]!, signedOn: '2023-08-01' };
    expect((await open('Hoàng Thị Lùi Ngày', back)).body.error.fields[0].field).toBe('history.4');
    // An opening date without a history.
    const lone = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName: 'Mai Văn Lẻ', dateOfBirth: '1995-06-06' }, openedOn: '2023-09-01' });
    expect(lone.status).toBe(400);
    expect(lone.body.error.fields[0]).toMatchObject({ field: 'openedOn', rule: 'with_history' });
    // A body that is not the step's.
    const shape = await open('Vũ Văn Sai Mẫu', [{ step: 'source', signedOn: '2023-09-04', helper: 'x' }]);
    expect(shape.status).toBe(400);
    expect(shape.body.error.fields.map((f: { field: string }) => f.field)).toContain('history.0.helperPersonId');
    const after = await stack.db.pool.query(`SELECT (SELECT count(*) FROM cases)::int AS cases, (SELECT count(*) FROM people)::int AS people, (SELECT count(*) FROM decision_numbers)::int AS numbers`);
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('lets only the staff of the deciding committee bring in a paper history (it carries its decisions)', async () => {
    const cellStaff = caller(stack.baseUrl, (await createUser(stack.db.pool, 'ifi-cell-staff', [organizer(cellId)])).token);
    const res = await cellStaff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName: 'Ngô Văn Tự Ý', dateOfBirth: '1995-06-06' }, history: paper('decision', undefined, '44-QĐ/ĐUKKTG') });
    expect(res.status).toBe(403);
    // The same organizer opens cases of the cell without a history as before.
    expect((await cellStaff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName: 'Ngô Văn Mới', dateOfBirth: '1995-06-06' } })).status).toBe(201);
  });

  it('keeps decision numbers unique across imported and live cases', async () => {
    const dup = await open('Đỗ Thị Trùng Số', paper('decision')); // 41-QĐ/ĐUKKTG is the first case's
    expect(dup.status).toBe(409);
    expect(dup.body.error.fields[0]).toMatchObject({ field: 'history.7.number', rule: 'unique' });
  });

  it('leaves the counters equal to a recount from the events', async () => {
    expect(await counterDifferences(stack.db.pool)).toEqual([]);
  });
});
