import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';
import { ensureDatabase } from '../../infra/postgres.js';
import { TEST_PASSWORD } from '../helpers/db.js';
import { call } from '../helpers/stack.js';

/**
 * `npm start` exactly as a user runs it: embedded Postgres, the Temporal dev server from the project's tools,
 * the worker and the API. Ctrl-C (SIGINT to the process group) stops everything; a second start finds the
 * first one's case and can drive it on.
 */
describe('npm start', () => {
  const started: ChildProcess[] = [];
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const c of started) if (c.pid) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* already gone */ }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function npmStart(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
    const environment: NodeJS.ProcessEnv = { ...process.env, ...env, LOG_LEVEL: 'warn' };
    if (!env.DATABASE_URL) delete environment.DATABASE_URL;
    if (!env.TEMPORAL_ADDRESS) delete environment.TEMPORAL_ADDRESS;
    // Use the binaries the global setup resolved, as a user with `temporal` on PATH would.
    environment.TEMPORAL_CLI_PATH = inject('temporalCliPath');
    const child = spawn('npm', ['start'], { cwd: PROJECT_ROOT, env: environment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    return { child, output: () => output };
  }

  function runCommand(cmd: string, args: string[], env: Record<string, string>, stdin: string): Promise<{ code: number | null; output: string }> {
    const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!env.DATABASE_URL) delete environment.DATABASE_URL;
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env: environment, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.stdin!.end(stdin);
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
  }

  async function waitForHealth(baseUrl: string, child: ChildProcess, output: () => string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output()}`);
      const res = await fetch(`${baseUrl}/healthz`).catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`no healthy answer from ${baseUrl}:\n${output()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Ctrl-C as a terminal sends it: SIGINT to the whole process group; resolves when every process is gone. */
  async function ctrlC(child: ChildProcess): Promise<void> {
    const group = -child.pid!;
    process.kill(group, 'SIGINT');
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        process.kill(group, 0);
      } catch {
        return; // ESRCH: no process left in the group
      }
      if (Date.now() > deadline) throw new Error('npm start was still running 30 s after Ctrl-C');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const portIsFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });

  it('serves /healthz, stops cleanly on Ctrl-C, a second start finds the first one’s case, and `npm run demo` loads the reference committee', { timeout: 480_000 }, async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'admissions-start-'));
    await chmod(dataDir, 0o755); // as root, the embedded Postgres runs as the postgres user
    const [port, pgPort, temporalPort, uiPort] = await Promise.all([getPort(), getPort(), getPort(), getPort()]);
    const env: Record<string, string> = {
      PORT: String(port),
      PG_PORT: String(pgPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      DATA_DIR: dataDir,
    };
    const baseUrl = `http://127.0.0.1:${port}`;
    // Default: the embedded Postgres, as a new user gets it. Where CI had to fall back to a machine server
    // (TEST_DATABASE_URL), start against a fresh database on it instead.
    let appDbUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/admissions`;
    if (process.env.TEST_DATABASE_URL) {
      const name = `start_${path.basename(dataDir).replace(/\W/g, '_').toLowerCase()}`;
      await ensureDatabase(process.env.TEST_DATABASE_URL, name);
      const url = new URL(process.env.TEST_DATABASE_URL);
      url.pathname = `/${name}`;
      appDbUrl = url.toString();
      Object.assign(env, { DATABASE_URL: appDbUrl });
    }

    const first = await npmStart(env);
    await waitForHealth(baseUrl, first.child, first.output);
    expect(first.output()).toContain(`Web UI: http://localhost:${uiPort}`);

    const db = new pg.Client({ connectionString: appDbUrl });
    await db.connect();
    const upper = await db.query<{ id: string }>(`INSERT INTO organizations (name, kind, path) VALUES ('Đảng ủy Khu kinh tế', 'upper-committee', '{}') RETURNING id`);
    const org = await db.query<{ id: string }>(
      `INSERT INTO organizations (name, kind, parent_id, path) VALUES ('Chi bộ Công ty Sao Biển', 'grassroots-cell', $1, '{}') RETURNING id`,
      [upper.rows[0]!.id],
    );
    await db.query(`UPDATE organizations SET path = CASE WHEN parent_id IS NULL THEN ARRAY[id] ELSE ARRAY[parent_id, id] END`);
    const helper = await db.query<{ id: string }>(`INSERT INTO people (full_name, date_of_birth) VALUES ('Đảng viên Giúp Đỡ', '1970-01-01') RETURNING id`);
    await db.end();

    // The first admin, made with the command a new installation uses, then a browser-style login.
    const made = await runCommand('npm', ['run', '--silent', 'user:create', '--', '--username', 'boss', '--name', 'Trưởng ban'], env, `${TEST_PASSWORD}\n`);
    expect(made.code, made.output).toBe(0);
    expect(made.output).toContain('Created user boss (admin)');
    const login = await call(baseUrl, 'POST', '/api/v1/auth/login', { username: 'boss', password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const session = { cookie, csrf: login.body.csrfToken as string };
    const noCsrf = await call(baseUrl, 'POST', '/api/v1/cases', {}, { cookie });
    expect(noCsrf.status).toBe(403);
    const created = await call(
      baseUrl,
      'POST',
      '/api/v1/cases',
      { type: 'admission', organizationId: org.rows[0]!.id, person: { fullName: 'Bùi Thị Lan', dateOfBirth: '2000-12-31' } },
      session,
    );
    expect(created.status).toBe(201);

    await ctrlC(first.child);
    expect(first.output()).toContain('Stopped cleanly.');
    expect(first.output()).not.toContain('stop failed');
    for (const p of [port, pgPort, temporalPort, uiPort]) expect(await portIsFree(p)).toBe(true);

    const second = await npmStart(env);
    await waitForHealth(baseUrl, second.child, second.output);
    // Sessions live in Postgres: the first run's login still holds.
    const list = await call(baseUrl, 'GET', '/api/v1/cases', undefined, session);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([created.body.caseId]);
    // The workflow itself survived too (Temporal's SQLite file): it takes the next sign-off.
    const signed = await call(baseUrl, 'POST', `/api/v1/cases/${created.body.caseId}/steps/source`, { helperPersonId: helper.rows[0]!.id }, session);
    expect(signed.status).toBe(200);
    expect(signed.body.step).toBe('awareness-course');

    // The README's demo command against the running engine: the reference committee, as of 31/03/2024.
    const demo = await runCommand('npm', ['run', '--silent', 'demo'], env, '');
    expect(demo.code, demo.output).toBe(0);
    expect(demo.output).toContain('admissions 96/190, new organizations 2/11');
    const upperId = /organizationId=([0-9a-f-]{36})/.exec(demo.output)![1]!;
    const report = await call(baseUrl, 'GET', `/api/v1/reports/progress?organizationId=${upperId}&year=2024&period=q1&asOf=2024-03-31`, undefined, session);
    expect(report.body.admissions).toMatchObject({ counted: 96, target: 190, percent: 50.5 });
    expect(report.body.organizations).toMatchObject({ counted: 2, target: 11, percent: 18.2 });
    await ctrlC(second.child);
    expect(second.output()).toContain('Stopped cleanly.');
  });

  it('with TEMPORAL_ADDRESS and DATABASE_URL it joins those servers and starts none', { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'admissions-join-'));
    const name = `join_${path.basename(dir).replace(/\W/g, '_').toLowerCase()}`;
    await ensureDatabase(inject('adminDatabaseUrl'), name);
    const url = new URL(inject('adminDatabaseUrl'));
    url.pathname = `/${name}`;
    const port = await getPort();
    const env = { PORT: String(port), DATA_DIR: dir, DATABASE_URL: url.toString(), TEMPORAL_ADDRESS: inject('temporalAddress') };
    const started = await npmStart(env);
    await waitForHealth(`http://127.0.0.1:${port}`, started.child, started.output);
    expect(started.output()).toContain(`Temporal        ${inject('temporalAddress')}`);
    expect(started.output()).not.toContain('Web UI');
    expect(started.output()).toContain('PostgreSQL      DATABASE_URL');
    await ctrlC(started.child);
    expect(started.output()).toContain('Stopped cleanly.');
    await rm(dir, { recursive: true, force: true });
  });
});
