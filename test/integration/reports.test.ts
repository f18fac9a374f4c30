import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterDifferences } from '../../infra/db/queries/counters.js';
import { addOrganization, createUser, organizer } from '../helpers/db.js';
import { CaseWriter } from '../helpers/read-model.js';
import { call, caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * The board's reference figures: "kết nạp 96/190 đảng viên, đạt 50,5 % chỉ tiêu năm; thành lập 2/11 tổ chức
 * đảng" for 01/01–31/03/2024, from an org tree, its 2024 targets and decisions dated around that quarter.
 */
describe('progress report (the reference quarter)', () => {
  let stack: TestStack;
  let as: ReturnType<typeof caller>;
  const org = {} as Record<'upper' | 'other' | 'otherCell' | 'gc1' | 'gc2' | 'cell1' | 'cell2' | 'gcellA' | 'gcellB', string>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const { pool } = stack.db;
    as = caller(stack.baseUrl, stack.admin.token);
    org.upper = await addOrganization(pool, { name: 'Đảng ủy Khu kinh tế Hải Phòng', kind: 'upper-committee', symbol: 'ĐUKKT', place: 'Hải Phòng' });
    org.other = await addOrganization(pool, { name: 'Đảng ủy Khối Doanh nghiệp', kind: 'upper-committee' });
    org.otherCell = await addOrganization(pool, { name: 'Chi bộ Công ty Khác', kind: 'grassroots-cell', parentId: org.other });
    org.gc1 = await addOrganization(pool, { name: 'Đảng bộ Khu công nghiệp Nomura', kind: 'grassroots-committee', parentId: org.upper });
    org.gc2 = await addOrganization(pool, { name: 'Đảng bộ Khu công nghiệp Đình Vũ', kind: 'grassroots-committee', parentId: org.upper });
    org.cell1 = await addOrganization(pool, { name: 'Chi bộ Công ty Nomura 1', kind: 'cell', parentId: org.gc1 });
    org.cell2 = await addOrganization(pool, { name: 'Chi bộ Công ty Đình Vũ 1', kind: 'cell', parentId: org.gc2 });
    org.gcellA = await addOrganization(pool, { name: 'Chi bộ Công ty TNHH Tràng Duệ', kind: 'grassroots-cell', parentId: org.upper });
    org.gcellB = await addOrganization(pool, { name: 'Chi bộ Công ty TNHH VSIP', kind: 'grassroots-cell', parentId: org.upper });

    // 2024 targets: the city's 190 / 11 for the zone committee; its units' own, to check against it.
    const target = (organizationId: string, kind: string, value: number) => as('PUT', '/api/v1/targets', { organizationId, year: 2024, kind, value });
    for (const [o, n] of [[org.upper, 190], [org.gc1, 70], [org.gc2, 60], [org.gcellA, 30], [org.gcellB, 20]] as const) expect((await target(o, 'admissions', n)).status).toBe(200);
    expect((await target(org.upper, 'organizations', 11)).status).toBe(200);

    // 96 admissions decided in the quarter, spread over the units and months: 95, plus one transferred out
    // of the subtree afterwards (it still counts where it was decided).
    const units = [org.cell1, org.cell2, org.gcellA, org.gcellB, org.gc1];
    const inQuarter = Array.from({ length: 95 }, (_, i) => ({ unit: units[i % units.length]!, day: `2024-0${(i % 3) + 1}-${String((i % 27) + 1).padStart(2, '0')}` }));
    for (const a of inQuarter) await (await CaseWriter.open(pool, { organizationId: a.unit })).admit(a.day);
    const moved = await CaseWriter.open(pool, { organizationId: org.gcellA });
    await moved.admit('2024-03-29');
    await moved.transfer(org.gcellA, org.otherCell);
    // Not in the quarter, not admitted, or not in the subtree.
    for (const day of ['2023-12-29', '2023-12-31', '2024-04-01', '2024-04-15']) await (await CaseWriter.open(pool, { organizationId: org.cell1 })).admit(day);
    const rejected = await CaseWriter.open(pool, { organizationId: org.cell2 });
    await rejected.enter('decision', '2024-03-10');
    await rejected.complete('decision', { number: '7-QĐ/ĐU', issuedOn: '2024-03-05', outcome: 'rejected' });
    await rejected.close('rejected');
    await (await CaseWriter.open(pool, { organizationId: org.otherCell })).admit('2024-02-02');

    // New organizations: two establishment decisions in the quarter, one in 2023 (announced in the quarter).
    const establish = async (issuedOn: string, announcedOn?: string) => {
      const w = await CaseWriter.open(pool, { type: 'cell-establishment', organizationId: org.upper, at: `${issuedOn}T02:00:00Z` });
      await w.enter('decision', issuedOn);
      await w.complete('decision', { establishmentNumber: '1-QĐ/ĐUKKT', appointmentNumber: '2-QĐ/ĐUKKT', issuedOn, outcome: 'established' });
      await w.enter('announcement', null);
      if (announcedOn) {
        w.clock = `${announcedOn}T02:00:00Z`;
        await w.complete('announcement', { heldOn: announcedOn, outcome: 'announced' });
        await w.close('completed');
      }
    };
    await establish('2024-01-18', '2024-02-01');
    await establish('2024-03-12');
    await establish('2023-12-20', '2024-01-10');

    // Open cases for the funnel on 31/03: two at the decision (one overdue), one at the cell vote, one proposal.
    const at = (day: string) => `${day}T02:00:00Z`;
    const late = await CaseWriter.open(pool, { organizationId: org.cell1, at: at('2024-01-10') });
    await late.enter('cell-vote', '2024-02-20');
    late.clock = at('2024-03-05');
    await late.enter('decision', '2024-03-20');
    const onTime = await CaseWriter.open(pool, { organizationId: org.gcellB, at: at('2024-03-01') });
    await onTime.enter('decision', '2024-04-25');
    const early = await CaseWriter.open(pool, { organizationId: org.cell2, at: at('2024-01-05') });
    await early.enter('cell-vote', '2024-02-15');
    const proposal = await CaseWriter.open(pool, { type: 'cell-establishment', organizationId: org.upper, at: at('2024-02-01') });
    await proposal.enter('proposal', '2024-03-28');
    // Open on 29/02, withdrawn on 20/03; and a case opened after the quarter.
    const gone = await CaseWriter.open(pool, { organizationId: org.cell2, at: at('2024-01-08') });
    await gone.enter('application', '2024-02-05');
    gone.clock = at('2024-03-20');
    await gone.close('withdrawn');
    const later = await CaseWriter.open(pool, { organizationId: org.cell2, at: at('2024-05-02') });
    await later.enter('application', '2024-05-30');
  });
  afterAll(() => stack?.stop());

  const progress = async (query: string) => {
    const res = await as('GET', `/api/v1/reports/progress?organizationId=${org.upper}&${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('says admissions 96/190 = 50.5 % and new organizations 2/11 = 18.2 % for 01/01–31/03/2024', async () => {
    for (const query of ['year=2024&period=q1', 'from=2024-01-01&to=2024-03-31', 'year=2024&period=year&asOf=2024-03-31']) {
      const r = await progress(query);
      expect(r.admissions, query).toMatchObject({ counted: 96, target: 190, percent: 50.5 });
      expect(r.organizations, query).toMatchObject({ counted: 2, target: 11, percent: 18.2 });
    }
  });

  it('counts by sub-organization and sums the children’s targets to check against the parent’s', async () => {
    const r = await progress('year=2024&period=q1');
    expect(r.admissions.childrenTargets).toBe(180);
    const child = (id: string) => r.children.find((c: { id: string }) => c.id === id);
    // 96 spread over cell1, cell2, gcellA, gcellB, gc1 in turn; gc1's subtree holds cell1 and its own.
    expect(child(org.gc1).admissions).toMatchObject({ counted: 19 + 19, target: 70, percent: 54.3 });
    expect(child(org.gc2).admissions).toMatchObject({ counted: 19, target: 60, percent: 31.7 });
    expect(child(org.gcellA).admissions).toMatchObject({ counted: 19 + 1, target: 30, percent: 66.7 });
    expect(child(org.gcellB).admissions).toMatchObject({ counted: 19, target: 20, percent: 95 });
    expect(r.children.map((c: { admissions: { counted: number } }) => c.admissions.counted).reduce((a: number, b: number) => a + b, 0)).toBe(96);
  });

  it('reports a past period as it stood: asOf cuts the counted events', async () => {
    const r = await progress('year=2024&period=q1&asOf=2024-02-29');
    expect(r.asOf).toBe('2024-02-29');
    expect(r.admissions.counted).toBe(64); // January and February's thirds of the 96
    expect(r.organizations.counted).toBe(1);
  });

  it('shows the funnel, what is overdue on the day, and a forecast for the period', async () => {
    const r = await progress('year=2024&period=q1');
    expect(r.pipeline.admission).toMatchObject({ decision: 2, 'cell-vote': 1 });
    expect(r.pipeline['cell-establishment']).toMatchObject({ proposal: 1, announcement: 1 });
    expect(r.overdue).toEqual({ admission: 2, 'cell-establishment': 1 }); // as of 31/03: the late decision, the cell vote, the proposal
    expect(r.forecast).toEqual({ admissions: 1, organizations: 1 }); // due in the quarter at a late step
  });

  it('shows a past day’s funnel as it stood then, from the events', async () => {
    const feb = await progress('year=2024&period=q1&asOf=2024-02-29');
    // On 29/02: the late case still at the cell vote (overdue since 20/02), the withdrawn one still open.
    expect(feb.pipeline.admission).toMatchObject({ 'cell-vote': 2, application: 1 });
    expect(feb.pipeline.admission.decision).toBeUndefined();
    expect(feb.overdue.admission).toBe(3); // two cell votes due 15/02 and 20/02, the application due 05/02
    // Today the counters: the case opened in May is in the funnel, the withdrawn one is not.
    const now = await progress(`from=2024-01-01&to=${new Date().toISOString().slice(0, 10)}`);
    expect(now.pipeline.admission).toMatchObject({ decision: 2, 'cell-vote': 1, application: 1 });
  });

  it('counts on the ceremony or the announcement when asked', async () => {
    const r = await progress('year=2024&period=q1&organizationsCountOn=announcement');
    expect(r.organizations.counted).toBe(2); // the announcements of 01/02 and 10/01
    expect(r.countedOn.organizations).toBe('establishment-announcement');
  });

  it('keeps the counters equal to a recount from the events', async () => {
    expect(await counterDifferences(stack.db.pool)).toEqual([]);
  });

  it('validates the query and the target, naming the field and the rule', async () => {
    const bad = await as('GET', `/api/v1/reports/progress?organizationId=${org.upper}&from=2024-03-01`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toContainEqual(expect.objectContaining({ field: 'to', rule: 'required' }));
    const noYear = await as('GET', `/api/v1/reports/progress?organizationId=${org.upper}`);
    expect(noYear.body.error.fields).toContainEqual(expect.objectContaining({ field: 'year', rule: 'required' }));
    const rate = await as('PUT', '/api/v1/targets', { organizationId: org.gc1, year: 2025, kind: 'admissions', mode: 'rate', value: 140 });
    expect(rate.status).toBe(400);
    expect(rate.body.error.fields).toContainEqual(expect.objectContaining({ field: 'value', rule: 'max' }));
  });

  it('applies a rate target to the start-of-year membership, and lets only organizers above set it', async () => {
    const res = await as('PUT', '/api/v1/targets', { organizationId: org.gc2, year: 2025, kind: 'admissions', mode: 'rate', value: 7, baseMembers: 143 });
    expect(res.body).toMatchObject({ mode: 'rate', value: 7, baseMembers: 143, count: 11 }); // 10.01 → 11 (at least 7 %)
    const cellOrganizer = await createUser(stack.db.pool, 'reports-cell-organizer', [organizer(org.cell2)]);
    const denied = await call(stack.baseUrl, 'PUT', '/api/v1/targets', { organizationId: org.gc2, year: 2025, kind: 'admissions', value: 5 }, { token: cellOrganizer.token });
    expect(denied.status).toBe(404); // the committee above the cell is not in its scope
    const own = await call(stack.baseUrl, 'PUT', '/api/v1/targets', { organizationId: org.cell2, year: 2025, kind: 'admissions', value: 5 }, { token: cellOrganizer.token });
    expect(own.status).toBe(200);
    const listed = await as('GET', `/api/v1/targets?year=2025&organizationId=${org.gc2}`);
    expect(listed.body.items.map((t: { organizationId: string; count: number }) => [t.organizationId, t.count])).toEqual([[org.gc2, 11], [org.cell2, 5]]);
  });
});
