/**
 * The real stack in-process for integration tests: the global dev server, a fresh Postgres database, a worker
 * on a fresh task queue, and the Express app on an ephemeral port.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app.js';
import type { CaseService } from '../../api/cases.js';
import { createAppDeps } from '../../api/services.js';
import { installRuntime } from '../../infra/temporal.js';
import { createWorker } from '../../infra/worker.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { devServerConnections, uniqueTaskQueue, workflowBundle } from './temporal.js';

export interface TestStack {
  readonly baseUrl: string;
  readonly db: TestDatabase;
  readonly client: Client;
  readonly cases: CaseService;
  readonly taskQueue: string;
  /** Stop the in-process worker (to hand the queue to another worker). */
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestStack(opts: { worker?: boolean } = {}): Promise<TestStack> {
  installRuntime();
  const db = await createTestDatabase();
  const conns = await devServerConnections();
  const taskQueue = uniqueTaskQueue();
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (opts.worker !== false) {
    worker = await createWorker({
      connection: conns.workerConnection,
      namespace: 'default',
      taskQueue,
      deps: { pool: db.pool },
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
  }
  const deps = createAppDeps({ client: conns.client, pool: db.pool, taskQueue });
  const cases = deps.cases;
  const app = createApp(deps);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const stopWorker = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    db,
    client: conns.client,
    cases,
    taskQueue,
    stopWorker,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await stopWorker();
      await conns.close();
      await db.drop();
    },
  };
}

/** fetch + JSON, for readable tests. */
export async function call(baseUrl: string, method: string, path: string, body?: unknown, rawBody?: string) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body !== undefined || rawBody !== undefined ? { 'content-type': 'application/json' } : {},
    body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
