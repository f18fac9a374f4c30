/**
 * Routes are declared as data: method, path, the action they need, the handler. Mounting them records each
 * one in a table (`app.locals.routes`) so the authorization matrix test can prove every route is covered,
 * and the OpenAPI document (api/openapi.ts) is generated from the same table.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
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
  /** For the OpenAPI document. Optional in the type, but a route without it fails test/integration/openapi.test.ts. */
  readonly doc?: RouteDoc;
}

/**
 * What the OpenAPI document says about a route. The schemas are the very ones the handler parses (never a
 * copy), so the document cannot drift from the validation.
 */
export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Only when the one derived from method and path would clash with another route's. */
  readonly operationId?: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Of the request body; default application/json (e.g. text/csv for imports). */
  readonly bodyContentType?: string;
  /** The success status; default 200. */
  readonly success?: number;
  readonly responseDescription?: string;
  /** Of the success response; default application/json (none for 204 and redirects). */
  readonly contentType?: string;
  /** Error statuses beyond the ones the generator infers (400 with input, 401/403 behind an action, 404 with path ids). */
  readonly errors?: readonly number[];
}

export interface RouteInfo {
  readonly method: RouteDef['method'];
  readonly path: string;
  readonly action: Action;
  readonly doc?: RouteDoc;
}

export function mountRoutes(prefix: string, defs: readonly RouteDef[], table: RouteInfo[]): Router {
  const router = Router();
  for (const def of defs) {
    const template = `${prefix}${def.path === '/' ? '' : def.path}`;
    const label: RequestHandler = (_req, res, next) => {
      res.locals.route = template; // metrics and access logs name the template, never the ids in the path
      next();
    };
    router[def.method](def.path, label, requireAction(def.action), ...(def.before ?? []), async (req, res) => {
      await def.handler(req, res);
    });
    table.push({ method: def.method, path: template, action: def.action, ...(def.doc ? { doc: def.doc } : {}) });
  }
  return router;
}

/** The caller, for handlers behind any action but 'public'. */
export function principal(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'unauthenticated', 'Log in first');
  return req.principal;
}
