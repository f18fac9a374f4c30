import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentActivities } from '../../activities/documents.js';
import { insertPerson } from '../../infra/db/queries/cases.js';
import { admin, approver, createTree, createUser, organizer, viewer } from '../helpers/db.js';
import { call, caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Every route × every kind of caller. `allowed` means the request got past authorization (any status but
 * 401, 403 and 404, and no 5xx); a number is the exact status expected. A route added to the app without a
 * row here fails the first test.
 */
const PERSONAS = ['anonymous', 'viewer', 'organizerIn', 'organizerOut', 'approverRight', 'approverOther', 'admin'] as const;
type Persona = (typeof PERSONAS)[number];
type Expect = 'allowed' | 401 | 403 | 404 | 422;
type Row = Record<Persona, Expect>;

const everyone = (e: Expect): Row => ({ anonymous: 401, viewer: e, organizerIn: e, organizerOut: e, approverRight: e, approverOther: e, admin: e });
const adminOnly: Row = { ...everyone(403), admin: 'allowed' };
/** Reads of a resource in the cell: the viewer, organizer and approver of that cell see it; others get 404. */
const scopedRead: Row = { ...everyone('allowed'), organizerOut: 404, approverOther: 404 };
/** Staff work on a resource in the cell. */
const drive: Row = { ...scopedRead, viewer: 403, approverRight: 403 };
/** Creating in the cell: out-of-scope callers get "no such organization" (422), not a hint that it exists. */
const createIn: Row = { ...drive, organizerOut: 422, approverOther: 422 };

interface Ctx {
  caseId: string;
  cellId: string;
  otherCellId: string;
  personId: string;
  helperId: string;
  enterpriseId: string;
  userId: string;
  documentId: string;
}

interface Probe {
  readonly expect: Row;
  readonly request: (c: Ctx) => { path: string; body?: unknown };
}

const MATRIX: Record<string, Probe> = {
  'GET /healthz': { expect: { ...everyone('allowed'), anonymous: 'allowed' }, request: () => ({ path: '/healthz' }) },
  'GET /livez': { expect: { ...everyone('allowed'), anonymous: 'allowed' }, request: () => ({ path: '/livez' }) },
  'GET /readyz': { expect: { ...everyone('allowed'), anonymous: 'allowed' }, request: () => ({ path: '/readyz' }) },
  // Without METRICS_TOKEN (as here) the metrics are public: they hold route templates and counts, no data.
  'GET /metrics': { expect: { ...everyone('allowed'), anonymous: 'allowed' }, request: () => ({ path: '/metrics' }) },
  'GET /api/v1/openapi.json': { expect: { ...everyone('allowed'), anonymous: 'allowed' }, request: () => ({ path: '/api/v1/openapi.json' }) },
  'GET /api/v1/docs': { expect: { ...everyone('allowed'), anonymous: 'allowed' }, request: () => ({ path: '/api/v1/docs' }) },
  'GET /api/v1/outbox': { expect: adminOnly, request: () => ({ path: '/api/v1/outbox' }) },
  // Public: wrong credentials get the same 401 whoever asks (a logged-in caller is no exception).
  'POST /api/v1/auth/login': {
    expect: everyone(401),
    request: () => ({ path: '/api/v1/auth/login', body: { username: 'nobody', password: 'wrong password' } }),
  },
  'POST /api/v1/auth/logout': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/auth/logout' }) },
  'GET /api/v1/auth/me': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/auth/me' }) },
  'GET /api/v1/auth/tokens': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/auth/tokens' }) },
  'POST /api/v1/auth/tokens': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/auth/tokens', body: { name: 'matrix' } }) },
  // Someone else's (here: nobody's) token: not found for every caller.
  'DELETE /api/v1/auth/tokens/:id': { expect: everyone(404), request: () => ({ path: `/api/v1/auth/tokens/${randomUUID()}` }) },

  'GET /api/v1/cases': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/cases' }) },
  'POST /api/v1/cases': {
    expect: createIn,
    request: (c) => ({ path: '/api/v1/cases', body: { type: 'admission', organizationId: c.cellId, person: { fullName: 'Ma Trận', dateOfBirth: '1999-01-01' } } }),
  },
  'GET /api/v1/cases/:id': { expect: scopedRead, request: (c) => ({ path: `/api/v1/cases/${c.caseId}` }) },
  // The source step is signed by the cell (or driven by staff); not by another cell's approver or a viewer.
  'POST /api/v1/cases/:id/steps/:step': {
    expect: { ...scopedRead, viewer: 403 },
    request: (c) => ({ path: `/api/v1/cases/${c.caseId}/steps/source`, body: { helperPersonId: c.helperId } }),
  },
  'POST /api/v1/cases/:id/member-transfers': { expect: drive, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/member-transfers`, body: { personId: c.personId } }) },
  'POST /api/v1/cases/:id/host-cell': { expect: drive, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/host-cell`, body: { organizationId: c.cellId } }) },
  'GET /api/v1/cases/:id/owner-meetings': { expect: scopedRead, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/owner-meetings` }) },
  'POST /api/v1/cases/:id/owner-meetings': {
    expect: drive,
    request: (c) => ({ path: `/api/v1/cases/${c.caseId}/owner-meetings`, body: { heldOn: '2026-01-05', attendees: 'Ban Tổ chức', outcome: 'undecided' } }),
  },
  'GET /api/v1/cases/:id/documents': { expect: scopedRead, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/documents` }) },
  'GET /api/v1/documents/:id/html': { expect: scopedRead, request: (c) => ({ path: `/api/v1/documents/${c.documentId}/html` }) },
  'GET /api/v1/documents/:id/pdf': { expect: scopedRead, request: (c) => ({ path: `/api/v1/documents/${c.documentId}/pdf` }) },
  // Staff only; this document was issued without a step (409 "nothing to make it again from") for them.
  'POST /api/v1/documents/:id/render': { expect: drive, request: (c) => ({ path: `/api/v1/documents/${c.documentId}/render` }) },
  'GET /api/v1/cases/:id/status': { expect: scopedRead, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/status` }) },
  'GET /api/v1/cases/:id/comments': { expect: scopedRead, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/comments` }) },
  'POST /api/v1/cases/:id/comments': { expect: drive, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/comments`, body: { body: 'Ghi chú' } }) },
  'POST /api/v1/cases/:id/hold': { expect: drive, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/hold`, body: { reason: 'Chờ thẩm tra' } }) },
  'POST /api/v1/cases/:id/resume': { expect: drive, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/resume` }) },
  'POST /api/v1/cases/:id/transfer': { expect: drive, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/transfer`, body: { organizationId: c.cellId } }) },
  'POST /api/v1/cases/:id/extend-deadline': {
    expect: drive,
    request: (c) => ({ path: `/api/v1/cases/${c.caseId}/extend-deadline`, body: { step: 'decision', reason: 'Trường hợp đặc biệt' } }),
  },
  'POST /api/v1/cases/:id/provincial-consent': {
    expect: drive,
    request: (c) => ({ path: `/api/v1/cases/${c.caseId}/provincial-consent`, body: { documentNo: '123-CV/TU', on: '2026-01-05' } }),
  },
  'POST /api/v1/cases/:id/withdraw': { expect: drive, request: (c) => ({ path: `/api/v1/cases/${c.caseId}/withdraw`, body: { reason: 'Ma trận' } }) },

  'GET /api/v1/calendar/add-working-days': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/calendar/add-working-days?from=2026-03-02&days=5' }) },
  'GET /api/v1/calendar/working-days-between': {
    expect: everyone('allowed'),
    request: () => ({ path: '/api/v1/calendar/working-days-between?from=2026-03-02&to=2026-03-20' }),
  },
  'GET /api/v1/calendar/:year': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/calendar/2026' }) },
  'PUT /api/v1/calendar/:year': {
    expect: adminOnly,
    request: () => ({ path: '/api/v1/calendar/2031', body: { source: 'Ma trận', days: [{ date: '2031-01-02', kind: 'bridge', holiday: 'new-year' }] } }),
  },

  'GET /api/v1/organizations': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/organizations' }) },
  'GET /api/v1/organizations/:id': { expect: scopedRead, request: (c) => ({ path: `/api/v1/organizations/${c.cellId}` }) },
  'GET /api/v1/organizations/:id/history': { expect: scopedRead, request: (c) => ({ path: `/api/v1/organizations/${c.cellId}/history` }) },
  'GET /api/v1/organizations/:id/approval-chain': { expect: scopedRead, request: (c) => ({ path: `/api/v1/organizations/${c.cellId}/approval-chain` }) },
  'POST /api/v1/organizations': {
    expect: adminOnly,
    request: () => ({ path: '/api/v1/organizations', body: { name: 'Đảng ủy mới', kind: 'upper-committee' } }),
  },
  'PATCH /api/v1/organizations/:id': { expect: adminOnly, request: (c) => ({ path: `/api/v1/organizations/${c.cellId}`, body: { officialMembers: 8 } }) },

  'GET /api/v1/people': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/people' }) },
  'GET /api/v1/people/:id': { expect: scopedRead, request: (c) => ({ path: `/api/v1/people/${c.personId}` }) },
  'POST /api/v1/people': {
    expect: createIn,
    request: (c) => ({ path: '/api/v1/people', body: { fullName: 'Người Mới', dateOfBirth: '1995-05-05', organizationId: c.cellId } }),
  },
  'PATCH /api/v1/people/:id': { expect: drive, request: (c) => ({ path: `/api/v1/people/${c.personId}`, body: { occupation: 'Công nhân' } }) },

  'GET /api/v1/enterprises': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/enterprises' }) },
  'GET /api/v1/enterprises/:id': { expect: everyone('allowed'), request: (c) => ({ path: `/api/v1/enterprises/${c.enterpriseId}` }) },
  'POST /api/v1/enterprises': {
    expect: { ...everyone(403), organizerIn: 'allowed', organizerOut: 'allowed', admin: 'allowed' },
    request: () => ({ path: '/api/v1/enterprises', body: { name: 'Công ty TNHH Ma Trận' } }),
  },
  'PATCH /api/v1/enterprises/:id': {
    expect: { ...everyone(403), organizerIn: 'allowed', organizerOut: 'allowed', admin: 'allowed' },
    request: (c) => ({ path: `/api/v1/enterprises/${c.enterpriseId}`, body: { workforce: 1200 } }),
  },

  'GET /api/v1/users': { expect: adminOnly, request: () => ({ path: '/api/v1/users' }) },
  'POST /api/v1/users': {
    expect: adminOnly,
    request: () => ({ path: '/api/v1/users', body: { username: `u-${randomUUID().slice(0, 8)}`, displayName: 'Mới', password: 'mật-khẩu-rất-dài-1', roles: [] } }),
  },
  'PATCH /api/v1/users/:id': { expect: adminOnly, request: (c) => ({ path: `/api/v1/users/${c.userId}`, body: { displayName: 'Đổi tên' } }) },
  'GET /api/v1/audit': { expect: adminOnly, request: () => ({ path: '/api/v1/audit' }) },

  // A dry run (the default) writes nothing; rows outside the caller's scope are reported, not refused.
  'POST /api/v1/imports': {
    expect: { ...everyone('allowed') },
    request: () => ({ path: '/api/v1/imports?kind=candidates', body: { not: 'csv' } }),
  },
  'GET /api/v1/imports/:id': { expect: { ...everyone(404) }, request: () => ({ path: '/api/v1/imports/00000000-0000-4000-8000-000000000000' }) },
  'GET /api/v1/exports/cases': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/exports/cases?format=csv' }) },
  'GET /api/v1/exports/progress': { expect: scopedRead, request: (c) => ({ path: `/api/v1/exports/progress?format=csv&organizationId=${c.cellId}&year=2026` }) },
  'GET /api/v1/reports/progress': { expect: scopedRead, request: (c) => ({ path: `/api/v1/reports/progress?organizationId=${c.cellId}&year=2026` }) },
  'GET /api/v1/targets': { expect: everyone('allowed'), request: () => ({ path: '/api/v1/targets?year=2026' }) },
  // Organizers of the cell (or above it) and admins set its targets; an organizer elsewhere cannot see it.
  'PUT /api/v1/targets': {
    expect: { ...everyone(403), organizerIn: 'allowed', organizerOut: 404, admin: 'allowed' },
    request: (c) => ({ path: '/api/v1/targets', body: { organizationId: c.cellId, year: 2026, kind: 'admissions', value: 3 } }),
  },
};

describe('authorization matrix', () => {
  let stack: TestStack;
  let ctx: Ctx;
  const tokens = {} as Record<Persona, string | undefined>;

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    const tree = await createTree(pool);
    const users = {
      viewer: await createUser(pool, 'm-viewer', [viewer(tree.gcell)]),
      organizerIn: await createUser(pool, 'm-organizer-in', [organizer(tree.gcell)]),
      organizerOut: await createUser(pool, 'm-organizer-out', [organizer(tree.gcell2)]),
      approverRight: await createUser(pool, 'm-approver-right', [approver(tree.gcell, 'cell')]),
      approverOther: await createUser(pool, 'm-approver-other', [approver(tree.gcell2, 'cell')]),
      admin: await createUser(pool, 'm-admin', [admin()]),
    };
    tokens.anonymous = undefined;
    for (const [k, u] of Object.entries(users)) tokens[k as Persona] = u.token;
    const asAdmin = caller(stack.baseUrl, stack.admin.token);
    const opened = await asAdmin('POST', '/api/v1/cases', { type: 'admission', organizationId: tree.gcell, person: { fullName: 'Ứng Viên', dateOfBirth: '1998-08-08' } });
    const enterprise = await asAdmin('POST', '/api/v1/enterprises', { name: 'Công ty TNHH Sao Việt' });
    ctx = {
      caseId: opened.body.caseId,
      cellId: tree.gcell,
      otherCellId: tree.gcell2,
      personId: await insertPerson(pool, { fullName: 'Người Trong Chi Bộ', dateOfBirth: '1990-01-01', organizationId: tree.gcell }),
      helperId: await insertPerson(pool, { fullName: 'Người Giúp Đỡ', dateOfBirth: '1970-01-01', organizationId: tree.gcell }),
      enterpriseId: enterprise.body.id,
      userId: users.viewer.id,
      documentId: (
        await documentActivities({ pool }).issueDocument({
          caseId: opened.body.caseId,
          step: 'cell-vote',
          form: '6-KNĐ',
          data: {
            issuer: { superior: 'ĐẢNG ỦY KHU KINH TẾ', name: 'CHI BỘ B' },
            place: 'Hải Phòng',
            date: '2026-01-05',
            candidate: { fullName: 'Ứng Viên', dateOfBirth: '1998-08-08' },
            cell: { name: 'Chi bộ B' },
            vote: { heldOn: '2026-01-05', eligible: 7, present: 7, for: 5, against: 2 },
            signer: { name: 'Bí thư' },
          },
        })
      ).id,
    };
  });
  afterAll(() => stack?.stop());

  it('has a row for every route of the app, and no row for a route that does not exist', () => {
    const routes = stack.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(Object.keys(MATRIX).sort()).toEqual(routes);
  });

  // Reads and harmless writes first; the case's withdrawal last (it closes the case).
  const order = Object.keys(MATRIX).sort((a, b) => Number(a.endsWith('/withdraw')) - Number(b.endsWith('/withdraw')));
  it.each(order)('%s', async (key) => {
    const [method, _path] = key.split(' ');
    const probe = MATRIX[key]!;
    const failures: string[] = [];
    for (const persona of PERSONAS) {
      const { path, body } = probe.request(ctx);
      const res = await call(stack.baseUrl, method!, path, body, tokens[persona] ? { token: tokens[persona] } : {});
      const expected = probe.expect[persona];
      const ok = expected === 'allowed' ? ![401, 403, 404].includes(res.status) && res.status < 500 : res.status === expected;
      if (!ok) failures.push(`${persona}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });
});
