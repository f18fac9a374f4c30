import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../api/app.js';
import type { HealthReport } from '../../api/health.js';

/**
 * The probes and /metrics with the backends faked (unit level; the real processes are in
 * test/integration/production-processes.test.ts): readiness follows the health check and the draining flag,
 * liveness does not; the metrics token is compared exactly.
 */
describe('probes and metrics', () => {
  let health: HealthReport = { status: 'ok', checks: { postgres: { ok: true }, temporal: { ok: true } } };
  const lifecycle = { draining: false };
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const pool = { totalCount: 3, idleCount: 2, waitingCount: 0, query: async () => ({ rows: [] }) };
    const deps = {
      pool,
      health: async () => health,
      lifecycle,
      metricsToken: 'a-metrics-token-0123456789',
      session: { secret: 'x'.repeat(40), secureCookies: false, trustProxy: false },
    } as unknown as AppDeps;
    const app = createApp(deps);
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('readiness follows the backends; liveness does not', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    health = { status: 'degraded', checks: { postgres: { ok: false, error: 'connection refused' }, temporal: { ok: true } } };
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ checks: { postgres: { ok: false, error: 'connection refused' } } });
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    // Temporal down: still ready (pages and reads work from Postgres); /healthz reports it.
    health = { status: 'degraded', checks: { postgres: { ok: true }, temporal: { ok: false, error: 'unavailable' } } };
    const readyWithoutTemporal = await fetch(`${base}/readyz`);
    expect(readyWithoutTemporal.status).toBe(200);
    expect(await readyWithoutTemporal.json()).toMatchObject({ status: 'ok', checks: { temporal: { ok: false } } });
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    health = { status: 'ok', checks: { postgres: { ok: true }, temporal: { ok: true } } };
  });

  it('a draining process is not ready, but alive', async () => {
    lifecycle.draining = true;
    const draining = await fetch(`${base}/readyz`);
    expect(draining.status).toBe(503);
    expect(((await draining.json()) as { status: string }).status).toBe('draining');
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    lifecycle.draining = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('/metrics answers only with the exact token, and counts unmatched paths under one label', async () => {
    await fetch(`${base}/no/such/path/12345`);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer a-metrics-token-012345678' } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer a-metrics-token-01234567890' } })).status).toBe(401);
    const res = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer a-metrics-token-0123456789' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\(no route\)",status="404"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/readyz",status="503"\} 2/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/readyz",status="200"\} 3/);
    expect(text).toContain('admissions_db_pool_clients{pool="api",state="idle"} 2');
    expect(text).not.toContain('12345');
  });
});
