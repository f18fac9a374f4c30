import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOrganization } from '../helpers/db.js';
import { call, caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Sessions, CSRF, API tokens, login throttling and password hygiene on the real stack.
 *
 * The `it`s share one app and therefore one login limiter (10 attempts a minute per client address, and every
 * request here comes from 127.0.0.1). They run in file order and share the budget: 1 login in the session test,
 * 8 in the timing test, then the throttle test sees 401 at attempt 10 and 429 at attempt 11. Every login goes
 * through `login()`, which counts attempts; bodies that fail JSON parsing never reach the limiter (the body
 * parser rejects them first), so they are not counted.
 */

const USERNAME = 'lan.nguyen';
/** The password of the user created through POST /api/v1/users. */
const PASSWORD = 'Mật-khẩu-Bí-mật-của-Lan-2026!';
/** Wrong passwords tried against that user (one per attempt). */
const wrongPassword = (i: number) => `sai-mật-khẩu-lần-${i}-Quảng-Nam`;
/** Set later through PATCH /api/v1/users/:id. */
const NEW_PASSWORD = 'Mật-khẩu-Mới-sau-khi-đổi-2027#';
/** Sent in a request the server fails to complete. */
const OTHER_PASSWORD = 'Mật-khẩu-của-người-dùng-thứ-ba-7788';

const INVALID_CREDENTIALS = { error: { code: 'invalid_credentials', message: 'Wrong username or password' } };

type Res = Awaited<ReturnType<typeof call>>;

describe('authentication', () => {
  let stack: TestStack;
  let api: ReturnType<typeof caller>;
  let lanId: string;
  /** The API token Lan creates from her browser session (test 1), used by the following tests. */
  let lanToken: string;
  let lanTokenId: string;

  /** Every log line the app writes. */
  const logLines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });

  /** Everything the server answered to the calls that carried a password: status, headers and body. */
  const answers: Array<{ what: string; text: string }> = [];
  const remember = (what: string, res: Res) => {
    answers.push({ what, text: `${res.status} ${JSON.stringify([...res.headers])} ${JSON.stringify(res.body)}` });
  };

  let loginAttempts = 0;
  let firstLoginAt = 0;
  const login = async (username: string, password: string) => {
    loginAttempts += 1;
    if (loginAttempts === 1) firstLoginAt = Date.now();
    const started = performance.now();
    const res = await call(stack.baseUrl, 'POST', '/api/v1/auth/login', { username, password });
    const ms = performance.now() - started;
    remember(`login #${loginAttempts} (${username})`, res);
    return { ...res, ms };
  };

  const count = async (sql: string, params: unknown[] = []) => (await stack.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n;

  beforeAll(async () => {
    stack = await startTestStack({ logger });
    api = caller(stack.baseUrl, stack.admin.token);
    const orgId = await insertOrganization(stack.db.pool, 'Chi bộ Công ty TNHH Xác Thực');
    const created = await api('POST', '/api/v1/users', {
      username: USERNAME,
      displayName: 'Nguyễn Thị Lan',
      email: 'lan.nguyen@example.vn',
      password: PASSWORD,
      roles: [{ role: 'viewer', organizationId: orgId }],
    });
    remember('POST /users (Lan)', created);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    lanId = created.body.id;
  });
  afterAll(() => stack?.stop());

  it('logs in with a session cookie; cookie writes need the CSRF token; logout ends the session', async () => {
    const res = await login(USERNAME, PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: lanId, username: USERNAME, displayName: 'Nguyễn Thị Lan', active: true });
    expect(res.body.csrfToken).toEqual(expect.any(String));
    expect(res.body.csrfToken.length).toBeGreaterThanOrEqual(16);
    const csrf: string = res.body.csrfToken;

    const setCookies = res.headers.getSetCookie();
    expect(setCookies).toHaveLength(1);
    const setCookie = setCookies[0]!;
    expect(setCookie).toMatch(/^admissions\.sid=[^;]+;/);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;

    const me = await call(stack.baseUrl, 'GET', '/api/v1/auth/me', undefined, { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { id: lanId, username: USERNAME }, via: 'session', csrfToken: csrf });

    // Without the header, or with a wrong one, the CSRF gate refuses the write and nothing is created.
    const tokensBefore = await count('api_tokens WHERE user_id = $1', [lanId]);
    const noHeader = await call(stack.baseUrl, 'POST', '/api/v1/auth/tokens', { name: 'dòng lệnh' }, { cookie });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error.code).toBe('csrf');
    const wrongHeader = await call(stack.baseUrl, 'POST', '/api/v1/auth/tokens', { name: 'dòng lệnh' }, { cookie, csrf: `${csrf}x` });
    expect(wrongHeader.status).toBe(403);
    expect(wrongHeader.body.error.code).toBe('csrf');
    expect(await count('api_tokens WHERE user_id = $1', [lanId])).toBe(tokensBefore);

    // With it, the write goes through; the token it returns works on its own as a Bearer token.
    const created = await call(stack.baseUrl, 'POST', '/api/v1/auth/tokens', { name: 'dòng lệnh' }, { cookie, csrf });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'dòng lệnh', token: expect.stringMatching(/^adm_[A-Za-z0-9_-]{40,}$/) });
    lanToken = created.body.token;
    lanTokenId = created.body.id;
    const viaToken = await call(stack.baseUrl, 'GET', '/api/v1/auth/me', undefined, { token: lanToken });
    expect(viaToken.status).toBe(200);
    expect(viaToken.body).toEqual({ user: expect.objectContaining({ id: lanId }), via: 'token' });

    // Logout is a cookie write too: CSRF first, then 204, and the cookie no longer authenticates.
    const logoutNoCsrf = await call(stack.baseUrl, 'POST', '/api/v1/auth/logout', undefined, { cookie });
    expect(logoutNoCsrf.status).toBe(403);
    expect(logoutNoCsrf.body.error.code).toBe('csrf');
    const logout = await call(stack.baseUrl, 'POST', '/api/v1/auth/logout', undefined, { cookie, csrf });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie().join('\n')).toMatch(/^admissions\.sid=;.*Expires=Thu, 01 Jan 1970/m);
    const after = await call(stack.baseUrl, 'GET', '/api/v1/auth/me', undefined, { cookie });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthenticated');
    const writeAfter = await call(stack.baseUrl, 'POST', '/api/v1/auth/tokens', { name: 'sau khi thoát' }, { cookie, csrf });
    expect(writeAfter.status).toBe(401);
    expect(await count(`session WHERE sess->>'userId' = $1`, [lanId])).toBe(0);

    const actions = (await stack.db.pool.query<{ action: string }>('SELECT action FROM audit_log WHERE actor_user_id = $1 ORDER BY id', [lanId])).rows;
    expect(actions.map((a) => a.action)).toEqual(['auth.login', 'auth.token-created', 'auth.logout']);
  });

  it('shows an API token once, stores only its hash, revokes it, and refuses a disabled user’s token', async () => {
    const lan = caller(stack.baseUrl, lanToken);
    // A token call needs no CSRF header.
    const second = await lan('POST', '/api/v1/auth/tokens', { name: 'tích hợp' });
    expect(second.status).toBe(201);
    const secondToken: string = second.body.token;

    const list = await lan('GET', '/api/v1/auth/tokens');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      { id: lanTokenId, name: 'dòng lệnh', createdAt: expect.any(String), lastUsedAt: expect.any(String), revokedAt: null },
      { id: second.body.id, name: 'tích hợp', createdAt: expect.any(String), lastUsedAt: null, revokedAt: null },
    ]);
    const listed = JSON.stringify(list.body);
    const sha = (t: string) => createHash('sha256').update(t).digest('hex');
    for (const t of [lanToken, secondToken]) {
      expect(listed).not.toContain(t);
      expect(listed).not.toContain(sha(t));
    }

    // Stored hashed: no column of any row holds a token, and the hash is the SHA-256 of the token.
    const rows = (await stack.db.pool.query<{ j: string }>('SELECT coalesce(json_agg(t), $$[]$$::json)::text AS j FROM api_tokens t')).rows[0]!.j;
    expect(rows).not.toContain(lanToken);
    expect(rows).not.toContain(secondToken);
    expect(rows).not.toContain(secondToken.slice(4, 24));
    const stored = await stack.db.pool.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = $1', [second.body.id]);
    expect(stored.rows[0]!.token_hash).toBe(sha(secondToken));

    // Revoke: 204, then the token gets 401; revoking twice, or someone else's token, is 404.
    expect((await lan('DELETE', `/api/v1/auth/tokens/${second.body.id}`)).status).toBe(204);
    const revoked = await call(stack.baseUrl, 'GET', '/api/v1/auth/me', undefined, { token: secondToken });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('unauthenticated');
    expect((await lan('DELETE', `/api/v1/auth/tokens/${second.body.id}`)).status).toBe(404);
    expect((await api('DELETE', `/api/v1/auth/tokens/${lanTokenId}`)).status).toBe(404);
    expect((await lan('GET', '/api/v1/auth/me')).status).toBe(200);
    const afterRevoke = await lan('GET', '/api/v1/auth/tokens');
    expect(afterRevoke.body.items.find((t: { id: string }) => t.id === second.body.id).revokedAt).toEqual(expect.any(String));

    // A disabled user is refused with every token they hold; enabling them again restores access.
    const disabled = await api('PATCH', `/api/v1/users/${lanId}`, { active: false });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: lanId, active: false });
    const refused = await lan('GET', '/api/v1/auth/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthenticated');
    expect((await lan('POST', '/api/v1/auth/tokens', { name: 'khi bị khóa' })).status).toBe(401);
    expect((await api('PATCH', `/api/v1/users/${lanId}`, { active: true })).status).toBe(200);
    expect((await lan('GET', '/api/v1/auth/me')).status).toBe(200);
  });

  it('answers a wrong password and an unknown user alike: same status, same body, same timing class', async () => {
    const auditBefore = await count(`audit_log WHERE action = 'auth.login-failed'`);
    const wrong: Array<Awaited<ReturnType<typeof login>>> = [];
    const unknown: Array<Awaited<ReturnType<typeof login>>> = [];
    // Alternate, so that any drift in the machine's load hits both kinds alike. Four each: the limiter's budget.
    for (let i = 0; i < 4; i += 1) {
      wrong.push(await login(USERNAME, wrongPassword(i)));
      unknown.push(await login(`khong.ton.tai.${i}.${Date.now()}`, PASSWORD));
    }
    for (const r of [...wrong, ...unknown]) {
      expect(r.status).toBe(401);
      expect(JSON.stringify(r.body)).toBe(JSON.stringify(INVALID_CREDENTIALS));
      expect(r.headers.getSetCookie()).toEqual([]);
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const mid = s.length / 2;
      return s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
    };
    const mWrong = median(wrong.map((r) => r.ms));
    const mUnknown = median(unknown.map((r) => r.ms));
    const detail = `wrong password ${wrong.map((r) => r.ms.toFixed(1)).join('/')} ms, unknown user ${unknown.map((r) => r.ms.toFixed(1)).join('/')} ms`;
    // Both pay for one argon2id verification (about 10 ms here; it cannot be under a few ms)...
    expect(mWrong, detail).toBeGreaterThanOrEqual(3);
    expect(mUnknown, detail).toBeGreaterThanOrEqual(3);
    // ...so neither median is far from the other.
    expect(Math.max(mWrong, mUnknown) / Math.min(mWrong, mUnknown), detail).toBeLessThanOrEqual(3);

    // Both are audited alike, without the username (it would tell which accounts exist).
    const failures = await stack.db.pool.query<{ actor_user_id: string | null; entity_id: string; details: unknown }>(
      `SELECT actor_user_id, entity_id, details FROM audit_log WHERE action = 'auth.login-failed' ORDER BY id`,
    );
    expect(failures.rows.length - auditBefore).toBe(8);
    for (const row of failures.rows) expect(row).toEqual({ actor_user_id: null, entity_id: '-', details: {} });
  });

  it('throttles the 11th login attempt within a minute with 429 too_many_attempts', async () => {
    let res: Awaited<ReturnType<typeof login>> | undefined;
    while (loginAttempts < 20) {
      res = await login(USERNAME, wrongPassword(loginAttempts));
      if (res.status === 429) break;
      expect(res.status, `attempt ${loginAttempts}`).toBe(401);
    }
    // If this fails on a very slow machine, check the window: all attempts must fall within one minute.
    expect(Date.now() - firstLoginAt).toBeLessThan(60_000);
    expect(loginAttempts).toBe(11);
    expect(res!.status).toBe(429);
    expect(res!.body).toEqual({ error: { code: 'too_many_attempts', message: expect.any(String) } });
    expect(Number(res!.headers.get('retry-after'))).toBeGreaterThan(0);

    // The right password does not get through either: the limiter answers before any verification.
    const right = await login(USERNAME, PASSWORD);
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('too_many_attempts');
    expect(right.headers.getSetCookie()).toEqual([]);
    // API tokens are not affected by the login limiter.
    expect((await call(stack.baseUrl, 'GET', '/api/v1/auth/me', undefined, { token: lanToken })).status).toBe(200);
  });

  it('never shows, stores or logs a password in plain text', async () => {
    // A password change, and a request the server may fail on (with a password in its body).
    const changed = await api('PATCH', `/api/v1/users/${lanId}`, { password: NEW_PASSWORD });
    remember('PATCH /users (password)', changed);
    expect(changed.status).toBe(200);
    const orgId = await insertOrganization(stack.db.pool, 'Chi bộ Công ty TNHH Nhật Ký');
    const failing = await api('POST', '/api/v1/users', {
      username: 'hoa.tran',
      displayName: 'Trần Thị Hoa',
      password: OTHER_PASSWORD,
      roles: [{ role: 'viewer', organizationId: orgId }, { role: 'viewer', organizationId: orgId }],
    });
    remember('POST /users (duplicate roles)', failing);
    // Malformed bodies (not JSON, or with the password unquoted) come back as 400 without the password. (The
    // message quotes V8's parse error, which can include up to 10 characters of the body around the error.)
    for (const raw of [`username=${USERNAME}&password=${PASSWORD}`, `{"username":"${USERNAME}","password":${PASSWORD}}`, PASSWORD]) {
      const res = await call(stack.baseUrl, 'POST', '/api/v1/auth/login', undefined, { raw });
      remember('POST /login (malformed)', res);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_json');
    }

    const secrets = [PASSWORD, NEW_PASSWORD, OTHER_PASSWORD, ...Array.from({ length: 20 }, (_, i) => wrongPassword(i))];
    expect(answers.length).toBeGreaterThanOrEqual(16);
    for (const { what, text } of answers) {
      for (const secret of secrets) expect(text.includes(secret), `${what} shows a password`).toBe(false);
    }

    const audit = (await stack.db.pool.query<{ j: string }>('SELECT json_agg(a ORDER BY a.id)::text AS j FROM audit_log a')).rows[0]!.j;
    expect(audit).toContain('auth.login-failed');
    expect(audit).toContain('password (changed)');
    const sessions = (await stack.db.pool.query<{ j: string }>(`SELECT coalesce(json_agg(s), '[]'::json)::text AS j FROM session s`)).rows[0]!.j;
    const hashes = (await stack.db.pool.query<{ password_hash: string }>('SELECT password_hash FROM users')).rows.map((r) => r.password_hash);
    expect(hashes.length).toBeGreaterThanOrEqual(2);
    for (const h of hashes) expect(h).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    for (const secret of secrets) {
      expect(audit.includes(secret), 'audit_log holds a password').toBe(false);
      expect(sessions.includes(secret), 'session holds a password').toBe(false);
      for (const h of hashes) expect(h.includes(secret), 'users.password_hash holds a password').toBe(false);
    }
    // The new password is the one that counts now (checked on the hash directly: the limiter is spent).
    const { verifyPassword } = await import('../../api/auth/passwords.js');
    const lanHash = (await stack.db.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [lanId])).rows[0]!.password_hash;
    expect(await verifyPassword(lanHash, NEW_PASSWORD)).toBe(true);
    expect(await verifyPassword(lanHash, PASSWORD)).toBe(false);

    // The logger is wired and captures (a probe line), and no line the app wrote holds a password.
    logger.info('probe');
    expect(logLines.at(-1)).toContain('"msg":"probe"');
    const logs = logLines.join('\n');
    for (const secret of secrets) expect(logs.includes(secret), 'a log line holds a password').toBe(false);
  });
});
