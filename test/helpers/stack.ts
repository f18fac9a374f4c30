/**
 * The real stack in-process for integration tests: the global dev server, a fresh Postgres database, a worker
 * on a fresh task queue, and the Express app on an ephemeral port.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { dataConverterFor, type PayloadKeys } from '../../infra/payload-codec.js';
import type { Logger } from 'pino';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app.js';
import type { CaseService } from '../../api/cases.js';
import { createAppDeps } from '../../api/services.js';
import { installRuntime } from '../../infra/temporal.js';
import { createWorker } from '../../infra/worker.js';
import type { RouteInfo } from '../../api/routing.js';
import { admin, createTestDatabase, createUser, type TestDatabase } from './db.js';
import { devServerConnections, uniqueTaskQueue, workflowBundle } from './temporal.js';

export interface TestStack {
  readonly baseUrl: string;
  readonly db: TestDatabase;
  readonly client: Client;
  readonly cases: CaseService;
  readonly taskQueue: string;
  /** A user with the admin role, and its API token. */
  readonly admin: { readonly id: string; readonly token: string };
  /** The app's route table (method, path, action). */
  readonly routes: RouteInfo[];
  /** Stop the in-process worker (to hand the queue to another worker). */
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestStack(opts: { worker?: boolean; logger?: Logger; payloadKeys?: PayloadKeys } = {}): Promise<TestStack> {
  installRuntime();
  const db = await createTestDatabase();
  const dev = await devServerConnections();
  // With payload keys, the client (API and activities) and the worker seal every payload (infra/payload-codec.ts).
  const dataConverter = dataConverterFor(opts.payloadKeys);
  const conns = dataConverter ? { ...dev, client: new Client({ connection: dev.client.connection, dataConverter }) } : dev;
  const taskQueue = uniqueTaskQueue();
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (opts.worker !== false) {
    worker = await createWorker({
      connection: conns.workerConnection,
      namespace: 'default',
      taskQueue,
      deps: { pool: db.pool, client: conns.client },
      workflowBundle: await workflowBundle(),
      payloadKeys: opts.payloadKeys,
    });
    running = worker.run();
  }
  const deps = createAppDeps({
    client: conns.client,
    pool: db.pool,
    taskQueue,
    session: { secret: 'test-session-secret-that-is-long-enough', secureCookies: false, trustProxy: false },
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const cases = deps.cases;
  const app = createApp(deps);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const stopWorker = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  const adminUser = await createUser(db.pool, `admin-${taskQueue.slice(-8)}`, [admin()]);
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    admin: adminUser,
    routes: app.locals.routes as RouteInfo[],
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

export interface CallOptions {
  /** API token (Authorization: Bearer). */
  readonly token?: string;
  /** Session cookie and its CSRF token, from a login. */
  readonly cookie?: string;
  readonly csrf?: string;
  /** A raw body instead of JSON.stringify(body). */
  readonly raw?: string;
  /** More request headers (e.g. Idempotency-Key). */
  readonly headers?: Record<string, string>;
}

/** fetch + JSON, for readable tests. */
export async function call(baseUrl: string, method: string, path: string, body?: unknown, opts: CallOptions = {}) {
  const headers: Record<string, string> = {};
  if (body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  Object.assign(headers, opts.headers);
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  let parsed: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** `call` bound to a base URL and a token. */
export const caller = (baseUrl: string, token: string) => (method: string, path: string, body?: unknown, opts: CallOptions = {}) =>
  call(baseUrl, method, path, body, { token, ...opts });
