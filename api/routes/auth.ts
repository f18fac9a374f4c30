/** /api/v1/auth: log in and out, who am I, API tokens. */
import { rateLimit } from 'express-rate-limit';
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import type { Pool } from '../../infra/db/pool.js';
import { withTransaction } from '../../infra/db/pool.js';
import { appendAudit } from '../../infra/db/queries/audit.js';
import { findCredentials, forgetPrincipals, getUser, insertApiToken, listApiTokens, revokeApiToken, touchLogin } from '../../infra/db/queries/users.js';
import { generateCsrfToken, SESSION_COOKIE } from '../auth/middleware.js';
import { newApiToken, verifyPassword } from '../auth/passwords.js';
import { HttpError, notFound } from '../http-errors.js';
import { principal, type RouteDef } from '../routing.js';
import { line, parse, uuid } from '../validation.js';

export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

const LoginBody = z.strictObject({
  username: z.string({ error: 'must be a string' }).trim().toLowerCase().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  password: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});
const TokenBody = z.strictObject({ name: line(100) });
const IdParams = z.object({ id: uuid });
const tags = ['Auth'];

/** Ten attempts a minute per client address; the eleventh gets 429 (in-memory: per API process). The page answers 429 as JSON (the login form shows it as an error page). */
export function loginLimiter(o: { readonly failedOnly?: boolean } = {}): RequestHandler {
  return rateLimit({
    // The staff UI counts only failed attempts (guessing); a successful login answers below 400.
    skipSuccessfulRequests: o.failedOnly ?? false,
    windowMs: 60_000,
    limit: LOGIN_ATTEMPTS_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json(new HttpError(429, 'too_many_attempts', 'Too many login attempts: wait a minute and try again'));
    },
  });
}

/**
 * Checks the password and starts a fresh session (a new id: no fixation) for the user; audited either way.
 * Shared by the API's login and the staff UI's login form. Answers the user's id.
 */
export async function logIn(pool: Pool, req: Request, body: { readonly username: string; readonly password: string }): Promise<string> {
  const creds = await findCredentials(pool, body.username.trim().toLowerCase());
  // Unknown user, wrong password and disabled account: one answer, one argon2 verification each.
  const ok = await verifyPassword(creds?.passwordHash, body.password);
  if (!ok || !creds?.active) {
    await appendAudit(pool, { actorUserId: null, actorIp: req.ip ?? null, action: 'auth.login-failed', entityType: 'session', entityId: '-' });
    throw new HttpError(401, 'invalid_credentials', 'Wrong username or password');
  }
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  req.session.userId = creds.id;
  await withTransaction(pool, async (db) => {
    await touchLogin(db, creds.id);
    await appendAudit(db, { actorUserId: creds.id, actorIp: req.ip ?? null, action: 'auth.login', entityType: 'session', entityId: creds.id });
  });
  return creds.id;
}

export function authRoutes(pool: Pool, limiter: RequestHandler): RouteDef[] {
  return [
    {
      method: 'post',
      path: '/login',
      action: 'public',
      before: [limiter],
      doc: {
        summary: 'Log in (session cookie)',
        description: 'Sets the session cookie and answers the user and the CSRF token to send as `X-CSRF-Token` on writes. 10 attempts a minute per address.',
        tags,
        body: LoginBody,
        responseDescription: '`{ user, csrfToken }`',
        errors: [401, 429],
      },
      handler: async (req, res) => {
        const userId = await logIn(pool, req, parse(LoginBody, req.body, 'body'));
        const csrfToken = generateCsrfToken(req, true);
        res.json({ user: await getUser(pool, userId), csrfToken });
      },
    },
    {
      method: 'post',
      path: '/logout',
      action: 'self',
      doc: { summary: 'Log out (ends the session; with a token, only audited)', tags, success: 204 },
      handler: async (req, res) => {
        const p = principal(req);
        if (p.via === 'session') {
          await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
          res.clearCookie(SESSION_COOKIE);
        }
        await appendAudit(pool, { actorUserId: p.userId, actorIp: p.ip, action: 'auth.logout', entityType: 'session', entityId: p.userId });
        res.status(204).end();
      },
    },
    {
      method: 'get',
      path: '/me',
      action: 'self',
      doc: { summary: 'Who am I', tags, responseDescription: '`{ user, via }`, and `csrfToken` for a session' },
      handler: async (req, res) => {
        const p = principal(req);
        res.json({ user: await getUser(pool, p.userId), via: p.via, ...(p.via === 'session' ? { csrfToken: generateCsrfToken(req) } : {}) });
      },
    },
    {
      method: 'get',
      path: '/tokens',
      action: 'self',
      doc: { summary: "The caller's API tokens (never the secrets)", tags },
      handler: async (req, res) => res.json({ items: await listApiTokens(pool, principal(req).userId) }),
    },
    {
      method: 'post',
      path: '/tokens',
      action: 'self',
      doc: {
        summary: 'Create an API token',
        description: 'The token is shown in this answer only: it is stored as a hash.',
        tags,
        body: TokenBody,
        success: 201,
        responseDescription: '`{ id, name, token }`',
      },
      handler: async (req, res) => {
        const p = principal(req);
        const { name } = parse(TokenBody, req.body, 'body');
        const { token, tokenHash } = newApiToken();
        const id = await withTransaction(pool, async (db) => {
          const tokenId = await insertApiToken(db, { userId: p.userId, name, tokenHash });
          await appendAudit(db, { actorUserId: p.userId, actorIp: p.ip, action: 'auth.token-created', entityType: 'api-token', entityId: tokenId });
          return tokenId;
        });
        // The only time the token is shown: it is stored as a hash.
        res.status(201).json({ id, name, token });
      },
    },
    {
      method: 'delete',
      path: '/tokens/:id',
      action: 'self',
      doc: { summary: 'Revoke one of your API tokens', tags, params: IdParams, success: 204 },
      handler: async (req, res) => {
        const p = principal(req);
        const { id } = parse(IdParams, req.params, 'path');
        const revoked = await withTransaction(pool, async (db) => {
          if (!(await revokeApiToken(db, p.userId, id))) return false;
          await appendAudit(db, { actorUserId: p.userId, actorIp: p.ip, action: 'auth.token-revoked', entityType: 'api-token', entityId: id });
          return true;
        });
        forgetPrincipals();
        if (!revoked) throw notFound('The token');
        res.status(204).end();
      },
    },
  ];
}
