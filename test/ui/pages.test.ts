import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOrganization, approver, createUser, organizer, TEST_PASSWORD, viewer } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Every page of the staff UI over plain HTTP (the browser test drives the main path): each renders for the
 * users who may see it, answers 404 outside their scope, carries the CSRF token on every form, escapes what
 * people typed, refers to nothing outside the site, and its forms work (import, enterprises, targets, users).
 */
describe('staff UI pages', () => {
  let stack: TestStack;
  let caseId: string;
  let upper: string;
  const hostile = '<script>alert("x")</script> Nguyễn';

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    upper = await addOrganization(pool, { name: 'Đảng ủy Khu kinh tế Trang', kind: 'upper-committee', symbol: 'ĐUKKT', place: 'Hải Phòng' });
    const cell = await addOrganization(pool, { name: 'Chi bộ Trang Một', kind: 'grassroots-cell', parentId: upper, officialMembers: 9 });
    const other = await addOrganization(pool, { name: 'Đảng ủy Khác', kind: 'upper-committee' });
    const otherCell = await addOrganization(pool, { name: 'Chi bộ Khác', kind: 'grassroots-cell', parentId: other });
    await createUser(pool, 'p-staff', [organizer(upper)]);
    await createUser(pool, 'p-out', [organizer(other)]);
    await createUser(pool, 'p-viewer', [viewer(otherCell)]);
    await createUser(pool, 'p-cell', [approver(cell, 'cell')]);
    const api = caller(stack.baseUrl, stack.admin.token);
    const opened = await api('POST', '/api/v1/cases', { type: 'admission', organizationId: cell, person: { fullName: hostile, dateOfBirth: '1999-09-09' } });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    caseId = opened.body.caseId;
  });
  afterAll(() => stack?.stop());

  /** A browser-like session: cookies kept, the CSRF token read from the last page. */
  async function session(username: string | null) {
    let cookie = '';
    let csrf = '';
    const request = async (method: string, path: string, form?: Record<string, string>) => {
      const res = await fetch(`${stack.baseUrl}${path}`, {
        method,
        redirect: 'manual',
        headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body: form ? new URLSearchParams(form).toString() : undefined,
      });
      const set = res.headers.getSetCookie().map((c) => c.split(';')[0] ?? '').filter((c) => c.startsWith('admissions.sid='));
      if (set.length) cookie = set.at(-1)!;
      const html = await res.text();
      csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? csrf;
      return { status: res.status, html, location: res.headers.get('location') };
    };
    await request('GET', '/login');
    if (username) {
      const res = await request('POST', '/login', { _csrf: csrf, username, password: TEST_PASSWORD, next: '/' });
      expect(res.status).toBe(303);
      await request('GET', '/'); // the new session's token
    }
    return { request, csrf: () => csrf };
  }

  const adminName = () => stack.db.pool.query<{ username: string }>(`SELECT username FROM users WHERE username LIKE 'admin-%'`).then((r) => r.rows[0]!.username);

  it('sends a visitor without a session to the login page, and back after logging in', async () => {
    const s = await session(null);
    const res = await s.request('GET', `/cases/${caseId}`);
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/login?next=${encodeURIComponent(`/cases/${caseId}`)}`);
    const login = await s.request('GET', res.location!);
    expect(login.html).toContain(`name="next" value="/cases/${caseId}"`);
    const wrong = await s.request('POST', '/login', { _csrf: s.csrf(), username: 'p-staff', password: 'not the password', next: `/cases/${caseId}` });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('Sai tên đăng nhập hoặc mật khẩu.');
    const ok = await s.request('POST', '/login', { _csrf: s.csrf(), username: 'p-staff', password: TEST_PASSWORD, next: `/cases/${caseId}` });
    expect(ok.location).toBe(`/cases/${caseId}`);
    // A foreign `next` is not followed.
    const s2 = await session(null);
    const away = await s2.request('POST', '/login', { _csrf: s2.csrf(), username: 'p-staff', password: TEST_PASSWORD, next: '//evil.example/' });
    expect(away.location).toBe('/');
  });

  it('gives a new session id at login (no fixation) and ends the session at logout', async () => {
    const first = await fetch(`${stack.baseUrl}/login`);
    const before = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await first.text())![1]!;
    const login = await fetch(`${stack.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: before, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, username: 'p-staff', password: TEST_PASSWORD }).toString(),
    });
    expect(login.status).toBe(303);
    const after = login.headers.getSetCookie()[0]!.split(';')[0]!;
    expect(after).not.toBe(before);
    // The pre-login id (one an attacker could have planted) opens nothing; the new one does.
    expect((await fetch(`${stack.baseUrl}/`, { headers: { cookie: before }, redirect: 'manual' })).status).toBe(303);
    const home = await fetch(`${stack.baseUrl}/`, { headers: { cookie: after } });
    expect(home.status).toBe(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(await home.text())![1]!;
    const out = await fetch(`${stack.baseUrl}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: after, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token }).toString(),
    });
    expect(out.status).toBe(303);
    expect((await fetch(`${stack.baseUrl}/`, { headers: { cookie: after }, redirect: 'manual' })).status).toBe(303);
  });

  it('refuses a login form without its CSRF token', async () => {
    const s = await session(null);
    const res = await s.request('POST', '/login', { username: 'p-staff', password: TEST_PASSWORD });
    expect(res.status).toBe(403);
  });

  it('renders every page for an admin and an organizer, each form with its CSRF token, nothing external, markup escaped', async () => {
    for (const user of [await adminName(), 'p-staff']) {
      const s = await session(user);
      const pages = ['/', '/dashboard', '/cases', `/cases/${caseId}`, '/cases/new', '/cases/new?type=cell-establishment', '/imports', '/enterprises', '/organizations', '/admin/targets', '/admin/calendar', '/admin/calendar?year=2024', '/admin/deadlines'];
      if (user !== 'p-staff') pages.push('/admin/users', '/admin/outbox');
      for (const path of pages) {
        const res = await s.request('GET', path);
        expect(res.status, `${user} ${path}`).toBe(200);
        const forms = res.html.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g) ?? [];
        for (const form of forms) expect(form, `${path}: a form without its CSRF token`).toContain('name="_csrf"');
        // Nothing the page loads or links to leaves the site.
        const urls = [...res.html.matchAll(/(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]!);
        expect(urls.filter((u) => /^[a-z]+:/i.test(u) || u.startsWith('//')), path).toEqual([]);
        expect(res.html, path).not.toContain('<script>alert');
      }
      const casePage = await s.request('GET', `/cases/${caseId}`);
      expect(casePage.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Nguyễn');
    }
    const staff = await session('p-staff');
    expect((await staff.request('GET', '/admin/users')).status).toBe(403);
  });

  it('answers 404 for a case outside the reader’s scope, and lists none of it', async () => {
    for (const user of ['p-out', 'p-viewer']) {
      const s = await session(user);
      const res = await s.request('GET', `/cases/${caseId}`);
      expect(res.status).toBe(404);
      expect(res.html).not.toContain('Nguyễn');
      expect((await s.request('GET', '/cases')).html).not.toContain(caseId);
      expect((await s.request('GET', '/dashboard')).html).not.toContain('Trang Một');
      // Nor can they act on it.
      const hold = await s.request('POST', `/cases/${caseId}/hold`, { _csrf: s.csrf(), reason: 'thử' });
      expect(hold.status).toBe(404);
    }
    // Only organizers and admins add enterprises, whatever the form says.
    const v = await session('p-viewer');
    expect((await v.request('POST', '/enterprises', { _csrf: v.csrf(), name: 'Công ty Lén' })).status).toBe(403);
    const cellUser = await session('p-cell');
    expect((await cellUser.request('POST', '/admin/targets', { _csrf: cellUser.csrf(), organizationId: upper, year: '2024', kind: 'admissions', value: '1' })).status).toBe(403);
  });

  it('lists what waits for the cell approver, searches without accents, and keeps the name out of saved links', async () => {
    const staff = await session('p-staff');
    const found = await staff.request('POST', '/cases', { _csrf: staff.csrf(), q: 'nguyen', status: 'open' });
    expect(found.status).toBe(200);
    expect(found.html).toContain(`/cases/${caseId}`);
    expect(found.html).toContain('href="/cases?status&#x3D;open"');
    // A name in the query string is ignored: names travel by POST only.
    const byGet = await staff.request('GET', '/cases?q=zzzz');
    expect(byGet.status).toBe(200);
    expect(byGet.html).toContain(`/cases/${caseId}`);
    expect(byGet.html).not.toContain('zzzz');
    const badDay = await staff.request('GET', '/dashboard?asOf=2024-02-30');
    expect(badDay.status).toBe(400);
    const bad = await staff.request('POST', '/cases', { _csrf: staff.csrf(), q: 'x', dueWithin: '-1' });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/data-field="q">Phải ít nhất 2/);
    expect(bad.html).toContain('data-field="dueWithin">Không được là số âm.');
    // The case waits at `source`, a staff step: the organizer sees it, the cell approver has nothing to sign yet.
    expect((await staff.request('GET', '/')).html).toContain(`/cases/${caseId}`);
    const cell = await session('p-cell');
    expect((await cell.request('GET', '/')).html).toContain('Không có bước nào đang chờ đồng chí.');
  });

  it('holds and resumes a case, adds a comment; a stale form id does nothing twice', async () => {
    const s = await session('p-staff');
    await s.request('GET', `/cases/${caseId}`);
    const formId = crypto.randomUUID();
    const held = await s.request('POST', `/cases/${caseId}/hold`, { _csrf: s.csrf(), formId, reason: 'Chờ xác minh' });
    expect(held.status).toBe(303);
    const again = await s.request('POST', `/cases/${caseId}/hold`, { _csrf: s.csrf(), formId, reason: 'Chờ xác minh' });
    expect(again.status).toBe(303);
    const page = await s.request('GET', `/cases/${caseId}`);
    expect(page.html).toContain('Đang tạm dừng');
    expect(page.html).toContain('Biểu mẫu này đã được gửi; không ghi nhận lần hai.');
    const audit = await stack.db.pool.query(`SELECT count(*)::int AS n FROM case_events WHERE case_id = $1 AND kind = 'case-noted' AND data ->> 'note' = 'hold'`, [caseId]);
    expect(audit.rows[0].n).toBe(1);
    const empty = await s.request('POST', `/cases/${caseId}/comments`, { _csrf: s.csrf(), formId: crypto.randomUUID(), body: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.html).toContain('data-field="body">Chưa nhập (bắt buộc).');
    expect((await s.request('POST', `/cases/${caseId}/comments`, { _csrf: s.csrf(), formId: crypto.randomUUID(), body: 'Đã gọi điện <b>nhắc</b>' })).status).toBe(303);
    expect((await s.request('POST', `/cases/${caseId}/resume`, { _csrf: s.csrf(), formId: crypto.randomUUID() })).status).toBe(303);
    const after = await s.request('GET', `/cases/${caseId}`);
    expect(after.html).toContain('Đã gọi điện &lt;b&gt;nhắc&lt;/b&gt;');
    expect(after.html).not.toContain('Đang tạm dừng');
  });

  it('imports a CSV: the dry-run report first, then the job with its progress', async () => {
    const s = await session('p-staff');
    await s.request('GET', '/imports');
    const csv = 'Họ và tên,Ngày sinh,Chi bộ\nTrần Văn Nhập,12/05/1995,Chi bộ Trang Một\nLê Thị Sai,31/02/1990,Chi bộ Trang Một\n';
    const form = new FormData();
    form.set('_csrf', s.csrf());
    form.set('kind', 'candidates');
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'list.csv');
    const cookie = await loginCookie('p-staff');
    const dry = await fetch(`${stack.baseUrl}/imports`, { method: 'POST', body: withCsrf(form, cookie.csrf), headers: { cookie: cookie.cookie } });
    const report = await dry.text();
    expect(dry.status).toBe(200);
    expect(report).toContain('Kết quả kiểm tra: 2 dòng, 1 dòng sẽ được nhập.');
    expect(report).toContain('Nhập 1 dòng hợp lệ');
    const confirm = new FormData();
    confirm.set('kind', 'candidates');
    confirm.set('confirm', 'yes');
    confirm.set('csv', unescapeHtml(/<textarea name="csv" hidden>([\s\S]*?)<\/textarea>/.exec(report)![1]!));
    const started = await fetch(`${stack.baseUrl}/imports`, { method: 'POST', body: withCsrf(confirm, cookie.csrf), headers: { cookie: cookie.cookie }, redirect: 'manual' });
    expect(started.status).toBe(303);
    const jobPath = started.headers.get('location')!;
    await expect
      .poll(async () => (await (await fetch(`${stack.baseUrl}${jobPath}`, { headers: { cookie: cookie.cookie, 'hx-request': 'true' } })).text()), { timeout: 30_000 })
      .toContain('Đã tạo 1 hồ sơ.');
  });

  it('adds an enterprise, sets a target and adds a user through the forms, each error at its field', async () => {
    const s = await session(await adminName());
    await s.request('GET', '/enterprises');
    const badEnterprise = await s.request('POST', '/enterprises', { _csrf: s.csrf(), name: 'Công ty TNHH Thử', taxCode: '12', workforce: 'nhiều' });
    expect(badEnterprise.status).toBe(400);
    expect(badEnterprise.html).toContain('data-field="taxCode"');
    expect(badEnterprise.html).toContain('data-field="workforce">Phải là số.');
    expect((await s.request('POST', '/enterprises', { _csrf: s.csrf(), name: 'Công ty TNHH Thử', taxCode: '0201234567', zone: 'KCN Đình Vũ', workforce: '450' })).status).toBe(303);
    expect((await s.request('GET', '/enterprises')).html).toContain('Công ty TNHH Thử');

    await s.request('GET', '/admin/targets');
    const badTarget = await s.request('POST', '/admin/targets', { _csrf: s.csrf(), organizationId: upper, year: '2024', kind: 'admissions', mode: 'absolute', value: '-3' });
    expect(badTarget.status).toBe(400);
    expect(badTarget.html).toContain('data-field="value">Không được là số âm.');
    expect((await s.request('POST', '/admin/targets', { _csrf: s.csrf(), organizationId: upper, year: '2024', kind: 'admissions', mode: 'absolute', value: '190' })).location).toBe('/admin/targets?year=2024');
    expect((await s.request('GET', '/admin/targets?year=2024')).html).toMatch(/Đảng ủy Khu kinh tế Trang[\s\S]*190/);

    await s.request('GET', '/admin/users');
    const badUser = await s.request('POST', '/admin/users', { _csrf: s.csrf(), username: 'x', displayName: 'Cán bộ', password: 'ngắn', role: 'organizer', organizationId: upper });
    expect(badUser.status).toBe(400);
    expect(badUser.html).toContain('data-field="username"');
    const created = await s.request('POST', '/admin/users', { _csrf: s.csrf(), username: 'can-bo-moi', displayName: 'Cán bộ Mới', password: 'mật-khẩu-đủ-dài-2026', role: 'organizer', organizationId: upper });
    expect(created.status, created.html.slice(0, 2000)).toBe(303);
    expect((await s.request('GET', '/admin/users')).html).toContain('Cán bộ Mới');
  });

  it('edits a year of the holiday calendar and a step’s escalation ladder (admin), naming the bad line or rung', async () => {
    const s = await session(await adminName());
    await s.request('GET', '/admin/calendar?year=2030');
    const bad = await s.request('POST', '/admin/calendar', { _csrf: s.csrf(), year: '2030', source: 'Thông báo thử', days: '2030-02-01;bridge;tet;Nghỉ thêm\n2030-13-01;holiday' });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/data-field="days">Dòng 2, date: Ngày không hợp lệ./);
    const ok = await s.request('POST', '/admin/calendar', { _csrf: s.csrf(), year: '2030', source: 'Thông báo thử', days: '2030-02-01;bridge;tet;Nghỉ thêm' });
    expect(ok.location).toBe('/admin/calendar?year=2030');
    const page = await s.request('GET', '/admin/calendar?year=2030');
    expect(page.html).toContain('01/02/2030');
    expect(page.html).toContain('2030-02-01;bridge;tet;Nghỉ thêm');

    await s.request('GET', '/admin/deadlines');
    const notJson = await s.request('POST', '/admin/deadlines', { _csrf: s.csrf(), caseType: 'admission', step: 'cell-vote', rungs: '[{' });
    expect(notJson.status).toBe(400);
    expect(notJson.html).toContain('data-field="rungs"');
    const badRung = await s.request('POST', '/admin/deadlines', { _csrf: s.csrf(), caseType: 'admission', step: 'cell-vote', rungs: '[{"name":"level-1","offsetWorkingDays":0,"to":["everyone"]}]' });
    expect(badRung.status).toBe(400);
    expect(badRung.html).toMatch(/data-field="rungs">[^<]*0\.to\.0/);
    const rungs = [{ name: 'level-1', offsetWorkingDays: 2, to: ['actor'] }];
    expect((await s.request('POST', '/admin/deadlines', { _csrf: s.csrf(), caseType: 'admission', step: 'cell-vote', rungs: JSON.stringify(rungs) })).location).toBe('/admin/deadlines');
    const stored = await stack.db.pool.query(`SELECT rungs FROM escalation_ladders WHERE case_type = 'admission' AND step = 'cell-vote'`);
    expect(stored.rows[0].rungs).toEqual(rungs);
    const audit = await stack.db.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'escalation-ladder.set' AND entity_id = 'admission/cell-vote'`);
    expect(audit.rows[0].n).toBe(1);
    // Organizers read the deadlines but cannot change them.
    const staff = await session('p-staff');
    expect((await staff.request('GET', '/admin/deadlines')).html).not.toContain('action="/admin/deadlines"');
    expect((await staff.request('POST', '/admin/deadlines', { _csrf: staff.csrf(), caseType: 'admission', step: '*', rungs: '[]' })).status).toBe(403);
  });

  /** A fresh login's cookie and CSRF token (for multipart posts, which `session` does not build). */
  async function loginCookie(username: string) {
    const first = await fetch(`${stack.baseUrl}/login`);
    const c0 = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf0 = /name="_csrf" value="([^"]+)"/.exec(await first.text())![1]!;
    const res = await fetch(`${stack.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: c0, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf0, username, password: TEST_PASSWORD }).toString(),
    });
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await fetch(`${stack.baseUrl}/imports`, { headers: { cookie } });
    return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]! };
  }
  const unescapeHtml = (s: string) =>
    s.replace(/&(lt|gt|quot|#x27|#x60|#x3D|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', '#x27': "'", '#x60': '`', '#x3D': '=', amp: '&' })[e]!);
  const withCsrf = (form: FormData, csrf: string) => {
    form.set('_csrf', csrf);
    return form;
  };
});
