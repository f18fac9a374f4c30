/** The Express application. `createApp` never listens: the server entry and the tests do. */
import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Pool } from '../infra/db/pool.js';
import { authenticate, sessionMiddleware } from './auth/middleware.js';
import type { CalendarService } from './calendar.js';
import type { CaseService } from './cases.js';
import type { DocumentService } from './documents.js';
import type { HealthCheck } from './health.js';
import { METRICS_CONTENT_TYPE, Metrics, metricsAuthorized } from '../infra/metrics.js';
import { observeRequests, routeLabel } from './observability.js';
import { HttpError } from './http-errors.js';
import { listen } from './http-server.js';
import { DOCS_ASSETS_PATH, docsAssets, openApiRoutes } from './openapi.js';
import type { OrganizationService } from './organizations.js';
import type { RecordService } from './records.js';
import type { ExportService } from './exports.js';
import type { ImportService } from './imports.js';
import type { ReportService } from './reports.js';
import { authRoutes, loginLimiter } from './routes/auth.js';
import { calendarRoutes } from './routes/calendar.js';
import { documentRoutes } from './routes/documents.js';
import { outboxRoutes } from './routes/outbox.js';
import { caseRoutes } from './routes/cases.js';
import { organizationRoutes } from './routes/organizations.js';
import { enterpriseRoutes, peopleRoutes } from './routes/records.js';
import { exportRoutes } from './routes/exports.js';
import { importRoutes } from './routes/imports.js';
import { reportRoutes, targetRoutes } from './routes/reports.js';
import { auditRoutes, userRoutes } from './routes/users.js';
import { mountRoutes, type RouteInfo } from './routing.js';
import { mountUi } from '../ui/router.js';
import type { UserService } from './users.js';

export const BODY_LIMIT = '256kb';

export interface AppDeps {
  readonly pool: Pool;
  readonly cases: CaseService;
  readonly documents: DocumentService;
  readonly calendar: CalendarService;
  readonly organizations: OrganizationService;
  readonly records: RecordService;
  readonly reports: ReportService;
  readonly imports: ImportService;
  readonly exports: ExportService;
  readonly users: UserService;
  readonly health: HealthCheck;
  readonly session: { readonly secret: string; readonly secureCookies: boolean; readonly trustProxy: boolean };
  readonly logger?: Logger;
  /** Set `draining` when the process is stopping: /readyz answers 503 so load balancers stop sending. */
  readonly lifecycle?: { draining: boolean };
  /** `GET /metrics` answers only with this bearer token when set. */
  readonly metricsToken?: string | undefined;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag on responses: every page and JSON answer is made per request and per user, no client sends
  // If-None-Match, and hashing each body cost time on every list read (static files keep theirs).
  app.set('etag', false);
  if (deps.session.trustProxy) app.set('trust proxy', 1);
  app.set('query parser', 'simple'); // no nested objects from query strings
  // Plain-HTTP installs (no TLS in front) must not have the browser upgrade every request to https.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: deps.session.secureCookies ? [] : null } } }));
  const metrics = new Metrics();
  metrics.observePool(deps.pool, 'api');
  if (deps.cases?.writeLoad) metrics.observeWriteGate(deps.cases.writeLoad.bind(deps.cases));
  app.use(observeRequests(metrics, deps.logger));
  app.use(express.json({ limit: BODY_LIMIT, strict: true }));

  const lifecycle = deps.lifecycle ?? { draining: false };
  app.locals.lifecycle = lifecycle;
  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness needs Postgres only: with Temporal down the pages and reads still work (sign-offs fail),
  // so the pods stay in the load balancer. /healthz answers 200 only when both answer (monitoring).
  const healthAnswer =
    (required: ReadonlyArray<'postgres' | 'temporal'>): express.RequestHandler =>
    async (_req, res) => {
      const report = await deps.health();
      const status = lifecycle.draining ? 'draining' : required.every((c) => report.checks[c].ok) ? 'ok' : 'degraded';
      res.status(status === 'ok' ? 200 : 503).json({ ...report, status });
    };
  app.get('/readyz', healthAnswer(['postgres']));
  app.get('/healthz', healthAnswer(['postgres', 'temporal']));
  app.get('/metrics', async (req, res) => {
    if (!metricsAuthorized(req.headers.authorization, deps.metricsToken)) {
      res.status(401).json(new HttpError(401, 'unauthenticated', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>'));
      return;
    }
    res.type(METRICS_CONTENT_TYPE).send(await metrics.render());
  });

  // A request with an API token has no session: the session layer (cookie parsing, a new session id per
  // request) is skipped for it (a login still gets one).
  const sessions = sessionMiddleware({ pool: deps.pool, secret: deps.session.secret, secureCookies: deps.session.secureCookies });
  app.use('/api', (req, res, next) => (req.headers.authorization?.startsWith('Bearer ') && req.path !== '/v1/auth/login' ? next() : sessions(req, res, next)));
  app.use('/api', authenticate(deps.pool));

  const routes: RouteInfo[] = [
    {
      method: 'get',
      path: '/livez',
      action: 'public',
      doc: { summary: 'Liveness: the process answers (restart it when this fails)', tags: ['Health'], responseDescription: 'The process is up' },
    },
    {
      method: 'get',
      path: '/readyz',
      action: 'public',
      doc: {
        summary: 'Readiness: Postgres answers and the process is not stopping (Temporal is reported, not required)',
        tags: ['Health'],
        responseDescription: 'Ready (503 with the same shape when Postgres fails, or status "draining")',
      },
    },
    {
      method: 'get',
      path: '/healthz',
      action: 'public',
      doc: { summary: 'Health: Temporal and Postgres answer (for monitoring)', tags: ['Health'], responseDescription: 'Both answer (503 with the same shape names the one that failed)' },
    },
    {
      method: 'get',
      path: '/metrics',
      action: 'public',
      doc: {
        summary: 'Prometheus metrics: requests by route template, durations, pool clients, process (Bearer METRICS_TOKEN when set)',
        tags: ['Health'],
        responseDescription: 'Prometheus text exposition format',
      },
    },
  ];
  const mount = (prefix: string, defs: Parameters<typeof mountRoutes>[1]) => app.use(prefix, mountRoutes(prefix, defs, routes));
  mount('/api/v1/auth', authRoutes(deps.pool, loginLimiter()));
  mount('/api/v1/cases', caseRoutes(deps.cases, deps.documents));
  mount('/api/v1/calendar', calendarRoutes(deps.calendar));
  mount('/api/v1/documents', documentRoutes(deps.documents));
  mount('/api/v1/organizations', organizationRoutes(deps.organizations));
  mount('/api/v1/people', peopleRoutes(deps.records));
  mount('/api/v1/enterprises', enterpriseRoutes(deps.records));
  mount('/api/v1/users', userRoutes(deps.users));
  mount('/api/v1/audit', auditRoutes(deps.pool));
  mount('/api/v1/outbox', outboxRoutes(deps.pool));
  mount('/api/v1/reports', reportRoutes(deps.reports));
  mount('/api/v1/targets', targetRoutes(deps.reports));
  mount('/api/v1/imports', importRoutes(deps.imports));
  mount('/api/v1/exports', exportRoutes(deps.exports));
  // Last, so the document it serves (built on first request) sees every route above, itself included.
  mount('/api/v1', openApiRoutes(routes));
  app.use(DOCS_ASSETS_PATH, docsAssets());
  app.locals.routes = routes;
  // The staff UI's pages (not in the route table: it lists the JSON API). `/cases/:id` is the case page
  // the emails link to.
  mountUi(app, deps, sessions);

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const known = toHttpError(err);
    if (known) {
      res.status(known.status).json(known);
      return;
    }
    // Log the route, not the request body: bodies carry personal data and passwords.
    deps.logger?.error({ err: { message: err?.message, stack: err?.stack }, method: req.method, route: routeLabel(req, res) }, 'unhandled error');
    res.status(500).json(new HttpError(500, 'internal', 'Something went wrong on our side; the error was logged'));
  };
  app.use(onError);
  // Served with requests and responses made as the app's own (api/http-server.ts): `app.listen` too.
  app.listen = ((...args: unknown[]) => listen(app, ...args)) as express.Express['listen'];
  return app;
}

const UNIQUE_FIELDS: Record<string, string> = {
  organizations_symbol_active_idx: 'symbol',
  users_username_idx: 'username',
  user_roles_unique_idx: 'roles',
};

export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  // body-parser and csrf-sync errors carry a status and a type or code
  const e = err as { status?: number; type?: string; code?: string; message?: string };
  if (e?.code === 'EBADCSRFTOKEN') {
    return new HttpError(403, 'csrf', 'Missing or wrong X-CSRF-Token header: take the token from POST /api/v1/auth/login or GET /api/v1/auth/me');
  }
  if (e?.type === 'entity.parse.failed') {
    // Only the position: the parser's message quotes the body around it, which may be a password or a name.
    const position = /position (\d+)/.exec(e.message ?? '')?.[1];
    return new HttpError(400, 'invalid_json', `The request body is not valid JSON${position ? ` (at character ${position})` : ''}`, [
      { field: '(body)', rule: 'json', message: 'is not valid JSON' },
    ]);
  }
  if (e?.type === 'entity.too.large') {
    return new HttpError(413, 'too_large', `The request body is larger than ${BODY_LIMIT}`, [{ field: '(body)', rule: 'max_size', message: `must be at most ${BODY_LIMIT}` }]);
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new HttpError(415, 'unsupported_encoding', e.message ?? 'Unsupported body encoding');
  }
  // A unique index caught what a check before the write could not (two requests at once).
  const pgError = err as { code?: string; constraint?: string };
  if (pgError?.code === '23505') {
    const field = UNIQUE_FIELDS[pgError.constraint ?? ''] ?? '(body)';
    return new HttpError(409, 'conflict', `${field}: is already used`, [{ field, rule: 'unique', message: 'is already used' }]);
  }
  // A value Postgres cannot take (class 22: data exception) came from the request: the caller's to fix.
  if (typeof pgError?.code === 'string' && pgError.code.startsWith('22')) {
    return new HttpError(400, 'invalid_input', 'A value in the request is out of range or malformed', [{ field: '(request)', rule: 'data', message: 'has a value out of range or malformed' }]);
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, 'bad_request', e.message ?? 'Bad request');
  }
  return undefined;
}
