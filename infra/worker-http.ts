/**
 * The standalone worker's small HTTP server: `/livez` (the process answers), `/readyz` (the worker is
 * polling and Postgres answers), `/metrics` (Prometheus: process, pool, outbox, and the Temporal SDK's
 * metrics read from its loopback exporter).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import pg from 'pg';
import client from 'prom-client';
import type { Pool } from './db/pool.js';
import { METRICS_CONTENT_TYPE, Metrics, metricsAuthorized } from './metrics.js';

export interface WorkerHttpOptions {
  readonly host: string;
  readonly port: number;
  readonly worker: Pick<Worker, 'getState'>;
  readonly pool: Pool;
  /** For the outbox gauge's own short-lived connection (a timeout of its own, not a pooled client held). */
  readonly databaseUrl: string;
  readonly metricsToken: string | undefined;
  /** The SDK's Prometheus exporter (Runtime telemetry), on loopback. */
  readonly sdkMetricsUrl: string | undefined;
}

export interface WorkerHttp {
  readonly url: string;
  close(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 2_000;

export async function startWorkerHttp(opts: WorkerHttpOptions): Promise<WorkerHttp> {
  const metrics = new Metrics();
  metrics.observePool(opts.pool, 'worker');
  new client.Gauge({
    name: 'admissions_outbox_messages',
    help: 'Emails in the outbox by status (pending: waiting for SMTP; failed: refused or not delivered in time; in-doubt: sender died mid-send; obsolete: set aside, its step signed or case closed first). Table-wide: every worker replica reports the same figures, take max() not sum()',
    labelNames: ['status'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      // A slow database must not hang the scrape: 2 s on a client of its own, then the gauge is left empty.
      const db = new pg.Client({ connectionString: opts.databaseUrl, query_timeout: PROBE_TIMEOUT_MS, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
      db.on('error', () => undefined);
      const rows = await db
        .connect()
        .then(() => db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM email_outbox GROUP BY status'))
        .then((r) => r.rows, () => [])
        .finally(() => db.end().catch(() => undefined));
      for (const row of rows) this.set({ status: row.status }, row.n);
    },
  });
  new client.Gauge({
    name: 'admissions_worker_running',
    help: '1 while the worker polls its task queue',
    registers: [metrics.registry],
    collect() {
      this.set(opts.worker.getState() === 'RUNNING' ? 1 : 0);
    },
  });

  const sdkMetrics = async (): Promise<string> => {
    if (!opts.sdkMetricsUrl) return '';
    const res = await fetch(opts.sdkMetricsUrl, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch(() => undefined);
    return res?.ok ? await res.text() : '# the Temporal SDK exporter did not answer\n';
  };

  const postgresOk = async (): Promise<boolean> => {
    try {
      await Promise.race([opts.pool.query('SELECT 1'), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS).unref())]);
      return true;
    } catch {
      return false;
    }
  };

  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return reply(405, { error: { code: 'method_not_allowed', message: 'Only GET' } });
    if (path === '/livez') return reply(200, { status: 'ok' });
    if (path === '/readyz') {
      void (async () => {
        const state = opts.worker.getState();
        const postgres = await postgresOk();
        const ready = state === 'RUNNING' && postgres;
        reply(ready ? 200 : 503, { status: ready ? 'ok' : 'not ready', checks: { worker: { ok: state === 'RUNNING', state }, postgres: { ok: postgres } } });
      })();
      return;
    }
    if (path === '/metrics') {
      if (!metricsAuthorized(req.headers.authorization, opts.metricsToken)) {
        return reply(401, { error: { code: 'unauthenticated', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' } });
      }
      void metrics.render(sdkMetrics).then(
        (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
        (err: Error) => reply(500, { error: { code: 'internal', message: `metrics: ${err.message}` } }),
      );
      return;
    }
    reply(404, { error: { code: 'not_found', message: `No route for GET ${path}: try /livez, /readyz or /metrics` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
