import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPerson } from '../../infra/db/queries/cases.js';
import { insertOrganization } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

/** The thin end-to-end slice on the real dev server, real Postgres and a real worker. */
describe('cases API end to end', () => {
  let stack: TestStack;
  let api: ReturnType<typeof caller>;
  let orgId: string;
  beforeAll(async () => {
    stack = await startTestStack();
    api = caller(stack.baseUrl, stack.admin.token);
    orgId = await insertOrganization(stack.db.pool);
  });
  afterAll(() => stack?.stop());

  const newCase = (fullName = 'Nguyễn Văn An') => ({
    type: 'admission',
    organizationId: orgId,
    person: { fullName, dateOfBirth: '1996-05-20' },
  });

  const countRows = async () => {
    const { rows } = await stack.db.pool.query<{ people: number; cases: number; events: number }>(
      `SELECT (SELECT count(*) FROM people)::int AS people, (SELECT count(*) FROM cases)::int AS cases,
              (SELECT count(*) FROM case_events)::int AS events`,
    );
    return rows[0]!;
  };

  it('starts a case that appears in the list with its source step', async () => {
    const created = await api('POST', '/api/v1/cases', newCase());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'admission', status: 'open', step: 'source', recorded: true });
    const caseId: string = created.body.caseId;
    expect(created.headers.get('location')).toBe(`/api/v1/cases/${caseId}`);

    const list = await api('GET', '/api/v1/cases');
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(
      expect.objectContaining({ id: caseId, currentStep: 'source', status: 'open', organizationId: orgId, personName: 'Nguyễn Văn An' }),
    );

    const one = await api('GET', `/api/v1/cases/${caseId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: caseId, currentStep: 'source', person: { fullName: 'Nguyễn Văn An', dateOfBirth: '1996-05-20' } });
    expect(one.body.history).toEqual([expect.objectContaining({ seq: 1, kind: 'case-opened', step: 'source' })]);

    // The workflow id carries only the case id: no personal data reaches Temporal's visibility store.
    const described = await stack.client.workflow.getHandle(`admission:${caseId}`).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(JSON.stringify(described)).not.toContain('Nguyễn');
  });

  it('moves the case on when the helper is assigned, and refuses a second assignment with 409', async () => {
    const created = await api('POST', '/api/v1/cases', newCase('Lê Thị Bình'));
    const caseId: string = created.body.caseId;
    const helper = await insertPerson(stack.db.pool, { fullName: 'Phạm Văn Cường', dateOfBirth: '1980-01-01' });

    const assigned = await api('POST', `/api/v1/cases/${caseId}/steps/source`, { helperPersonId: helper });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ step: 'awareness-course' });
    const one = await api('GET', `/api/v1/cases/${caseId}`);
    expect(one.body.currentStep).toBe('awareness-course');
    expect(one.body.history.map((e: { kind: string; step: string }) => `${e.kind}:${e.step}`)).toEqual([
      'case-opened:source',
      'step-completed:source',
      'step-entered:awareness-course',
    ]);

    const again = await api('POST', `/api/v1/cases/${caseId}/steps/source`, { helperPersonId: helper });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'wrong_step' });
    expect(again.body.error.message).toContain('awareness-course');
  });

  it('withdraws a case, after which it is closed and further sign-offs get 409', async () => {
    const created = await api('POST', '/api/v1/cases', newCase('Hoàng Văn Dũng'));
    const caseId: string = created.body.caseId;
    const withdrawn = await api('POST', `/api/v1/cases/${caseId}/withdraw`, { reason: 'Chuyển công tác' });
    expect(withdrawn.status).toBe(200);
    const handle = stack.client.workflow.getHandle(`admission:${caseId}`);
    await handle.result();
    const one = await api('GET', `/api/v1/cases/${caseId}`);
    expect(one.body).toMatchObject({ status: 'withdrawn', currentStep: null });
    const closed = await api('GET', `/api/v1/cases?status=withdrawn`);
    expect(closed.body.items.map((c: { id: string }) => c.id)).toContain(caseId);
    const late = await api('POST', `/api/v1/cases/${caseId}/withdraw`, { reason: 'again' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('case_closed');
  });

  it('pages through the list with a keyset cursor', async () => {
    for (const name of ['Đỗ Văn E', 'Đỗ Văn G', 'Đỗ Văn H']) {
      expect((await api('POST', '/api/v1/cases', newCase(name))).status).toBe(201);
    }
    const seen: string[] = [];
    let path = '/api/v1/cases?limit=2';
    for (;;) {
      const page = await api('GET', path);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c: { id: string }) => c.id));
      if (!page.body.nextCursor) break;
      path = `/api/v1/cases?limit=2&after=${page.body.nextCursor}`;
    }
    const total = (await countRows()).cases;
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  it('rejects bad input with 400 naming each field, and writes nothing', async () => {
    const before = await countRows();
    const cases: Array<[unknown, string[]]> = [
      // Without a valid type the body cannot be read further: the type is the field to fix first.
      [{}, ['type']],
      [{ ...newCase(), person: { fullName: '', dateOfBirth: '1990-02-30' } }, ['person.fullName', 'person.dateOfBirth']],
      [{ ...newCase(), person: { fullName: 42, dateOfBirth: '20/05/1996' } }, ['person.fullName', 'person.dateOfBirth']],
      [{ ...newCase(), organizationId: 'not-a-uuid' }, ['organizationId']],
      [{ ...newCase(), type: 'marriage' }, ['type']],
      [{ ...newCase(), person: { fullName: 'A', dateOfBirth: '2999-01-01' } }, ['person.dateOfBirth']],
      [{ ...newCase(), isAdmin: true }, ['isAdmin']],
      [[newCase()], ['(body)']],
    ];
    for (const [body, fields] of cases) {
      const res = await api('POST', '/api/v1/cases', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual([...fields].sort());
      for (const f of fields) expect(res.body.error.message).toContain(f);
    }
    const badJson = await api('POST', '/api/v1/cases', undefined, { raw: '{"type": "admission",' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatchObject({ code: 'invalid_json', fields: [{ field: '(body)', rule: 'json' }] });

    const unknownOrg = await api('POST', '/api/v1/cases', { ...newCase(), organizationId: randomUUID() });
    expect(unknownOrg.status).toBe(422);
    expect(unknownOrg.body.error.fields[0].field).toBe('organizationId');

    const badQuery = await api('GET', '/api/v1/cases?limit=0&step=nowhere&after=zzz');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['limit', 'step']);
    const badCursor = await api('GET', '/api/v1/cases?after=zzz');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.fields[0].field).toBe('after');

    expect(await countRows()).toEqual(before);
  });

  it('answers 404 for an unknown case and 400 for a malformed id', async () => {
    const unknown = await api('GET', `/api/v1/cases/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const malformed = await api('GET', '/api/v1/cases/42');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.fields[0].field).toBe('id');
    const unknownUpdate = await api('POST', `/api/v1/cases/${randomUUID()}/steps/source`, { helperPersonId: randomUUID() });
    expect(unknownUpdate.status).toBe(404);
  });

  it('reports Temporal and Postgres reachable on /healthz', async () => {
    const health = await api('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', checks: { postgres: { ok: true }, temporal: { ok: true } } });
  });
});
