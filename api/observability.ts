/**
 * One hook per request for the metrics and the access log. Both name the route template
 * (`/api/v1/cases/:id`), never the path or its query string: ids and searched names stay out of them.
 */
import type { Request, RequestHandler, Response } from 'express';
import client from 'prom-client';
import type { Logger } from 'pino';
import type { Metrics } from '../infra/metrics.js';

/** The template of the route that answered, or a bucket for requests no route matched. */
export function routeLabel(req: Request, res: Response): string {
  const labelled = res.locals.route as string | undefined;
  if (labelled) return labelled;
  const route = req.route as { path?: unknown } | undefined;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`;
  if (req.originalUrl.startsWith('/static/') || req.originalUrl.startsWith('/api/v1/docs/')) return '(static)';
  return res.statusCode === 404 ? '(no route)' : '(other)';
}

export function observeRequests(metrics: Metrics, logger?: Logger): RequestHandler {
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  const inFlight = new client.Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [metrics.registry],
  });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    inFlight.inc();
    res.once('close', () => {
      inFlight.dec();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req, res);
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      duration.observe({ method: req.method, route, status }, seconds);
      if (route === '/metrics' || route === '/livez' || route === '/readyz' || route === '/healthz') return; // probes: metrics only
      logger?.info({ method: req.method, route, status, ms: Math.round(seconds * 10_000) / 10 }, 'request');
    });
    next();
  };
}
