import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterDifferences } from '../../infra/db/queries/counters.js';
import { vietnamDate } from '../../workflows/calendar/work-calendar.js';
import { addOrganization, approver, createUser, organizer } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * A new party organization set up through the HTTP API on the real dev server and Postgres; after each step
 * the read model agrees with the workflow; once announced, the organization hosts an admission case.
 */
describe('cell establishment through the API', () => {
  let stack: TestStack;
  let staff: ReturnType<typeof caller>;
  let standing: ReturnType<typeof caller>;
  let upperId: string;
  let hostCell: string;
  let enterpriseId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    upperId = await addOrganization(pool, { name: 'Đảng ủy Khu kinh tế', kind: 'upper-committee', symbol: 'ĐUKKT', place: 'Hải Phòng' });
    hostCell = await addOrganization(pool, { name: 'Chi bộ ghép Khu công nghiệp', kind: 'grassroots-cell', parentId: upperId });
    staff = caller(stack.baseUrl, (await createUser(pool, 'e-staff', [organizer(upperId)])).token);
    standing = caller(stack.baseUrl, (await createUser(pool, 'e-standing', [approver(upperId, 'standing-committee')])).token);
    enterpriseId = (await staff('POST', '/api/v1/enterprises', { name: 'Công ty TNHH Điện tử Sao Mai', zone: 'KCN Tràng Duệ', investorCountry: 'KR', workforce: 2500 })).body.id;
  });
  afterAll(() => stack?.stop());

  async function agree(caseId: string) {
    const [row, live] = await Promise.all([staff('GET', `/api/v1/cases/${caseId}`), staff('GET', `/api/v1/cases/${caseId}/status`)]);
    expect(live.status).toBe(200);
    expect({ step: row.body.currentStep, dueOn: row.body.currentStepDueOn, status: row.body.status }).toEqual({
      step: live.body.step,
      dueOn: live.body.dueOn,
      status: live.body.status,
    });
    return { row: row.body, live: live.body };
  }

  it('sets up the organization step by step and then admits a candidate in it', async () => {
    const t = vietnamDate(Date.now());
    const opened = await staff('POST', '/api/v1/cases', { type: 'cell-establishment', organizationId: upperId, enterpriseId });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const id: string = opened.body.caseId;
    expect((await agree(id)).row).toMatchObject({ type: 'cell-establishment', enterpriseId, currentStep: 'survey' });

    const step = async (who: ReturnType<typeof caller>, s: string, body: unknown, expected: string | null) => {
      const res = await who('POST', `/api/v1/cases/${id}/steps/${s}`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.step).toBe(expected);
      return agree(id);
    };
    await step(staff, 'survey', { surveyedOn: t, workforce: 2500, tradeUnion: true, youthUnion: false, ownerAttitude: 'neutral', reportedMembers: { official: 3, probationary: 0, attachedElsewhere: 3 } }, 'owner-consent');
    const meeting = await staff('POST', `/api/v1/cases/${id}/owner-meetings`, { heldOn: t, attendees: 'Tổng giám đốc; Ban Tổ chức', outcome: 'consented' });
    expect(meeting.status).toBe(201);
    expect((await staff('GET', `/api/v1/cases/${id}/owner-meetings`)).body.items).toHaveLength(1);
    await step(staff, 'owner-consent', { outcome: 'consented', consentOn: t, document: 'Văn bản đồng thuận số 12/2026' }, 'member-transfer');

    // Two official members work there; the third one's transfer releases the wait.
    const member = async (fullName: string) =>
      (await staff('POST', '/api/v1/people', { fullName, dateOfBirth: '1985-05-05', organizationId: hostCell, memberStatus: 'full', workplaceEnterpriseId: enterpriseId })).body.id as string;
    await member('Đảng viên Một');
    await member('Đảng viên Hai');
    const third = (await staff('POST', '/api/v1/people', { fullName: 'Đảng viên Ba', dateOfBirth: '1980-08-08', organizationId: hostCell, memberStatus: 'full' })).body.id;
    await staff('POST', `/api/v1/cases/${id}/hold`, { reason: 'đếm lại' });
    await staff('POST', `/api/v1/cases/${id}/resume`);
    const early = await staff('POST', `/api/v1/cases/${id}/steps/member-transfer`, { completedOn: t });
    expect(early.status).toBe(422);
    expect(early.body.error.message).toMatch(/official member\(s\) work here: at least 3/);
    const transferred = await staff('POST', `/api/v1/cases/${id}/member-transfers`, { personId: third });
    expect(transferred.status, JSON.stringify(transferred.body)).toBe(200);
    expect(transferred.body.facts.members.official).toBe(3);
    await step(staff, 'member-transfer', { completedOn: t }, 'proposal');
    await step(staff, 'proposal', { proposedOn: t, name: 'Chi bộ Công ty Sao Mai', symbol: 'CBSM', kind: 'grassroots-cell', leadership: 'secretary' }, 'decision');
    const decision = { establishmentNumber: '101-QĐ/ĐUKKT', appointmentNumber: '102-QĐ/ĐUKKT', issuedOn: t, appointeePersonId: third };
    expect((await staff('POST', `/api/v1/cases/${id}/steps/decision`, decision)).status).toBe(403);
    // The appointment decision names the appointee: without one the sign-off is refused, naming the field.
    const noAppointee = await standing('POST', `/api/v1/cases/${id}/steps/decision`, { ...decision, appointeePersonId: undefined });
    expect(noAppointee.status).toBe(400);
    expect(noAppointee.body.error.fields).toEqual([expect.objectContaining({ field: 'appointeePersonId' })]);
    await step(standing, 'decision', decision, 'announcement');
    const done = await step(staff, 'announcement', { heldOn: t }, null);
    expect(done.live).toMatchObject({ status: 'completed' });
    const newOrg: string = done.live.facts.newOrganizationId;

    // Every step issued its paper, with the enterprise, the counts and the decision numbers in it.
    type Doc = { id: string; form: string; numberText: string | null };
    const docs = (await staff('GET', `/api/v1/cases/${id}/documents`)).body.items as Doc[];
    expect(docs.map((d) => d.form).sort()).toEqual(
      ['survey-report', 'owner-meeting-minutes', 'to-trinh', 'establishment-decision', 'appointment-decision', 'announcement-minutes'].sort(),
    );
    const htmlOf = async (form: string) => (await staff('GET', `/api/v1/documents/${docs.find((d) => d.form === form)!.id}/html`)).body as string;
    expect(await htmlOf('establishment-decision')).toMatch(/Số 101-QĐ\/ĐUKKT[\s\S]*Công ty TNHH Điện tử Sao Mai[\s\S]*Chi bộ Công ty Sao Mai/);
    expect(await htmlOf('appointment-decision')).toContain('Đảng viên Ba');
    expect(await htmlOf('owner-meeting-minutes')).toContain('Tổng giám đốc; Ban Tổ chức');
    expect(await htmlOf('announcement-minutes')).toMatch(/101-QĐ\/ĐUKKT[\s\S]*102-QĐ\/ĐUKKT/);
    expect(await htmlOf('to-trinh')).toContain('gồm 3 đảng viên chính thức và 0 đảng viên dự bị');

    const org = await staff('GET', `/api/v1/organizations/${newOrg}`);
    expect(org.body).toMatchObject({ kind: 'grassroots-cell', parentId: upperId, symbol: 'CBSM', enterpriseId, officialMembers: 3 });

    // The new organization hosts an admission case at once, decided by the upper standing committee.
    const admission = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: newOrg, person: { fullName: 'Trần Văn Mới', dateOfBirth: '2001-01-01' } });
    expect(admission.status, JSON.stringify(admission.body)).toBe(201);
    const detail = await staff('GET', `/api/v1/cases/${admission.body.caseId}`);
    expect(detail.body.approvalChain).toEqual({
      cell: { body: 'cell', organizationId: newOrg },
      partialCommittee: null,
      grassrootsCommittee: null,
      competent: { body: 'standing-committee', organizationId: upperId, delegated: false },
    });
  });

  it('shows the admission cases of people working in the enterprise on its establishment case', async () => {
    const opened = await staff('POST', '/api/v1/cases', { type: 'cell-establishment', organizationId: upperId, enterpriseId });
    const admission = await staff('POST', '/api/v1/cases', { type: 'admission', organizationId: hostCell, person: { fullName: 'Công nhân Ưu tú', dateOfBirth: '1999-03-03' } });
    const personId = (await staff('GET', `/api/v1/cases/${admission.body.caseId}`)).body.personId;
    await staff('PATCH', `/api/v1/people/${personId}`, { workplaceEnterpriseId: enterpriseId });
    const detail = await staff('GET', `/api/v1/cases/${opened.body.caseId}`);
    expect(detail.body.relatedAdmissions.map((c: { id: string }) => c.id)).toContain(admission.body.caseId);
    expect((await staff('GET', '/api/v1/cases?type=cell-establishment')).body.items.map((c: { id: string }) => c.id)).toContain(opened.body.caseId);

    // That candidate's admission decision makes a new (probationary) member there: the case counts again.
    const t = vietnamDate(Date.now());
    const cell = caller(stack.baseUrl, (await createUser(stack.db.pool, 'e-cell', [approver(hostCell, 'cell')])).token);
    const official = async (fullName: string) =>
      (await staff('POST', '/api/v1/people', { fullName, dateOfBirth: '1975-01-01', organizationId: hostCell, memberStatus: 'full', admittedOn: '2005-02-03' })).body.id as string;
    const [a, b, helper] = [await official('Giới thiệu A'), await official('Giới thiệu B'), await official('Giúp đỡ C')];
    const go = async (who: ReturnType<typeof caller>, step: string, body: unknown) =>
      expect((await who('POST', `/api/v1/cases/${admission.body.caseId}/steps/${step}`, body)).status).toBe(200);
    await go(staff, 'source', { helperPersonId: helper });
    await go(staff, 'awareness-course', { certificateIssuedOn: t });
    await go(staff, 'application', { receivedOn: t, biographySealedOn: t });
    await go(staff, 'verification', { completedOn: t, result: 'clear' });
    await go(staff, 'introduction', { introducedOn: t, introducers: [a, b].map((personId) => ({ personId, coWorkingMonths: 20 })) });
    await go(staff, 'opinions', { summarizedOn: t });
    await go(cell, 'cell-vote', { vote: { heldOn: t, eligible: 3, present: 3, for: 3, against: 0 } });
    const before = (await staff('GET', `/api/v1/cases/${opened.body.caseId}/status`)).body.facts.members.probationary as number;
    await go(standing, 'decision', { decided: 'admit', number: '55-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t });
    let members = before;
    for (let i = 0; i < 50 && members === before; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      members = (await staff('GET', `/api/v1/cases/${opened.body.caseId}/status`)).body.facts.members.probationary;
    }
    expect(members).toBe(before + 1);
  });
  it('leaves the report counters equal to a recount from the events the workflows wrote', async () => {
    const { rows } = await stack.db.pool.query<{ n: number }>('SELECT coalesce(sum(n), 0)::int AS n FROM pipeline_counts');
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(await counterDifferences(stack.db.pool)).toEqual([]);
  });
});
