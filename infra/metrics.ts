/**
 * Prometheus metrics (prom-client) shared by the API and the worker. Labels carry route templates, methods,
 * statuses and states: never an id, a query string or a name.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import client from 'prom-client';
import type { Pool } from './db/pool.js';

let processRegistry: client.Registry | undefined;

/** Process metrics (CPU, memory, event-loop lag, GC), once per process however many apps it hosts (tests). */
function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  readonly registry = new client.Registry();

  /** Registers the pool's client counts, read at each scrape. */
  observePool(pool: Pool, name: string): void {
    new client.Gauge({
      name: 'admissions_db_pool_clients',
      help: 'PostgreSQL pool clients by state (total, idle, waiting requests)',
      labelNames: ['pool', 'state'],
      registers: [this.registry],
      collect() {
        this.set({ pool: name, state: 'total' }, pool.totalCount);
        this.set({ pool: name, state: 'idle' }, pool.idleCount);
        this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  /** Registers the write gate's load (api/write-gate.ts), read at each scrape: a queue that keeps growing wants more API processes. */
  observeWriteGate(load: () => { inProgress: number; waiting: number }): void {
    new client.Gauge({
      name: 'admissions_api_workflow_writes',
      help: 'Operations that drive a workflow (sign-offs, opening cases) by state: running, waiting for the write gate',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const l = load();
        this.set({ state: 'running' }, l.inProgress);
        this.set({ state: 'waiting' }, l.waiting);
      },
    });
  }

  /** The Prometheus text of this registry and the process metrics, followed by `extra` (the SDK's). */
  async render(extra?: () => Promise<string>): Promise<string> {
    const parts = [await processMetrics().metrics(), await this.registry.metrics()];
    if (extra) parts.push(await extra());
    return parts.filter((p) => p.trim() !== '').join('\n');
  }
}

export const METRICS_CONTENT_TYPE = client.Registry.PROMETHEUS_CONTENT_TYPE;

/** True when no token is configured, or the Authorization header carries it (compared in constant time). */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const digest = (v: string) => createHash('sha256').update(v).digest(); // equal lengths: nothing leaks the token's
  return timingSafeEqual(digest(authorization?.startsWith('Bearer ') ? authorization.slice(7) : ''), digest(token));
}
