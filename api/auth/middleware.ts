/**
 * Who is calling: a browser session (cookie, stored in Postgres) or an API token (`Authorization: Bearer`).
 * Cookie-authenticated writes must carry the session's CSRF token (`X-CSRF-Token`); token calls need none.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import connectPgSimple from 'connect-pg-simple';
import { csrfSync } from 'csrf-sync';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { Pool } from '../../infra/db/pool.js';
import { principalByTokenHash, principalByUserId } from '../../infra/db/queries/users.js';
import { HttpError } from '../http-errors.js';
import { hashApiToken } from './passwords.js';
import { isAdmin, canSetTargets, canWriteEnterprises, type Action, type Principal } from './policy.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** A one-time message for the next page the staff UI renders (post/redirect/get). */
    flash?: { kind: 'ok' | 'error'; text: string };
  }
}

export const SESSION_COOKIE = 'admissions.sid';
const SESSION_HOURS = 8;

export interface SessionOptions {
  readonly pool: Pool;
  readonly secret: string;
  readonly secureCookies: boolean;
}

export function sessionMiddleware(o: SessionOptions): RequestHandler {
  const PgStore = connectPgSimple(session);
  return session({
    name: SESSION_COOKIE,
    secret: o.secret,
    store: new PgStore({ pool: o.pool, tableName: 'session', createTableIfMissing: false, pruneSessionInterval: 15 * 60 }),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: o.secureCookies, maxAge: SESSION_HOURS * 3_600_000 },
  });
}

/** The session secret: from config, else one random secret per installation kept in the data folder. */
export function sessionSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'session-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

// API calls send the token as a header; the staff UI's forms as a hidden `_csrf` field.
const csrf = csrfSync({
  getTokenFromRequest: (req) => (req.headers['x-csrf-token'] as string | undefined) ?? (typeof req.body?._csrf === 'string' ? req.body._csrf : undefined),
});
export const generateCsrfToken = csrf.generateToken;
export const csrfProtection: RequestHandler = csrf.csrfSynchronisedProtection;

const bearer = (header: string | undefined) => (header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined);

/** Sets `req.principal` when the caller proved who they are; never rejects (routes decide). */
export function authenticate(pool: Pool): RequestHandler {
  return async (req, _res, next) => {
    const token = bearer(req.headers.authorization);
    const sessionUser = token ? undefined : req.session?.userId;
    if (!token && !sessionUser) return next();
    const user = token ? await principalByTokenHash(pool, hashApiToken(token)) : await principalByUserId(pool, sessionUser!);
    if (!user?.active) {
      if (!token) req.session.userId = undefined;
      return next();
    }
    req.principal = {
      userId: user.id,
      username: user.username,
      displayName: user.displayName,
      roles: user.roles,
      via: token ? 'token' : 'session',
      ip: req.ip ?? null,
    };
    next();
  };
}

/**
 * The route's first gate: 401 without a principal; 403 for actions only some roles may take at all.
 * Checks that depend on a resource's place in the tree happen in the services (404 outside the scope).
 */
export function requireAction(action: Action): RequestHandler {
  const globalRule: Partial<Record<Action, (p: Principal) => boolean>> = {
    'calendar.write': isAdmin,
    'organizations.write': isAdmin,
    'users.manage': isAdmin,
    'audit.read': isAdmin,
    'enterprises.write': canWriteEnterprises,
    'targets.write': canSetTargets,
  };
  return (req, res, next) => {
    if (action === 'public') return next();
    const p = req.principal;
    if (!p) return next(new HttpError(401, 'unauthenticated', 'Log in (POST /api/v1/auth/login) or send an API token (Authorization: Bearer …)'));
    const rule = globalRule[action];
    if (rule && !rule(p)) return next(new HttpError(403, 'forbidden', `Your roles do not allow ${action}`));
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (unsafe && p.via === 'session') return csrf.csrfSynchronisedProtection(req, res, next);
    next();
  };
}
