/**
 * `npm run bench:load [-- --duration 60 --warmup 5 --signers 50 --readers 200 --read-rate 1 --read-arrival staggered|synchronized
 *   --pool 50 --write-concurrency 2 --background-nice 0]` (write-concurrency: the API's write gate, API_WRITE_CONCURRENCY;
 * background-nice: the worker's and Temporal's nice value, to see what priority buys): load on loopback, as the issue
 * sets it: approvers signing steps and readers reading lists, cases and the dashboard report, at the same time.
 * The figures are those of the `duration` after `warmup` seconds of the same load (reported apart).
 *
 * This process runs the stack (a Temporal dev server, PostgreSQL — DATABASE_URL or embedded — a worker and
 * the API on a free port) and prepares cases through the in-flight import (each starts at the cell vote or
 * at the decision, with its earlier steps as history). The load itself comes from autocannon in a child
 * process (bench/load-driver.ts), so the load generator does not share the API's event loop.
 *
 * Prints requests/s, p50/p95/p99 and errors per group, and whether reads' p99 met the goal (250 ms); exits 1
 * when a request failed or a 200 sign-off is not in the read model. `--quick` (CI, `npm run test:resilience`):
 * 10 s after 2 s of warm-up, 10 signers, 40 readers.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import getPort from 'get-port';
import { createApp } from '../api/app.js';
import type { Principal } from '../api/auth/policy.js';
import { createAppDeps } from '../api/services.js';
import { DEFAULT_WRITE_CONCURRENCY, loadConfig } from '../infra/config.js';
import { prepareDatabase } from '../infra/db/migrate.js';
import { createPool } from '../infra/db/pool.js';
import type { RoleGrant } from '../infra/db/queries/users.js';
import { benchUser, seedTree } from './fixtures.js';
import { ensureDatabase, openDatabase } from '../infra/postgres.js';
import { startDevServer } from '../infra/temporal-dev-server.js';
import { connectClient, installRuntime } from '../infra/temporal.js';
import { ensureTemporalTools } from '../infra/tools.js';
import { addDays } from '../workflows/calendar/dates.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import type { StepData } from '../workflows/definitions.js';

export const READ_P99_GOAL_MS = 250;
const CELLS = 10;

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    signers: { type: 'string', default: '50' },
    readers: { type: 'string', default: '200' },
    'read-rate': { type: 'string', default: '1' },
    'read-arrival': { type: 'string', default: 'staggered' },
    // The API's pg pool: 50 halves the reads' median against 20 under this load (requests wait for a client).
    pool: { type: 'string', default: '50' },
    'write-concurrency': { type: 'string', default: String(DEFAULT_WRITE_CONCURRENCY) },
    'background-nice': { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
  },
});
const duration = args.quick ? 10 : Number(args.duration);
const warmup = args.quick ? 2 : Number(args.warmup);
const writeConcurrency = Number(args['write-concurrency']);
const signers = args.quick ? 10 : Number(args.signers);
const readers = args.quick ? 40 : Number(args.readers);
/** Each reader's requests per second: people read a page, then another (0: closed loop, as fast as possible). */
const readRate = Number(args['read-rate']);
/** staggered: each reader on its own clock, spread over the second; synchronized: all at once (see load-driver.ts). */
const readArrival = args['read-arrival'] === 'synchronized' ? 'synchronized' : 'staggered';
if (args['read-arrival'] !== readArrival) throw new Error(`--read-arrival: must be staggered or synchronized, not ${args['read-arrival']}`);

async function main(): Promise<void> {
  installRuntime();
  const started = Date.now();
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'admissions-load-'));
  const tools = await ensureTemporalTools({ toolsDir: config.toolsDir, cliPath: config.temporal.cliPath, log: () => undefined });
  const temporal = await startDevServer({ cliPath: tools.temporalCli, port: await getPort(), uiPort: await getPort(), dbFile: path.join(tmp, 'temporal.sqlite') });
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
  const dbName = `bench_load_${Date.now()}`;
  const url = new URL(db.url);
  url.pathname = `/${dbName}`;
  await ensureDatabase(db.url, dbName);
  await prepareDatabase(url.toString());
  const pool = createPool(url.toString(), Number(args.pool));
  const target = { address: temporal.address, namespace: 'default' };
  const client = await connectClient(target);
  const taskQueue = 'bench-load';
  // The worker runs in its own process, as in production (infra/worker.ts): the API process only serves HTTP.
  const workerProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../infra/worker.ts', import.meta.url))], {
    env: { ...process.env, DATABASE_URL: url.toString(), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'info', WORKER_HTTP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let workerErr = '';
  workerProcess.stderr!.on('data', (b: Buffer) => (workerErr = (workerErr + b.toString()).slice(-6000)));
  await new Promise<void>((resolve, reject) => {
    workerProcess.stdout!.on('data', (b: Buffer) => (b.toString().includes('worker ready') ? resolve() : undefined));
    workerProcess.once('exit', (code) => reject(new Error(`the worker exited with ${code}: ${workerErr}`)));
  });
  workerProcess.removeAllListeners('exit');
  const backgroundNice = Number(args['background-nice']);
  if (backgroundNice !== 0) for (const pid of [workerProcess.pid!, temporal.process.pid!]) os.setPriority(pid, backgroundNice);
  let stopping = false;
  // A worker that dies during the run makes every later sign-off hang: say so at once, with its last words.
  workerProcess.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`the worker exited during the run (${code ?? signal}):\n${workerErr.split('\n').slice(-25).join('\n')}`);
    process.exit(1);
  });
  const deps = createAppDeps({ client, pool, taskQueue, writeConcurrency, session: { secret: randomUUID() + randomUUID(), secureCookies: false, trustProxy: false } });
  const app = createApp(deps);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  try {
    // The tree: an upper committee and its grassroots cells, each with three official members.
    const today = vietnamDate(Date.now());
    const year = Number(today.slice(0, 4));
    const { upper, cells } = await seedTree(pool, { upperName: 'Đảng ủy Khu kinh tế (tải)', cellName: 'Chi bộ Công ty Tải', cells: CELLS });
    const user = (username: string, roles: RoleGrant[]) => benchUser(pool, username, roles);
    const staff = await user('load-staff', [{ role: 'organizer', organizationId: upper, body: null }]);
    const reader = await user('load-reader', [{ role: 'viewer', organizationId: upper, body: null }]);
    const cellTokens = await Promise.all(cells.map((c, i) => user(`load-cell-${i}`, [{ role: 'approver', organizationId: c.id, body: 'cell' }])));
    const standing = await Promise.all(Array.from({ length: 5 }, (_, i) => user(`load-standing-${i}`, [{ role: 'approver', organizationId: upper, body: 'standing-committee' }])));
    const principal: Principal = { userId: staff.id, username: 'load-staff', displayName: 'load-staff', roles: [{ role: 'organizer', organizationId: upper, body: null }], via: 'token', ip: null };

    // Cases through the in-flight import: half wait for the cell vote, half for the decision.
    // 7 to 16 sign-offs a second fit on the 2-core machines seen here (the write gate sets the pace): enough
    // cases for 20 a second over the warm-up and the window, however many signers share them. Signers go on
    // past the window until every case is signed (the sign-offs sent after it are not in the figures); a
    // run that used them all before the window closed says so.
    const casesWanted = signers === 0 ? 50 : Math.max(100, (warmup + duration) * 20);
    const d = (n: number) => addDays(today, -n);
    const history = (cell: (typeof cells)[number], withVote: boolean): Array<{ signedOn: string; data: StepData }> => [
      { signedOn: d(40), data: { step: 'source', helperPersonId: cell.members[2]! } },
      { signedOn: d(38), data: { step: 'awareness-course', certificateIssuedOn: d(38) } },
      { signedOn: d(35), data: { step: 'application', receivedOn: d(35), biographySealedOn: d(35) } },
      { signedOn: d(30), data: { step: 'verification', completedOn: d(30), result: 'clear' } },
      { signedOn: d(25), data: { step: 'introduction', introducedOn: d(25), introducers: cell.members.slice(0, 2).map((personId) => ({ personId, coWorkingMonths: 24, official: true })), unionResolution: null } },
      { signedOn: d(20), data: { step: 'opinions', summarizedOn: d(20) } },
      ...(withVote ? [{ signedOn: d(10), data: { step: 'cell-vote', vote: { heldOn: d(10), eligible: 9, present: 9, for: 8, against: 1 }, candidateAgeMonths: 300 } } as { signedOn: string; data: StepData }] : []),
    ];
    const items: Array<{ path: string; token: string; body: string }> = [];
    let next = 0;
    let decisionNo = 0;
    const prepStart = Date.now();
    const one = async (i: number) => {
      const cell = cells[i % CELLS]!;
      const withVote = i % 2 === 1;
      const snap = await deps.cases.openAdmission(principal, {
        organizationId: cell.id,
        person: { fullName: `Quần Chúng Tải ${i}`, dateOfBirth: '1998-03-03' },
        openedOn: d(42),
        history: history(cell, withVote),
      });
      items.push(
        withVote
          ? { path: `/api/v1/cases/${snap.caseId}/steps/decision`, token: standing[i % standing.length]!.token, body: JSON.stringify({ decided: 'admit', number: `${++decisionNo}-QĐ/ĐUKKT`, issuedOn: today, receivedByCellOn: today }) }
          : { path: `/api/v1/cases/${snap.caseId}/steps/cell-vote`, token: cellTokens[i % CELLS]!.token, body: JSON.stringify({ vote: { heldOn: today, eligible: 9, present: 8, for: 7, against: 1 } }) },
      );
    };
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = next++; i < casesWanted; i = next++) await one(i);
    }));
    const prepSeconds = (Date.now() - prepStart) / 1000;
    console.log(`prepared ${items.length} cases through the in-flight import in ${prepSeconds.toFixed(1)} s (${(items.length / prepSeconds).toFixed(1)}/s)`);
    // Shuffle so the cell votes and decisions interleave.
    items.sort(() => Math.random() - 0.5);
    const caseIds = items.map((i) => i.path.split('/')[4]!);

    const plan = {
      baseUrl,
      duration,
      warmup,
      goalMs: READ_P99_GOAL_MS,
      signers,
      readers,
      signItems: items,
      readToken: reader.token,
      readRate,
      readArrival,
      reads: [
        '/api/v1/cases?status=open&limit=20',
        `/api/v1/cases?status=open&sort=dueOn&organizationId=${cells[0]!.id}&limit=20`,
        `/api/v1/reports/progress?organizationId=${upper}&year=${year}&period=year`,
        ...caseIds.slice(0, 50).map((id) => `/api/v1/cases/${id}`),
      ],
    };
    // Each read alone first (no load): the cost the load multiplies.
    const kinds: Array<[string, string]> = [
      ['list', plan.reads[0]!],
      ['list by org, due order', plan.reads[1]!],
      ['progress report', plan.reads[2]!],
      ['case detail', plan.reads[3]!],
    ];
    for (const [label, p] of kinds) {
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        const res = await fetch(`${baseUrl}${p}`, { headers: { authorization: `Bearer ${reader.token}` } });
        await res.arrayBuffer();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      console.log(`alone: ${label.padEnd(24)} median ${times[15]!.toFixed(1)} ms, p90 ${times[27]!.toFixed(1)} ms`);
    }
    const planFile = path.join(tmp, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const driver = fileURLToPath(new URL('./load-driver.ts', import.meta.url));
    // Where a read's time goes besides its own work: the API's event loop (blocked by other work) and pool waits.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    // Garbage-collection pauses of the API process (the longer ones stop every request in it).
    const gcPauses: number[] = [];
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcPauses.push(e.duration);
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    let poolWaitMax = 0;
    const poolProbe = setInterval(() => (poolWaitMax = Math.max(poolWaitMax, pool.waitingCount)), 50);
    const cpuBefore = process.cpuUsage();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', driver, planFile], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (b) => (text += b));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`load driver exited with ${code}`))));
    });
    loopDelay.disable();
    gcObserver.disconnect();
    clearInterval(poolProbe);
    const cpu = process.cpuUsage(cpuBefore);
    type Group = { requests: number; rps: number; p50: number; p95: number; p99: number; errors: number; non2xx: number; statuses: Record<string, number>; warmup: { requests: number; p99: number }; afterWindow?: number; endedEarly?: number };
    const results = JSON.parse(out.trim().split('\n').at(-1)!) as { sign: Group; read: Group & { overGoal?: number; overGoalSeconds?: number } };
    const { rows: recorded } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM case_events WHERE kind = 'step-completed' AND step IN ('cell-vote', 'decision') AND occurred_at > now() - interval '1 hour' AND data ->> 'outcome' IN ('passed', 'admitted')`);
    // Imported steps carry their paper dates: only the live sign-offs of this run are this recent.
    const signedLive = recorded[0]!.n;
    console.log(`\nload on loopback: ${duration} s after ${warmup} s of warm-up, ${signers} approvers signing (each as soon as the last answer came), ${readers} readers (${readRate > 0 ? `each ${readRate} request/s, ${readArrival === 'staggered' ? 'their clocks spread over the second' : 'all in the same millisecond'}` : 'closed loop'}); API, worker, Temporal, Postgres and the load on 2 cores; the API's write gate lets ${writeConcurrency} sign-off(s) run at once`);
    console.log('group    requests   req/s     p50 ms   p95 ms   p99 ms   errors  non-2xx  statuses');
    for (const [name, r] of Object.entries(results)) {
      console.log(`${name.padEnd(8)} ${String(r.requests).padStart(8)} ${r.rps.toFixed(1).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p95).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.errors).padStart(8)} ${String(r.non2xx).padStart(8)}  ${JSON.stringify(r.statuses)}`);
    }
    console.log(`warm-up (not in the figures above): sign ${results.sign.warmup.requests} req p99 ${results.sign.warmup.p99} ms; read ${results.read.warmup.requests} req p99 ${results.read.warmup.p99} ms`);
    const signAfter = results.sign.afterWindow ?? 0;
    if (signAfter) console.log(`sign-offs sent after the window, until every prepared case was signed (not in the figures above): ${signAfter}`);
    if (results.read.overGoal !== undefined) console.log(`reads over ${READ_P99_GOAL_MS} ms: ${results.read.overGoal}, sent in ${results.read.overGoalSeconds} of the ${duration} seconds`);
    console.log(`sign-offs answered 200 (warm-up included): ${results.sign.statuses['200'] ?? 0}; recorded in the read model: ${signedLive}`);
    const signEnd = results.sign.endedEarly;
    if (signers > 0 && signEnd !== undefined) {
      console.log(`NOTE: the signers used all ${items.length} prepared cases ${signEnd} s into the ${duration}-second window: the rest of it had reads only (kinder read figures than a full window)`);
    }
    const readKinds = (results.read as { byKind?: Record<string, { n: number; p50: number; p99: number }> }).byKind;
    if (readKinds) console.log(`reads by kind: ${Object.entries(readKinds).map(([k, v]) => `${k} ${v.n} req p50 ${v.p50} p99 ${v.p99} ms`).join('; ')}`);
    // Every request the API answered over the run (warm-up and sign-offs after the window included), as the CPU is.
    const served = [results.sign, results.read].reduce((a, g) => a + Object.values(g.statuses).reduce((x, n) => x + n, 0), 0);
    console.log(
      `API process: CPU ${((cpu.user + cpu.system) / 1000 / served).toFixed(2)} ms per request; event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms; requests waiting for a pool client at most ${poolWaitMax}; GC pauses ${gcPauses.length}, over 50 ms ${gcPauses.filter((d) => d > 50).length}, longest ${Math.round(Math.max(0, ...gcPauses))} ms`,
    );
    const failed = results.sign.errors + results.sign.non2xx + results.read.errors + results.read.non2xx;
    const correct = failed === 0 && (results.sign.statuses['200'] ?? 0) === signedLive;
    const fast = results.read.p99 < READ_P99_GOAL_MS;
    console.log(`correctness: 0 errors and every 200 recorded → ${correct ? 'yes' : 'NO'}; speed goal: reads' p99 < ${READ_P99_GOAL_MS} ms → ${fast ? 'met' : 'not met'} (total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    // A lost or failed request fails the run (CI runs --quick); the latency goal is a figure to read, not a gate.
    process.exitCode = correct ? 0 : 1;
  } finally {
    server.closeAllConnections();
    server.close();
    stopping = true;
    const exited = new Promise((r) => workerProcess.once('exit', r));
    workerProcess.kill('SIGTERM');
    await exited;
    await client.connection.close();
    await pool.end();
    const admin = createPool(db.url);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await db.stop();
    await temporal.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
