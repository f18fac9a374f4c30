import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterDifferences } from '../../infra/db/queries/counters.js';
import { addDays } from '../../workflows/calendar/dates.js';
import { vietnamDate } from '../../workflows/calendar/work-calendar.js';
import { addOrganization, approver, createUser, organizer } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * An admission case driven step by step through the HTTP API on the real dev server and Postgres, by the
 * users the steps name. After every step the read model (GET /cases/:id) agrees with the workflow's own
 * status (GET /cases/:id/status).
 */
describe('admission through the API', () => {
  let stack: TestStack;
  let staff: ReturnType<typeof caller>;
  let cellApprover: ReturnType<typeof caller>;
  let standing: ReturnType<typeof caller>;
  let cellId: string;
  let upperId: string;
  let introducers: string[];
  let helper: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    upperId = await addOrganization(pool, { name: 'Đảng ủy Khu kinh tế', kind: 'upper-committee', symbol: 'ĐUKKT' });
    cellId = await addOrganization(pool, { name: 'Chi bộ Công ty Hải Âu', kind: 'grassroots-cell', parentId: upperId, officialMembers: 9 });
    staff = caller(stack.baseUrl, (await createUser(pool, 'a-staff', [organizer(upperId)])).token);
    cellApprover = caller(stack.baseUrl, (await createUser(pool, 'a-cell', [approver(cellId, 'cell')])).token);
    standing = caller(stack.baseUrl, (await createUser(pool, 'a-standing', [approver(upperId, 'standing-committee')])).token);
    const member = async (fullName: string) =>
      (await staff('POST', '/api/v1/people', { fullName, dateOfBirth: '1980-03-03', organizationId: cellId, memberStatus: 'full', admittedOn: '2010-05-19' })).body.id as string;
    introducers = [await member('Đảng viên Một'), await member('Đảng viên Hai')];
    helper = await member('Đảng viên Giúp Đỡ');
  });
  afterAll(() => stack?.stop());

  async function agree(caseId: string) {
    const [row, live] = await Promise.all([staff('GET', `/api/v1/cases/${caseId}`), staff('GET', `/api/v1/cases/${caseId}/status`)]);
    expect(row.status).toBe(200);
    expect(live.status).toBe(200);
    expect({ step: row.body.currentStep, dueOn: row.body.currentStepDueOn, status: row.body.status, org: row.body.organizationId }).toEqual({
      step: live.body.step,
      dueOn: live.body.dueOn,
      status: live.body.status,
      org: live.body.organizationId,
    });
    return live.body;
  }

  /** Opens a case and takes it to the decision step through the API. */
  async function toDecision(fullName: string): Promise<string> {
    const t = vietnamDate(Date.now());
    const opened = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName, dateOfBirth: '1998-04-04' } });
    const id: string = opened.body.caseId;
    const go = async (who: ReturnType<typeof caller>, s: string, body: unknown) => expect((await who('POST', `/api/v1/cases/${id}/steps/${s}`, body)).status).toBe(200);
    await go(staff, 'source', { helperPersonId: helper });
    await go(staff, 'awareness-course', { certificateIssuedOn: t });
    await go(staff, 'application', { receivedOn: t, biographySealedOn: t });
    await go(staff, 'verification', { completedOn: t, result: 'clear' });
    await go(staff, 'introduction', { introducedOn: t, introducers: introducers.map((personId) => ({ personId, coWorkingMonths: 24 })) });
    await go(staff, 'opinions', { summarizedOn: t });
    await go(cellApprover, 'cell-vote', { vote: { heldOn: t, eligible: 9, present: 9, for: 7, against: 2 } });
    return id;
  }

  it('refuses a step whose papers lack data, naming the field; nothing is stored; it goes through once the data is there', async () => {
    const t = vietnamDate(Date.now());
    const opened = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName: 'Đỗ Thị Thiếu', dateOfBirth: '1997-07-07' } });
    const id: string = opened.body.caseId;
    await staff('POST', `/api/v1/cases/${id}/steps/source`, { helperPersonId: helper });
    await staff('POST', `/api/v1/cases/${id}/steps/awareness-course`, { certificateIssuedOn: t });
    // No organization up the tree has a place yet: the application (1-KNĐ) cannot carry its place-and-date line.
    const refused = await staff('POST', `/api/v1/cases/${id}/steps/application`, { receivedOn: t, biographySealedOn: t });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'missing_document_data', message: expect.stringContaining('1-KNĐ needs place') });
    expect(refused.body.error.fields).toEqual([expect.objectContaining({ field: 'place', rule: 'required' })]);
    expect((await agree(id)).step).toBe('application');
    expect((await staff('GET', `/api/v1/cases/${id}/documents`)).body.items).toEqual([]);

    const patched = await caller(stack.baseUrl, stack.admin.token)('PATCH', `/api/v1/organizations/${upperId}`, { place: 'Hải Phòng' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await staff('POST', `/api/v1/cases/${id}/steps/application`, { receivedOn: t, biographySealedOn: t })).status).toBe(200);
    const docs = (await staff('GET', `/api/v1/cases/${id}/documents`)).body.items as Array<{ form: string }>;
    expect(docs.map((d) => d.form).sort()).toEqual(['1-KNĐ', '2-KNĐ']);
  });

  it('refuses a decision number the same body already used this year', async () => {
    const t = vietnamDate(Date.now());
    const first = await toDecision('Phan Văn Một');
    const second = await toDecision('Phan Văn Hai');
    const decision = { decided: 'admit', number: '33-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t };
    expect((await standing('POST', `/api/v1/cases/${first}/steps/decision`, decision)).status).toBe(200);
    const clash = await standing('POST', `/api/v1/cases/${second}/steps/decision`, decision);
    expect(clash.status).toBe(409);
    expect(clash.body.error.fields).toEqual([expect.objectContaining({ field: 'number', rule: 'unique' })]);
    expect((await agree(second)).step).toBe('decision');
    expect((await standing('POST', `/api/v1/cases/${second}/steps/decision`, { ...decision, number: '34-QĐ/ĐUKKT' })).status).toBe(200);
  });

  it('walks a candidate from source to the ceremony, each step signed by its body', async () => {
    const t = vietnamDate(Date.now());
    const opened = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName: 'Nguyễn Thị Hoa', dateOfBirth: '2000-02-29' } });
    expect(opened.status).toBe(201);
    const id: string = opened.body.caseId;
    await agree(id);

    const step = async (who: ReturnType<typeof caller>, s: string, body: unknown, expected: string) => {
      const res = await who('POST', `/api/v1/cases/${id}/steps/${s}`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.step).toBe(expected);
      return agree(id);
    };
    await step(staff, 'source', { helperPersonId: helper }, 'awareness-course');
    await step(staff, 'awareness-course', { certificateIssuedOn: addDays(t, -40) }, 'application');
    await step(staff, 'application', { receivedOn: t, biographySealedOn: t }, 'verification');
    await step(staff, 'verification', { completedOn: t, result: 'clear' }, 'introduction');

    // The server checks the introducers' records: a candidate (not an official member) is refused.
    const notOfficial = await staff('POST', `/api/v1/cases/${id}/steps/introduction`, {
      introducedOn: t,
      introducers: [{ personId: introducers[0], coWorkingMonths: 24 }, { personId: opened.body.caseId, coWorkingMonths: 24 }],
    });
    expect(notOfficial.status).toBe(422);
    await step(staff, 'introduction', { introducedOn: t, introducers: introducers.map((personId) => ({ personId, coWorkingMonths: 24 })) }, 'opinions');
    await step(
      staff,
      'opinions',
      { summarizedOn: t, opinions: [{ source: 'Công đoàn cơ sở', asked: 15, agree: 14 }, { source: 'Chi ủy nơi cư trú', asked: 3, agree: 3 }] },
      'cell-vote',
    );

    // Staff cannot sign the cell's resolution; the cell's approver can. 6 of 9 is exactly two thirds.
    const bySstaff = await staff('POST', `/api/v1/cases/${id}/steps/cell-vote`, { vote: { heldOn: t, eligible: 9, present: 9, for: 6, against: 3 } });
    expect(bySstaff.status).toBe(403);
    const live = await step(cellApprover, 'cell-vote', { vote: { heldOn: t, eligible: 9, present: 9, for: 6, against: 3 } }, 'decision');
    // The server computed the age in full months at the vote from the stored date of birth.
    expect(live.facts.candidateAgeMonthsAtVote).toBeGreaterThanOrEqual(12 * 26);

    const decision = { decided: 'admit', number: '21-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t };
    expect((await cellApprover('POST', `/api/v1/cases/${id}/steps/decision`, decision)).status).toBe(403);
    await step(standing, 'decision', decision, 'ceremony');
    const person = await staff('GET', `/api/v1/people/${(await staff('GET', `/api/v1/cases/${id}`)).body.personId}`);
    expect(person.body).toMatchObject({ memberStatus: 'probationary', admittedOn: t });

    // Another case goes on hold and resumes; the read model follows the workflow there too.
    const other = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: cellId, person: { fullName: 'Lê Văn Tùng', dateOfBirth: '1999-09-09' } });
    await staff('POST', `/api/v1/cases/${other.body.caseId}/hold`, { reason: 'Chờ hồ sơ' });
    const held = await agree(other.body.caseId);
    expect(held.onHold).toMatchObject({ reason: 'Chờ hồ sơ' });
    await staff('POST', `/api/v1/cases/${other.body.caseId}/resume`);

    await step(staff, 'ceremony', { heldOn: t, helperPersonId: helper }, 'probation');
    const history = (await staff('GET', `/api/v1/cases/${id}`)).body.history as Array<{ seq: number }>;
    expect(history.map((e) => e.seq)).toEqual(history.map((_, i) => i + 1));
    const audit = await caller(stack.baseUrl, stack.admin.token)('GET', `/api/v1/audit?caseId=${id}`);
    expect(audit.body.items.filter((a: { action: string }) => a.action === 'case.step-signed')).toHaveLength(9);

    // Each signed step issued its papers, from the records in Postgres; the resolution took the cell's next number.
    type Doc = { id: string; form: string; step: string; version: number; numberText: string | null };
    const docs = (await staff('GET', `/api/v1/cases/${id}/documents`)).body.items as Doc[];
    expect(docs.map((d) => `${d.step}:${d.form}`).sort()).toEqual(
      ['application:1-KNĐ', 'application:2-KNĐ', 'introduction:3-KNĐ', 'introduction:3-KNĐ', 'opinions:5-KNĐ', 'cell-vote:6-KNĐ', 'decision:9-KNĐ'].sort(),
    );
    const resolution = docs.find((d) => d.form === '6-KNĐ')!;
    expect(resolution.numberText).toMatch(/^\d{2}-NQ\/CB$/);
    const decisionDoc = docs.find((d) => d.form === '9-KNĐ')!;
    expect(decisionDoc.numberText).toBe('21-QĐ/ĐUKKT');
    const live2 = (await staff('GET', `/api/v1/cases/${id}/status`)).body as { steps: Array<{ step: string; documentIds?: string[] }> };
    expect(live2.steps.find((x) => x.step === 'decision')!.documentIds).toEqual([decisionDoc.id]);
    const html = (await staff('GET', `/api/v1/documents/${decisionDoc.id}/html`)).body as string;
    expect(html).toContain('Nguyễn Thị Hoa');
    expect(html).toContain('Số 21-QĐ/ĐUKKT');
    expect(html).toContain(`Hải Phòng, ngày ${Number(t.slice(8))} tháng ${Number(t.slice(5, 7))} năm ${t.slice(0, 4)}`);
    expect(html).toContain('a-standing'); // the signer: the standing committee's approver who signed
    const sixHtml = (await staff('GET', `/api/v1/documents/${resolution.id}/html`)).body as string;
    expect(sixHtml).toContain('<td>6 đồng chí (66,7\u00a0% so với tổng số đảng viên chính thức)</td>');

    // A corrected name reaches a re-rendered version; the number stays.
    await staff('PATCH', `/api/v1/people/${(await staff('GET', `/api/v1/cases/${id}`)).body.personId}`, { fullName: 'Nguyễn Thị Hoà' });
    const again = await staff('POST', `/api/v1/documents/${decisionDoc.id}/render`);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body).toMatchObject({ form: '9-KNĐ', version: 2, numberText: '21-QĐ/ĐUKKT' });
    const html2 = (await staff('GET', `/api/v1/documents/${again.body.id}/html`)).body as string;
    expect(html2).toContain('Nguyễn Thị Hoà');
    const audit2 = await caller(stack.baseUrl, stack.admin.token)('GET', `/api/v1/audit?caseId=${id}`);
    expect(audit2.body.items.filter((a: { action: string }) => a.action === 'document.rerender')).toHaveLength(1);
  });
  it('leaves the report counters equal to a recount from the events the workflows wrote', async () => {
    const { rows } = await stack.db.pool.query<{ n: number }>('SELECT coalesce(sum(n), 0)::int AS n FROM pipeline_counts');
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(await counterDifferences(stack.db.pool)).toEqual([]);
  });
});
