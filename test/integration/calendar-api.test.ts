import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, parts } from '../../workflows/calendar/dates.js';
import { createWorkCalendar, vietnamDate } from '../../workflows/calendar/work-calendar.js';
import { insertPerson, listCases } from '../../infra/db/queries/cases.js';
import { listAnnouncedYears } from '../../infra/db/queries/calendar.js';
import { insertOrganization } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

describe('calendar API', () => {
  let stack: TestStack;
  let api: ReturnType<typeof caller>;
  beforeAll(async () => {
    stack = await startTestStack();
    api = caller(stack.baseUrl, stack.admin.token);
  });
  afterAll(() => stack?.stop());

  it('lists an announced year with reasons, and a law-derived year', async () => {
    const y2025 = await api('GET', '/api/v1/calendar/2025');
    expect(y2025.status).toBe(200);
    expect(y2025.body).toMatchObject({ year: 2025, source: 'announced', week: 'mon-fri' });
    expect(y2025.body.daysOff).toContainEqual(
      expect.objectContaining({ date: '2025-05-02', kind: 'bridge', weekday: 'Thứ Sáu', holidayLabel: expect.objectContaining({ en: 'International Labour Day' }) }),
    );
    expect(y2025.body.makeUpDays.map((d: { date: string }) => d.date)).toEqual(['2025-04-26']);

    const y2027 = await api('GET', '/api/v1/calendar/2027');
    expect(y2027.body).toMatchObject({ source: 'law', announcedBy: null, makeUpDays: [] });
    expect(y2027.body.daysOff.filter((d: { holiday: string }) => d.holiday === 'tet')).toHaveLength(7);
  });

  it('adds working days and counts them, with the Saturday-week option', async () => {
    const add = await api('GET', '/api/v1/calendar/add-working-days?from=2025-04-29&days=1');
    expect(add.body).toEqual({ from: '2025-04-29', days: 1, week: 'mon-fri', date: '2025-05-05' });
    const sat = await api('GET', '/api/v1/calendar/add-working-days?from=2027-01-08&days=1&week=mon-sat');
    expect(sat.body.date).toBe('2027-01-09');
    const between = await api('GET', '/api/v1/calendar/working-days-between?from=2024-12-02&to=2025-03-04');
    expect(between.body.workingDays).toBe(60);
  });

  it('answers 400 naming the parameter for bad input', async () => {
    const cases: Array<[string, string[]]> = [
      ['/api/v1/calendar/add-working-days?from=2025-02-30&days=1', ['from']],
      ['/api/v1/calendar/add-working-days?from=2025-02-03&days=-1', ['days']],
      ['/api/v1/calendar/add-working-days?from=2025-02-03&days=ten', ['days']],
      ['/api/v1/calendar/add-working-days?days=3', ['from']],
      ['/api/v1/calendar/add-working-days?from=2025-02-03&days=1&week=sun', ['week']],
      ['/api/v1/calendar/add-working-days?from=1800-01-01&days=1', ['from']],
      ['/api/v1/calendar/working-days-between?from=2025-01-01', ['to']],
      ['/api/v1/calendar/1800', ['year']],
      ['/api/v1/calendar/twenty', ['year']],
    ];
    for (const [path, fields] of cases) {
      const res = await api('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual(fields);
    }
  });

  it('validates a submitted year and writes nothing when it is wrong', async () => {
    const before = await listAnnouncedYears(stack.db.pool);
    const bad = await api('PUT', '/api/v1/calendar/2027', {
      source: 'Thông báo thử',
      days: [
        { date: '2028-01-01', kind: 'holiday', holiday: 'new-year' },
        { date: '2027-02-05', kind: 'holiday', holiday: 'tet' },
        { date: '2027-02-05', kind: 'holiday', holiday: 'tet' },
        { date: '2027-02-03', kind: 'make-up' },
        { date: '2027-02-04', kind: 'bridge' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['days.0.date', 'days.2.date', 'days.3.kind', 'days.4.holiday']);
    const shape = await api('PUT', '/api/v1/calendar/2027', { source: '', days: [{ date: 'soon', kind: 'party' }] });
    expect(shape.status).toBe(400);
    expect(shape.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['days.0.date', 'days.0.kind', 'source']);
    expect(await listAnnouncedYears(stack.db.pool)).toEqual(before);

    const good = await api('PUT', '/api/v1/calendar/2027', {
      source: 'Thông báo thử nghiệm',
      days: [{ date: '2027-02-04', kind: 'bridge', holiday: 'tet', note: 'Hoán đổi' }, { date: '2027-02-05', kind: 'holiday', holiday: 'tet' }],
    });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ year: 2027, source: 'announced', announcedBy: 'Thông báo thử nghiệm', version: 1 });
    const again = await api('PUT', '/api/v1/calendar/2027', { source: 'Sửa lại', days: [{ date: '2027-02-05', kind: 'holiday', holiday: 'tet' }] });
    expect(again.body.version).toBe(2);
  });

  it('recomputes an open case’s due date when its year’s schedule changes', async () => {
    const orgId = await insertOrganization(stack.db.pool);
    const opened = await api('POST', '/api/v1/cases', {
      type: 'admission',
      organizationId: orgId,
      person: { fullName: 'Đặng Thị Mai', dateOfBirth: '1997-02-14' },
    });
    const caseId: string = opened.body.caseId;
    const helper = await insertPerson(stack.db.pool, { fullName: 'Trịnh Văn Nam', dateOfBirth: '1978-08-08' });
    await api('POST', `/api/v1/cases/${caseId}/steps/source`, { helperPersonId: helper });

    const today = vietnamDate(Date.now());
    const expired = await api('POST', `/api/v1/cases/${caseId}/steps/awareness-course`, {
      certificateIssuedOn: addDays(today, -(61 * 31)),
    });
    expect(expired.status).toBe(422);
    expect(expired.body.error.message).toMatch(/expired on .* \(valid 60 months\)/);

    const entered = await api('POST', `/api/v1/cases/${caseId}/steps/awareness-course`, {
      certificateIssuedOn: addDays(today, -30),
    });
    expect(entered.status).toBe(200);
    expect(entered.body.step).toBe('application');
    const stored = await listAnnouncedYears(stack.db.pool);
    const calendar = createWorkCalendar({ announced: stored });
    expect(entered.body.dueOn).toBe(calendar.addWorkingDays(today, 20));
    const oldDue: string = entered.body.dueOn;

    // The government announces an extra day off between today and the due date.
    const extraDay = calendar.addWorkingDays(today, 1);
    const year = parts(extraDay).year;
    const current = await api('GET', `/api/v1/calendar/${year}`);
    const days = [...current.body.daysOff, ...current.body.makeUpDays].map(({ date, kind, holiday, note }) => ({ date, kind, holiday, ...(note ? { note } : {}) }));
    days.push({ date: extraDay, kind: 'bridge', holiday: 'national-day', note: 'Thử: ngày nghỉ thêm' });
    const saved = await api('PUT', `/api/v1/calendar/${year}`, { source: 'Thông báo bổ sung', days });
    expect(saved.status).toBe(200);
    expect(saved.body.casesNotified).toBeGreaterThanOrEqual(1);

    const expected = createWorkCalendar({ announced: await listAnnouncedYears(stack.db.pool) }).addWorkingDays(today, 20);
    expect(expected).not.toBe(oldDue);
    let row;
    for (let i = 0; i < 100; i += 1) {
      row = (await listCases(stack.db.pool, { limit: 100, scope: 'all' })).find((c) => c.id === caseId);
      if (row?.currentStepDueOn === expected) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row?.currentStepDueOn).toBe(expected);
    const detail = await api('GET', `/api/v1/cases/${caseId}`);
    expect(detail.body.history.at(-1)).toMatchObject({ kind: 'step-due-changed', step: 'application', data: { dueOn: expected } });
  });
});
