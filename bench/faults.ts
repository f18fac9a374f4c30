/**
 * `npm run bench:faults [-- --cases 100]`: faults injected while cases are driven through their steps, then
 * a count of what was lost or duplicated.
 *
 * The stack runs on its own temp folder: an embedded PostgreSQL (so it can be stopped), a Temporal dev server
 * on a SQLite file (so it can be restarted), an SMTP listener, a worker in a child process (so it can be
 * killed) and the API in this process. N cases are opened, then N drivers sign their steps through the API
 * (source … cell vote) as an organizer and the cell's approver would, retrying what failed, while the faults
 * come one after another:
 *   1. SIGKILL the worker in the middle of its activities; a new one starts 2 s later;
 *   2. restart the Temporal dev server (same SQLite file);
 *   3. stop PostgreSQL for 30 s;
 *   4. stop the SMTP listener for 60 s while overdue cases (brought in through the in-flight import) send their
 *      escalation emails.
 * After recovery: every case must be at the decision step in the workflow and the read model alike, every
 * step recorded once, no document number twice, every email delivered once. Prints cases, faults, lost,
 * duplicated; exits 1 unless lost = 0 and duplicated = 0. `--quick` (CI): 12 cases, PostgreSQL down 10 s,
 * SMTP down 20 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import getPort from 'get-port';
import { createApp } from '../api/app.js';
import type { Principal } from '../api/auth/policy.js';
import { createAppDeps } from '../api/services.js';
import { loadConfig } from '../infra/config.js';
import { prepareDatabase } from '../infra/db/migrate.js';
import { createPool } from '../infra/db/pool.js';
import type { RoleGrant } from '../infra/db/queries/users.js';
import { benchUser, seedTree } from './fixtures.js';
import { openDatabase, type Database } from '../infra/postgres.js';
import { startDevServer, type DevServer } from '../infra/temporal-dev-server.js';
import { connectClient, installRuntime } from '../infra/temporal.js';
import { ensureTemporalTools } from '../infra/tools.js';
import { startSmtpListener } from '../test/helpers/smtp.js';
import { addDays } from '../workflows/calendar/dates.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import type { StepData } from '../workflows/definitions.js';

const { values: args } = parseArgs({ options: { cases: { type: 'string', default: '100' }, quick: { type: 'boolean', default: false }, 'pg-down': { type: 'string' } } });
const N = args.quick ? 12 : Number(args.cases);
const PG_DOWN_S = args['pg-down'] ? Number(args['pg-down']) : args.quick ? 10 : 30;
const SMTP_DOWN_S = args.quick ? 20 : 60;
const OVERDUE_CASES = args.quick ? 3 : 10;
const CELLS = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<void> {
  installRuntime('ERROR');
  const started = Date.now();
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'admissions-faults-'));
  chmodSync(tmp, 0o755); // as root, the embedded PostgreSQL runs as the postgres user, who must reach its folder
  const pgPort = await getPort();
  const temporalPort = await getPort();
  const tools = await ensureTemporalTools({ toolsDir: config.toolsDir, cliPath: config.temporal.cliPath, log: () => undefined });
  const startTemporal = () => startDevServer({ cliPath: tools.temporalCli, port: temporalPort, dbFile: path.join(tmp, 'temporal.sqlite') });
  const startPostgres = () => openDatabase({ url: undefined, dataDir: path.join(tmp, 'pg'), port: pgPort, callerHandlesSignals: true });
  let temporal: DevServer = await startTemporal();
  let db: Database = await startPostgres();
  await prepareDatabase(db.url);
  const smtp = await startSmtpListener();
  const pool = createPool(db.url, 20);
  const client = await connectClient({ address: temporal.address, namespace: 'default' });
  const taskQueue = 'bench-faults';
  let worker: ChildProcess | undefined;
  let killing = false;
  const crashes: string[] = [];
  const startWorker = async (): Promise<void> => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../infra/worker.ts', import.meta.url))], {
      env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, SMTP_URL: smtp.url, LOG_LEVEL: 'info', WORKER_HTTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errText = '';
    child.stderr!.on('data', (b: Buffer) => (errText = (errText + b.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => (b.toString().includes('worker ready') ? resolve() : undefined));
      child.once('exit', (code) => reject(new Error(`the worker exited with ${code} before it was ready: ${errText}`)));
    });
    child.removeAllListeners('exit');
    // Like a supervisor (systemd, Kubernetes): a worker that exits on its own is started again, and counted.
    child.once('exit', (code, signal) => {
      if (killing) return;
      crashes.push(`exit ${code ?? signal}: ${errText.split('\n').filter(Boolean).slice(-3).join(' | ')}`);
      log(`the worker exited on its own (${code ?? signal}); starting another`);
      setTimeout(() => void startWorker().catch((err) => log(`restart failed: ${(err as Error).message}`)), 2000);
    });
    worker = child;
  };
  await startWorker();
  const deps = createAppDeps({ client, pool, taskQueue, session: { secret: randomUUID() + randomUUID(), secureCookies: false, trustProxy: false } });
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const faults: string[] = [];

  try {
    // ---- the tree, members, users (with emails: the escalations' recipients) ----
    const today = vietnamDate(Date.now());
    const tree = await seedTree(pool, { upperName: 'Đảng ủy Khu kinh tế (sự cố)', cellName: 'Chi bộ Công ty Sự Cố', cells: CELLS });
    const upper = tree.upper;
    const user = (username: string, roles: RoleGrant[]) => benchUser(pool, username, roles, 'faults.local');
    const staff = await user('f-staff', [{ role: 'organizer', organizationId: upper, body: null }]);
    await user('f-standing', [{ role: 'approver', organizationId: upper, body: 'standing-committee' }]);
    const cells = await Promise.all(tree.cells.map(async (c, i) => ({ ...c, token: (await user(`f-cell-${i}`, [{ role: 'approver', organizationId: c.id, body: 'cell' }])).token })));

    // ---- HTTP with retries: a request that failed (no answer, 5xx) is sent again ----
    let retries = 0;
    const call = async (method: string, p: string, token: string, body?: unknown): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      for (;;) {
        try {
          const res = await fetch(`${baseUrl}${p}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await res.text();
          if (res.status >= 500) throw new Error(`${res.status}`);
          return { status: res.status, body: text ? JSON.parse(text) : undefined };
        } catch {
          retries++;
          await sleep(1000);
        }
      }
    };

    // ---- open the cases (before the faults: opening is not idempotent for a client that retries) ----
    const caseIds: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await call('POST', '/api/v1/cases', staff.token, { type: 'admission', organizationId: cells[i % CELLS]!.id, person: { fullName: `Quần Chúng Sự Cố ${i}`, dateOfBirth: '1998-03-03' } });
      if (res.status !== 201) throw new Error(`opening case ${i}: ${res.status} ${JSON.stringify(res.body)}`);
      caseIds.push(res.body.caseId);
    }
    log(`${N} cases open; driving them while the faults come`);

    // ---- drivers: each signs its case's steps in order; a 409 after a retry means the step went through ----
    const STEPS = ['source', 'awareness-course', 'application', 'verification', 'introduction', 'opinions', 'cell-vote'] as const;
    const bodyOf = (step: (typeof STEPS)[number], cell: (typeof cells)[number]) =>
      ({
        source: { helperPersonId: cell.members[2] },
        'awareness-course': { certificateIssuedOn: today },
        application: { receivedOn: today, biographySealedOn: today },
        verification: { completedOn: today, result: 'clear' },
        introduction: { introducedOn: today, introducers: cell.members.slice(0, 2).map((personId) => ({ personId, coWorkingMonths: 24 })) },
        opinions: { summarizedOn: today },
        'cell-vote': { vote: { heldOn: today, eligible: 9, present: 9, for: 8, against: 1 } },
      })[step];
    let signed = 0;
    const drive = async (i: number) => {
      const cell = cells[i % CELLS]!;
      const id = caseIds[i]!;
      for (const step of STEPS) {
        for (;;) {
          const token = step === 'cell-vote' ? cell.token : staff.token;
          const res = await call('POST', `/api/v1/cases/${id}/steps/${step}`, token, bodyOf(step, cell));
          if (res.status === 200) break;
          const now = (await call('GET', `/api/v1/cases/${id}/status`, staff.token)).body as { step: string };
          if (STEPS.indexOf(now.step as (typeof STEPS)[number]) > STEPS.indexOf(step) || now.step === 'decision') break; // it went through before
          await sleep(500); // refused for now (e.g. 409 while the workflow catches up): try again
        }
        signed++;
      }
    };
    const driving = Promise.all(caseIds.map((_, i) => drive(i)));

    // ---- the faults ----
    await sleep(4000);
    killing = true;
    const killed = new Promise((r) => worker!.once('exit', r));
    worker!.kill('SIGKILL');
    await killed;
    killing = false;
    faults.push('worker SIGKILL');
    log(`fault 1: worker killed (SIGKILL) at ${signed} sign-offs; a new one in 2 s`);
    await sleep(2000);
    await startWorker();

    await sleep(6000);
    log(`fault 2: Temporal dev server restarting at ${signed} sign-offs`);
    await temporal.stop();
    temporal = await startTemporal();
    faults.push('Temporal restart');

    await sleep(6000);
    log(`fault 3: PostgreSQL stopped for ${PG_DOWN_S} s at ${signed} sign-offs`);
    await db.stop();
    await sleep(PG_DOWN_S * 1000);
    db = await startPostgres();
    faults.push(`PostgreSQL down ${PG_DOWN_S} s`);
    log('PostgreSQL is back');

    // Escalations while the mail server is away: overdue cases brought in on paper (the in-flight import)
    // send their highest due rung at once.
    await smtp.stop();
    log(`fault 4: SMTP listener stopped for ${SMTP_DOWN_S} s; ${OVERDUE_CASES} overdue cases imported`);
    const organizer: Principal = { userId: staff.id, username: 'f-staff', displayName: 'f-staff', roles: [{ role: 'organizer', organizationId: upper, body: null }], via: 'token', ip: null };
    const old = (n: number) => addDays(today, -n);
    for (let i = 0; i < OVERDUE_CASES; i++) {
      const cell = cells[i % CELLS]!;
      const history: Array<{ signedOn: string; data: StepData }> = [
        { signedOn: old(200), data: { step: 'source', helperPersonId: cell.members[2]! } },
        { signedOn: old(195), data: { step: 'awareness-course', certificateIssuedOn: old(195) } },
      ];
      await deps.cases.openAdmission(organizer, { organizationId: cell.id, person: { fullName: `Quần Chúng Quá Hạn ${i}`, dateOfBirth: '1997-02-02' }, openedOn: old(201), history });
    }
    await sleep(SMTP_DOWN_S * 1000);
    await smtp.start();
    faults.push(`SMTP down ${SMTP_DOWN_S} s`);
    log('SMTP listener is back; waiting for the drivers and the outbox');

    await driving;
    // The outbox retries with backoff (30 s, then longer): wait until nothing is pending.
    const deadline = Date.now() + 8 * 60_000;
    let outbox: Array<{ status: string; n: number }> = [];
    for (;;) {
      outbox = (await pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM email_outbox GROUP BY 1`)).rows;
      const waiting = outbox.filter((r) => r.status === 'pending' || r.status === 'sending').reduce((a, r) => a + r.n, 0);
      if ((outbox.length && waiting === 0) || Date.now() > deadline) break;
      await sleep(5000);
    }

    // ---- the count ----
    const api = (p: string) => call('GET', p, staff.token).then((r) => r.body);
    let lost = 0;
    for (const id of caseIds) {
      const [row, live] = await Promise.all([api(`/api/v1/cases/${id}`), api(`/api/v1/cases/${id}/status`)]);
      if (live.step !== 'decision' || row.currentStep !== 'decision' || row.currentStepDueOn !== live.dueOn || row.status !== live.status) lost++;
    }
    const dupSteps = (await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT case_id, step, count(*) FROM case_events WHERE kind = 'step-completed' GROUP BY 1, 2 HAVING count(*) > 1) x`,
    )).rows[0]!.n;
    // A paper numbered twice (a retried activity taking a second number), or a number taken and lost (a gap).
    const dupNumbers = (await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT case_id, step, form FROM documents WHERE number IS NOT NULL GROUP BY 1, 2, 3 HAVING count(DISTINCT number) > 1) x`,
    )).rows[0]!.n;
    const numberGaps = (await pool.query<{ n: number }>(
      `SELECT coalesce(sum(max - n), 0)::int AS n FROM (SELECT max(number) AS max, count(DISTINCT number) AS n FROM documents WHERE number IS NOT NULL GROUP BY issuing_org_id, year, series) x`,
    )).rows[0]!.n;
    const dupAudit = (await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT case_id, details ->> 'seq', count(*) FROM audit_log
        WHERE case_id IS NOT NULL AND details ? 'seq' GROUP BY 1, 2 HAVING count(*) > 1) x`,
    )).rows[0]!.n;
    const sent = outbox.find((r) => r.status === 'sent')?.n ?? 0;
    const keys = smtp.received.map((r) => `${r.rcpt.join(',')}|${r.mail.subject}`);
    const dupMail = keys.length - new Set(keys).size;
    const lostMail = Math.max(0, sent - smtp.received.length) + outbox.filter((r) => r.status !== 'sent' && r.status !== 'local').reduce((a, r) => a + r.n, 0);
    const duplicated = dupSteps + dupNumbers + dupAudit + dupMail;
    log(`outbox: ${JSON.stringify(Object.fromEntries(outbox.map((r) => [r.status, r.n])))}; delivered to the listener: ${smtp.received.length}`);
    for (const c of crashes) log(`worker crash: ${c}`);
    console.log(
      `\nfaults: cases=${N} faults=${faults.length} (${faults.join(', ')}) sign-offs=${signed} client retries=${retries} worker crashes=${crashes.length} ` +
        `emails=${smtp.received.length} lost=${lost + lostMail + numberGaps} duplicated=${duplicated} ` +
        `(cases not at their step ${lost}, emails lost ${lostMail}, document numbers lost ${numberGaps}; steps twice ${dupSteps}, ` +
        `papers numbered twice ${dupNumbers}, audit rows twice ${dupAudit}, emails twice ${dupMail}) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    process.exitCode = lost + lostMail + numberGaps === 0 && duplicated === 0 && smtp.received.length > 0 ? 0 : 1;
  } finally {
    server.closeAllConnections();
    server.close();
    killing = true;
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await client.connection.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await smtp.stop().catch(() => undefined);
    await db.stop().catch(() => undefined);
    await temporal.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
