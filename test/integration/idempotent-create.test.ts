import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTree, createUser, organizer } from '../helpers/db.js';
import { call, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * POST /api/v1/cases with an Idempotency-Key: a client that lost the answer retries and opens nothing new
 * (the gap the fault bench named: a retried create used to open a second case).
 */
describe('idempotent case creation', () => {
  let stack: TestStack;
  let tree: Awaited<ReturnType<typeof createTree>>;
  let token: string;
  let otherToken: string;
  const person = { fullName: 'Lặp Lại Một Lần', dateOfBirth: '1997-07-07' };

  const create = (key: string | undefined, body: unknown, as = token) =>
    call(stack.baseUrl, 'POST', '/api/v1/cases', body, { token: as, ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }) });
  const countCases = async (name: string) =>
    (await stack.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cases c JOIN people p ON p.id = c.person_id WHERE p.full_name = $1', [name])).rows[0]!.n;
  const countPeople = async (name: string) => (await stack.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM people WHERE full_name = $1', [name])).rows[0]!.n;

  beforeAll(async () => {
    stack = await startTestStack();
    tree = await createTree(stack.db.pool);
    token = (await createUser(stack.db.pool, 'idem-staff', [organizer(tree.upper)])).token;
    otherToken = (await createUser(stack.db.pool, 'idem-staff-2', [organizer(tree.upper)])).token;
  });
  afterAll(() => stack?.stop());

  it('a retry with the same key answers the first case (200, replayed) and opens nothing', async () => {
    const body = { type: 'admission', organizationId: tree.gcell, person };
    const first = await create('retry-1', body);
    expect(first.status).toBe(201);
    const again = await create('retry-1', body);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/api/v1/cases/${first.body.caseId}`);
    expect(again.body.caseId).toBe(first.body.caseId);
    expect(again.body.step).toBe(first.body.step);
    expect(await countCases(person.fullName)).toBe(1);
    expect(await countPeople(person.fullName)).toBe(1);
    // Without a key, the same body is a new request: a second case (the old behaviour, kept).
    expect((await create(undefined, body)).status).toBe(201);
    expect(await countCases(person.fullName)).toBe(2);
  });

  it('the key is per user, and a key reused for a different case is refused by name', async () => {
    const body = { type: 'admission', organizationId: tree.gcell, person: { ...person, fullName: 'Khóa Riêng Từng Người' } };
    const mine = await create('shared-key', body);
    const theirs = await create('shared-key', body, otherToken);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.caseId).not.toBe(mine.body.caseId);
    const elsewhere = await create('shared-key', { ...body, organizationId: tree.gcell2 });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.error.code).toBe('idempotency_key_reused');
    expect(elsewhere.body.error.fields[0]).toMatchObject({ field: 'Idempotency-Key', rule: 'same_request' });
  });

  it('two attempts at once with one key open one case; the other answers 200 or 409 in_progress', async () => {
    const name = 'Cùng Lúc Hai Lần';
    const body = { type: 'admission', organizationId: tree.gcell, person: { ...person, fullName: name } };
    const answers = await Promise.all([create('race-1', body), create('race-1', body)]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.every((s) => s === 201 || s === 200 || s === 409)).toBe(true);
    const other = answers.find((a) => a.status !== 201)!;
    if (other.status === 409) expect(other.body.error.code).toBe('in_progress');
    expect(await countCases(name)).toBe(1);
    // The loser's person row is not left behind.
    expect(await countPeople(name)).toBe(1);
  });

  it('a malformed key is a 400 naming the header', async () => {
    const bad = await create('has spaces and ünïcode', { type: 'admission', organizationId: tree.gcell, person });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0]).toMatchObject({ field: 'Idempotency-Key', rule: 'format' });
    expect((await create('x'.repeat(201), { type: 'admission', organizationId: tree.gcell, person })).status).toBe(400);
  });
});
