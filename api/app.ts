/** The Express application. `createApp` never listens: the server entry and the tests do. */
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { CalendarService } from './calendar.js';
import type { CaseService } from './cases.js';
import type { HealthCheck } from './health.js';
import { HttpError } from './http-errors.js';
import { calendarRouter } from './routes/calendar.js';
import { casesRouter } from './routes/cases.js';

export interface AppDeps {
  readonly cases: CaseService;
  readonly calendar: CalendarService;
  readonly health: HealthCheck;
  readonly logger?: Logger;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // no nested objects from query strings
  app.use(express.json({ limit: '256kb', strict: true }));

  app.get('/healthz', async (_req, res) => {
    const report = await deps.health();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.use('/api/v1/cases', casesRouter(deps.cases));
  app.use('/api/v1/calendar', calendarRouter(deps.calendar));

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const known = toHttpError(err);
    if (known) {
      res.status(known.status).json(known);
      return;
    }
    // Log the route, not the request body: bodies carry personal data.
    deps.logger?.error({ err, method: req.method, route: req.route?.path ?? req.path }, 'unhandled error');
    res.status(500).json(new HttpError(500, 'internal', 'Something went wrong on our side; the error was logged'));
  };
  app.use(onError);
  return app;
}

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  // body-parser errors carry a status and a type
  const e = err as { status?: number; type?: string; message?: string };
  if (e?.type === 'entity.parse.failed') {
    return new HttpError(400, 'invalid_json', `The request body is not valid JSON: ${e.message ?? ''}`.trim(), [
      { field: '(body)', rule: 'json', message: 'is not valid JSON' },
    ]);
  }
  if (e?.type === 'entity.too.large') return new HttpError(413, 'too_large', 'The request body is larger than 256 kB');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new HttpError(415, 'unsupported_encoding', e.message ?? 'Unsupported body encoding');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, 'bad_request', e.message ?? 'Bad request');
  }
  return undefined;
}
