import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';
import { insertPerson } from '../../infra/db/queries/cases.js';
import { admin, createTestDatabase, createTree, createUser, type TestDatabase } from '../helpers/db.js';
import { call } from '../helpers/stack.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';

/**
 * The production processes as the deployment files run them: `npm run build:workflows`, then the worker
 * (`node --import tsx infra/worker.ts`) started from that prebuilt bundle and the API (`api/server.ts`), both
 * against the test Postgres and Temporal. A case driven through the API proves the worker runs the bundle;
 * then the probes, the Prometheus metrics (the SDK's included), the JSON logs (no personal data), and a clean
 * stop on SIGTERM.
 */
const MARKER = 'Zyxwv Sản Xuất Quýt';

interface Proc {
  readonly child: ChildProcess;
  readonly lines: () => string[];
  readonly output: () => string;
}

function run(args: string[], env: Record<string, string>): Proc {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output, lines: () => output.split('\n').filter((l) => l.trim() !== '') };
}

const exited = (child: ChildProcess, ms: number) =>
  new Promise<number | null>((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
    child.once('exit', (code) => (clearTimeout(timer), resolve(code)));
  });

async function waitFor(url: string, proc: Proc, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`exited with ${proc.child.exitCode}:\n${proc.output()}`);
    const res = await fetch(url).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`no 200 from ${url}:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('production worker and API processes', () => {
  let db: TestDatabase;
  let dir: string;
  let bundlePath: string;
  let worker: Proc;
  let api: Proc;
  let workerUrl: string;
  let apiUrl: string;
  let token: string;
  let caseId: string;
  const metricsToken = 'metrics-token-for-the-test-0123456789';

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'prod-'));
    bundlePath = path.join(dir, 'workflow-bundle.js');
    // The documented command, as the Dockerfile runs it.
    const build = spawn('npm', ['run', '--silent', 'build:workflows', '--', '--out', bundlePath], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let buildOutput = '';
    build.stdout!.on('data', (c: Buffer) => (buildOutput += c.toString()));
    build.stderr!.on('data', (c: Buffer) => (buildOutput += c.toString()));
    expect(await exited(build, 120_000), buildOutput).toBe(0);

    const taskQueue = uniqueTaskQueue('prod');
    const [workerPort, apiPort] = [await getPort(), await getPort()];
    const common = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      METRICS_TOKEN: metricsToken,
      NODE_ENV: 'production',
      SESSION_SECRET: 'a-session-secret-for-the-production-test-0123456789',
    };
    worker = run(['--import', 'tsx', 'infra/worker.ts'], { ...common, WORKFLOW_BUNDLE_PATH: bundlePath, WORKER_HTTP_PORT: String(workerPort) });
    api = run(['--import', 'tsx', 'api/server.ts'], { ...common, PORT: String(apiPort), PUBLIC_URL: `http://127.0.0.1:${apiPort}` });
    workerUrl = `http://127.0.0.1:${workerPort}`;
    apiUrl = `http://127.0.0.1:${apiPort}`;
    await Promise.all([waitFor(`${workerUrl}/readyz`, worker), waitFor(`${apiUrl}/readyz`, api)]);

    token = (await createUser(db.pool, 'prod-admin', [admin()])).token;
    const tree = await createTree(db.pool);
    const opened = await call(apiUrl, 'POST', '/api/v1/cases', { type: 'admission', organizationId: tree.gcell, person: { fullName: MARKER, dateOfBirth: '1995-03-03' } }, { token });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    caseId = opened.body.caseId;
    const helper = await insertPerson(db.pool, { fullName: `${MARKER} Helper`, dateOfBirth: '1970-01-01', organizationId: tree.gcell });
    const signed = await call(apiUrl, 'POST', `/api/v1/cases/${caseId}/steps/source`, { helperPersonId: helper }, { token });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    // The name searched for goes through the query string: it must not reach a log line.
    expect((await call(apiUrl, 'GET', `/api/v1/cases?q=${encodeURIComponent(MARKER)}`, undefined, { token })).status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    for (const p of [worker, api]) if (p?.child.exitCode === null) p.child.kill('SIGKILL');
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the bundle was built by the npm script, and the worker says it runs it', async () => {
    expect((await stat(bundlePath)).size).toBeGreaterThan(100_000);
    const ready = worker.lines().map((l) => JSON.parse(l)).find((o) => o.msg === 'worker ready');
    expect(ready).toMatchObject({ name: 'worker', workflowBundle: 'prebuilt' });
  });

  it('the case moved: the worker ran the workflow and its activities from the bundle', async () => {
    const detail = await call(apiUrl, 'GET', `/api/v1/cases/${caseId}`, undefined, { token });
    expect(detail.status).toBe(200);
    expect(detail.body.currentStep).toBe('awareness-course');
  });

  it('probes: /livez and /readyz on both; unknown paths answer 404', async () => {
    for (const base of [workerUrl, apiUrl]) {
      expect((await fetch(`${base}/livez`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string }).status).toBe('ok');
    }
    expect((await fetch(`${workerUrl}/nothing`)).status).toBe(404);
  });

  it('/metrics needs the token, then serves route templates (no ids), the pool, the process and the SDK', async () => {
    for (const base of [workerUrl, apiUrl]) {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } })).status).toBe(401);
    }
    const auth = { headers: { authorization: `Bearer ${metricsToken}` } };
    const apiMetrics = await (await fetch(`${apiUrl}/metrics`, auth)).text();
    expect(apiMetrics).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/cases\/:id\/steps\/:step",status="200"\} 1/);
    expect(apiMetrics).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/cases",status="201"\} 1/);
    expect(apiMetrics).toMatch(/admissions_db_pool_clients\{pool="api",state="total"\} \d+/);
    expect(apiMetrics).toContain('process_cpu_seconds_total');
    expect(apiMetrics).not.toContain(caseId);

    const workerMetrics = await (await fetch(`${workerUrl}/metrics`, auth)).text();
    expect(workerMetrics).toContain('admissions_worker_running 1');
    expect(workerMetrics).toMatch(/admissions_db_pool_clients\{pool="worker",state="total"\} \d+/);
    expect(workerMetrics).toContain('process_resident_memory_bytes');
    // The Temporal SDK's own metrics (Runtime telemetry), with the task queue as a label.
    expect(workerMetrics).toMatch(/^temporal_workflow_task_execution_latency\w*\{[^}]*task_queue="prod-/m);
    expect(workerMetrics).toMatch(/^temporal_activity_execution_latency\w*\{/m);
  });

  it('every log line is one JSON object, with no personal data; requests are logged by route template', () => {
    const all = [...worker.lines(), ...api.lines()];
    expect(all.length).toBeGreaterThan(3);
    for (const line of all) expect(() => JSON.parse(line), line).not.toThrow();
    for (const part of ['Zyxwv', 'Quýt', encodeURIComponent('Quýt')]) expect(all.filter((l) => l.includes(part))).toEqual([]);
    const requests = api.lines().map((l) => JSON.parse(l)).filter((o) => o.msg === 'request');
    expect(requests).toContainEqual(expect.objectContaining({ method: 'POST', route: '/api/v1/cases/:id/steps/:step', status: 200 }));
    expect(requests).toContainEqual(expect.objectContaining({ method: 'GET', route: '/api/v1/cases', status: 200 }));
    expect(requests.every((r) => typeof r.ms === 'number' && !('url' in r))).toBe(true);
  });

  it('SIGTERM: the API turns unready while it drains; both stop cleanly (exit 0), the worker after polling ends', async () => {
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    // Production keeps accepting for 5 s after SIGTERM, answering /readyz with 503 so load balancers move on.
    await new Promise((r) => setTimeout(r, 500));
    const draining = await fetch(`${apiUrl}/readyz`);
    expect(draining.status).toBe(503);
    expect(((await draining.json()) as { status: string }).status).toBe('draining');
    expect(await exited(api.child, 30_000)).toBe(0);
    expect(await exited(worker.child, 60_000)).toBe(0);
    expect(worker.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('worker stopped');
    expect(api.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('api stopping: draining requests');
  });

  it('a missing bundle stops the worker at start with the variable named', async () => {
    const broken = run(['--import', 'tsx', 'infra/worker.ts'], {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      WORKFLOW_BUNDLE_PATH: path.join(dir, 'missing.js'),
      WORKER_HTTP_PORT: String(await getPort()),
    });
    expect(await exited(broken.child, 30_000)).toBe(1);
    const fatal = JSON.parse(broken.lines().at(-1)!);
    expect(fatal.level).toBe(60);
    expect(fatal.msg).toMatch(/WORKFLOW_BUNDLE_PATH=.*missing\.js: no such file.*npm run build:workflows/);
  });

  it('a port already taken stops the API at start, saying so (it does not stay up without serving)', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as AddressInfo).port;
    try {
      const second = run(['--import', 'tsx', 'api/server.ts'], {
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_TOKEN: metricsToken,
        NODE_ENV: 'production',
        SESSION_SECRET: 'a-session-secret-for-the-production-test-0123456789',
      });
      expect(await exited(second.child, 30_000), second.output()).toBe(1);
      const fatal = JSON.parse(second.lines().at(-1)!);
      expect(fatal).toMatchObject({ level: 60, msg: 'api cannot listen', port });
      expect(fatal.error).toMatch(/EADDRINUSE/);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
