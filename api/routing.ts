/**
 * Routes are declared as data: method, path, the action they need, the handler. Mounting them records each
 * one in a table (`app.locals.routes`) so the authorization matrix test can prove every route is covered.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { requireAction } from './auth/middleware.js';
import type { Action, Principal } from './auth/policy.js';
import { HttpError } from './http-errors.js';

export interface RouteDef {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
  readonly action: Action;
  /** Middleware run after the action check, before the handler (e.g. the login rate limit). */
  readonly before?: readonly RequestHandler[];
  readonly handler: (req: Request, res: Response) => unknown;
}

export interface RouteInfo {
  readonly method: RouteDef['method'];
  readonly path: string;
  readonly action: Action;
}

export function mountRoutes(prefix: string, defs: readonly RouteDef[], table: RouteInfo[]): Router {
  const router = Router();
  for (const def of defs) {
    router[def.method](def.path, requireAction(def.action), ...(def.before ?? []), async (req, res) => {
      await def.handler(req, res);
    });
    table.push({ method: def.method, path: `${prefix}${def.path === '/' ? '' : def.path}`, action: def.action });
  }
  return router;
}

/** The caller, for handlers behind any action but 'public'. */
export function principal(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'unauthenticated', 'Log in first');
  return req.principal;
}
