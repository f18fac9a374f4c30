/**
 * `node --import tsx scripts/backup-restore-check.ts [--cases N]`
 * Proves the backup procedure of the README once, end to end, on its own temp folder and its own database:
 * a Temporal dev server on a SQLite file and a fresh database on the PostgreSQL server of
 * `BACKUP_CHECK_DATABASE_URL` or `DATABASE_URL` (a role that may CREATE DATABASE), N admission cases opened
 * and some signed through the CaseService; then BACKUP (worker and Temporal stopped cleanly, the SQLite file
 * copied, `pg_dump -Fc`), WIPE (database dropped, SQLite file deleted), RESTORE (database created,
 * `pg_restore`, SQLite file copied back, Temporal and a worker started again) and CHECK: every case's read-model
 * row as before, every workflow answering its status query with the same step, one case signed further.
 *
 * `pg_dump`/`pg_restore` must be of the server's major version (Debian: /usr/lib/postgresql/<major>/bin or
 * the pg_wrapper on PATH). Without a server, or without tools of its version, it prints why and exits 0
 * ("skipped"). Exit 1 on any difference or error. Everything it made is removed at the end.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import getPort from 'get-port';
import pg from 'pg';
import type { Principal } from '../api/auth/policy.js';
import { createCaseService, type CaseService } from '../api/cases.js';
import { loadConfig } from '../infra/config.js';
import { prepareDatabase } from '../infra/db/migrate.js';
import { createPool, type Pool } from '../infra/db/pool.js';
import { insertOrganization, ORGANIZATION_DEFAULTS } from '../infra/db/queries/organizations.js';
import { insertPerson } from '../infra/db/queries/cases.js';
import { insertUser, replaceRoles, type RoleGrant } from '../infra/db/queries/users.js';
import { connectClient, connectWorkerConnection, installRuntime } from '../infra/temporal.js';
import { startDevServer, type DevServer } from '../infra/temporal-dev-server.js';
import { ensureTemporalTools } from '../infra/tools.js';
import { createWorker, WORKFLOWS_PATH } from '../infra/worker.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import type { StepData } from '../workflows/definitions.js';

const run = promisify(execFile);
const NAMESPACE = 'default';
const TASK_QUEUE = 'backup-restore-check';
const TAG = 'backup/restore:';

class Skip extends Error {}

const log = (msg: string) => console.log(`${TAG} ${msg}`);
const kb = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024))} KB`;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

// --- PostgreSQL: the server, its version, the matching client tools ------------------------------------------

/** The URL without its password (kept for PGPASSWORD), so neither logs nor `ps` show it. */
function splitPassword(url: string): { url: string; password: string | undefined } {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = '';
  return { url: u.toString(), password };
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

const redact = (url: string) => splitPassword(url).url;

async function serverMajor(adminUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Skip(`no PostgreSQL server answers at ${redact(adminUrl)} (${(err as Error).message})`);
  }
  try {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const { rows: can } = await client.query<{ ok: boolean }>('SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user');
    if (!can[0]?.ok) throw new Skip(`the role of ${redact(adminUrl)} may not CREATE DATABASE`);
    return Math.floor(Number(rows[0]!.v) / 10_000);
  } finally {
    await client.end();
  }
}

async function toolMajor(file: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(file, ['--version']);
    const m = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** pg_dump and pg_restore of exactly the server's major version (a newer pg_dump writes SQL an older server refuses). */
async function findPgTools(major: number): Promise<{ pgDump: string; pgRestore: string }> {
  const dirs = [`/usr/lib/postgresql/${major}/bin`, ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  const seen: string[] = [];
  for (const dir of dirs) {
    const pgDump = path.join(dir, 'pg_dump');
    const pgRestore = path.join(dir, 'pg_restore');
    if (!existsSync(pgDump) || !existsSync(pgRestore)) continue;
    const [d, r] = [await toolMajor(pgDump), await toolMajor(pgRestore)];
    if (d === major && r === major) return { pgDump, pgRestore };
    seen.push(`${pgDump} is ${d ?? '?'}`);
  }
  const installed = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').join(', ') : 'none';
  throw new Skip(
    `no pg_dump/pg_restore of PostgreSQL ${major} (the server's major version) on this machine ` +
      `(${seen.length ? seen.join('; ') : 'none on PATH'}; /usr/lib/postgresql: ${installed}); ` +
      `install postgresql-client-${major}, or point BACKUP_CHECK_DATABASE_URL at a server of the tools' version`,
  );
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

async function pgTool(file: string, args: string[], url: string): Promise<void> {
  const { url: bare, password } = splitPassword(url);
  try {
    await run(file, [...args, `--dbname=${bare}`], {
      env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`${path.basename(file)} failed: ${String((err as { stderr?: string }).stderr || (err as Error).message).trim()}`, { cause: err });
  }
}

// --- What is compared ------------------------------------------------------------------------------------------

interface CaseFacts {
  readonly row: string;
  readonly step: string | null;
}

/** Each case's read-model row (with its event count), as one comparable string. */
async function readModel(pool: Pool): Promise<Map<string, CaseFacts>> {
  const { rows } = await pool.query<{ id: string; step: string | null; row: string }>(
    `SELECT c.id, c.current_step AS step,
            concat_ws('|', c.type, c.status, c.current_step, c.current_step_due_on::text, c.organization_id, c.person_id,
                      c.last_seq, to_json(c.updated_at) #>> '{}',
                      (SELECT count(*) FROM case_events e WHERE e.case_id = c.id)) AS row
       FROM cases c ORDER BY c.id`,
  );
  return new Map(rows.map((r) => [r.id, { row: r.row, step: r.step }]));
}

/** Rows per table of the public schema: nothing else lost or added by dump and restore. */
async function tableCounts(pool: Pool): Promise<Map<string, number>> {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const counts = new Map<string, number>();
  for (const { name } of tables) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM public."${name.replace(/"/g, '""')}"`);
    counts.set(name, Number(rows[0]!.n));
  }
  return counts;
}

/** The workflow's own answer: status, step and due date. */
async function workflowViews(cases: CaseService, p: Principal, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await inParallel(ids, 4, async (id) => {
    try {
      const v = await cases.status(p, id);
      out.set(id, `${v.status}|${v.step ?? ''}|${v.dueOn ?? ''}`);
    } catch (err) {
      out.set(id, `error: ${(err as Error).message}`);
    }
  });
  return out;
}

async function inParallel<T>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

// --- Temporal and the worker -----------------------------------------------------------------------------------

interface Running {
  readonly dev: DevServer;
  readonly client: Client;
  readonly cases: CaseService;
  stop(): Promise<void>;
}

async function startTemporal(o: {
  cliPath: string;
  dbFile: string;
  pool: Pool;
  bundle: WorkflowBundleWithSourceMap;
}): Promise<Running> {
  const dev = await startDevServer({ cliPath: o.cliPath, port: await getPort(), dbFile: o.dbFile, namespace: NAMESPACE, startTimeoutMs: 120_000 });
  let client: Client | undefined;
  let connection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const stop = async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await client?.connection.close().catch(() => undefined);
    await dev.stop();
  };
  try {
    client = await connectClient({ address: dev.address, namespace: NAMESPACE });
    connection = await connectWorkerConnection({ address: dev.address, namespace: NAMESPACE });
    worker = await createWorker({ connection, namespace: NAMESPACE, taskQueue: TASK_QUEUE, deps: { pool: o.pool, client }, workflowBundle: o.bundle });
    running = worker.run();
    running.catch((err: unknown) => console.error(`${TAG} the worker stopped with an error:`, err));
    return { dev, client, cases: createCaseService({ client, pool: o.pool, taskQueue: TASK_QUEUE }), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stops worker and server and checks the server ended by itself (SIGTERM), not killed mid-write. */
async function stopCleanly(t: Running): Promise<void> {
  await t.stop();
  if (t.dev.process.signalCode === 'SIGKILL') throw new Error('the Temporal dev server did not stop within 10 s and was killed: its SQLite file may be torn');
}

/** The SQLite file and its -wal/-shm companions when present. */
const sqliteFiles = (file: string) => [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f));

// --- The check ---------------------------------------------------------------------------------------------

/** The sign-off of each step this check uses (dated today). */
function signOff(step: string, helperPersonId: string, today: string): StepData {
  switch (step) {
    case 'source':
      return { step: 'source', helperPersonId };
    case 'awareness-course':
      return { step: 'awareness-course', certificateIssuedOn: today };
    case 'application':
      return { step: 'application', receivedOn: today, biographySealedOn: today };
    case 'verification':
      return { step: 'verification', completedOn: today, result: 'clear' };
    default:
      throw new Error(`no sign-off prepared for step ${step}`);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '20' } } });
  const n = Number(values.cases);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--cases must be a whole number from 1 to 1000, not ${values.cases}`);

  const started = performance.now();
  const config = loadConfig({ ...process.env, DATABASE_URL: process.env.BACKUP_CHECK_DATABASE_URL || process.env.DATABASE_URL, TEMPORAL_ADDRESS: undefined });
  const adminUrl = config.database.url;
  if (!adminUrl) {
    throw new Skip('set BACKUP_CHECK_DATABASE_URL or DATABASE_URL to a PostgreSQL server whose pg_dump/pg_restore are installed (the embedded server has none)');
  }
  const major = await serverMajor(adminUrl);
  const { pgDump, pgRestore } = await findPgTools(major);
  const tools = await ensureTemporalTools({ toolsDir: config.toolsDir, cliPath: config.temporal.cliPath, testServerPath: config.temporal.testServerPath, log });
  installRuntime('WARN');

  const dir = await mkdtemp(path.join(tmpdir(), 'backup-restore-check-'));
  const dbName = `backup_check_${randomBytes(5).toString('hex')}`;
  const dbUrl = withDatabase(adminUrl, dbName);
  const sqlite = path.join(dir, 'temporal.sqlite');
  const backupDir = path.join(dir, 'backup');
  const dumpFile = path.join(backupDir, 'admissions.dump');
  let pool: Pool | undefined;
  let temporal: Running | undefined;
  try {
    log(`PostgreSQL ${major} at ${redact(adminUrl)}, ${pgDump}; database ${dbName}, folder ${dir}`);
    await adminQuery(adminUrl, `CREATE DATABASE ${dbName}`);
    await prepareDatabase(dbUrl);
    pool = createPool(dbUrl, 6);
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });

    // --- Cases --------------------------------------------------------------------------------------------
    const upper = (await insertOrganization(pool, { ...ORGANIZATION_DEFAULTS, name: 'Đảng ủy Khu kinh tế (kiểm tra sao lưu)', kind: 'upper-committee', symbol: 'ĐUKKT', place: 'Hải Phòng' }, [])).id;
    const upperPath = (await pool.query<{ path: string[] }>('SELECT path FROM organizations WHERE id = $1', [upper])).rows[0]!.path;
    const cell = (await insertOrganization(pool, { ...ORGANIZATION_DEFAULTS, name: 'Chi bộ Công ty Sao Lưu', kind: 'grassroots-cell', parentId: upper, officialMembers: 9 }, upperPath)).id;
    const roles: RoleGrant[] = [{ role: 'organizer', organizationId: upper, body: null }];
    // No usable password: this user exists for the audit rows only and never logs in.
    const userId = await insertUser(pool, { username: `backup-check-${dbName.slice(-6)}`, displayName: 'Kiểm tra sao lưu', email: null, passwordHash: '!' });
    await replaceRoles(pool, userId, roles);
    const p: Principal = { userId, username: 'backup-check', displayName: 'Kiểm tra sao lưu', roles, via: 'token', ip: null };
    const helper = await insertPerson(pool, { fullName: 'Đảng viên Giúp Đỡ', dateOfBirth: '1980-03-03', organizationId: cell });
    const today = vietnamDate(Date.now());

    temporal = await startTemporal({ cliPath: tools.temporalCli, dbFile: sqlite, pool, bundle });
    const phase = performance.now();
    const ids: string[] = new Array<string>(n);
    const steps = ['source', 'awareness-course', 'application'];
    await inParallel(
      Array.from({ length: n }, (_, i) => i),
      4,
      async (i) => {
        const opened = await temporal!.cases.openAdmission(p, { organizationId: cell, person: { fullName: `Ứng Viên Sao Lưu ${i + 1}`, dateOfBirth: '1998-04-04' } });
        ids[i] = opened.caseId;
        // Case i stops at step i mod 4: source, awareness-course, application (due date), verification (papers issued).
        for (const step of steps.slice(0, i % 4)) await temporal!.cases.sign(p, opened.caseId, signOff(step, helper, today));
      },
    );
    const before = await workflowViews(temporal.cases, p, ids);
    log(`opened ${n} case(s) and signed some in ${seconds(phase)}`);

    // --- BACKUP -------------------------------------------------------------------------------------------
    await stopCleanly(temporal);
    temporal = undefined;
    await mkdir(backupDir);
    let sqliteBytes = 0;
    for (const f of sqliteFiles(sqlite)) {
      await copyFile(f, path.join(backupDir, path.basename(f)));
      sqliteBytes += (await stat(f)).size;
    }
    const beforeRows = await readModel(pool);
    const beforeCounts = await tableCounts(pool);
    await pool.end();
    pool = undefined;
    await pgTool(pgDump, ['--format=custom', `--file=${dumpFile}`], dbUrl);
    const dumpBytes = (await stat(dumpFile)).size;
    log(`backup: pg_dump -Fc ${kb(dumpBytes)}, Temporal SQLite ${kb(sqliteBytes)} (${sqliteFiles(sqlite).map((f) => path.basename(f)).join(', ')})`);

    // --- WIPE ---------------------------------------------------------------------------------------------
    await adminQuery(adminUrl, `DROP DATABASE ${dbName} WITH (FORCE)`);
    for (const f of sqliteFiles(sqlite)) await rm(f);
    if ((await databaseExists(adminUrl, dbName)) || sqliteFiles(sqlite).length) throw new Error('the wipe left the database or the SQLite file behind');
    log('wiped: database dropped, SQLite file deleted');

    // --- RESTORE ------------------------------------------------------------------------------------------
    await adminQuery(adminUrl, `CREATE DATABASE ${dbName}`);
    await pgTool(pgRestore, ['--exit-on-error', '--no-owner', dumpFile], dbUrl);
    for (const f of readdirSync(backupDir).filter((f) => f.startsWith('temporal.sqlite'))) await copyFile(path.join(backupDir, f), path.join(dir, f));
    pool = createPool(dbUrl, 6);
    const afterRows = await readModel(pool);
    const afterCounts = await tableCounts(pool);
    // What `npm start` does next on a restored database: nothing to apply.
    await prepareDatabase(dbUrl);
    temporal = await startTemporal({ cliPath: tools.temporalCli, dbFile: sqlite, pool, bundle });
    log('restored: pg_restore done, SQLite file back, Temporal and a worker started');

    // --- CHECK --------------------------------------------------------------------------------------------
    const after = await workflowViews(temporal.cases, p, ids);
    const problems: string[] = [];
    let restored = 0;
    let mismatched = 0;
    for (const id of ids) {
      const was = beforeRows.get(id);
      const is = afterRows.get(id);
      if (is) restored += 1;
      const why: string[] = [];
      if (!was) why.push('not in the read model before the backup');
      if (!is) why.push('missing from the restored read model');
      else if (was && was.row !== is.row) why.push(`read model ${was.row} → ${is.row}`);
      if (before.get(id) !== after.get(id)) why.push(`workflow ${before.get(id)} → ${after.get(id)}`);
      if (is && after.get(id)?.split('|')[1] !== (is.step ?? '')) why.push(`workflow step ${after.get(id)} ≠ read model step ${is.step}`);
      if (why.length) {
        mismatched += 1;
        problems.push(`case ${id}: ${why.join('; ')}`);
      }
    }
    for (const id of afterRows.keys()) if (!beforeRows.has(id)) problems.push(`case ${id}: in the restored read model only`);
    for (const [table, count] of beforeCounts) {
      if (afterCounts.get(table) !== count) problems.push(`table ${table}: ${count} row(s) before, ${afterCounts.get(table) ?? 'no table'} after`);
    }
    for (const table of afterCounts.keys()) if (!beforeCounts.has(table)) problems.push(`table ${table}: only after the restore`);

    // One restored case goes on: the one at `application` (its papers are numbered and stored after the restore).
    let continued = 0;
    const next = ids.find((id) => afterRows.get(id)?.step === 'application') ?? ids[0]!;
    const nextStep = afterRows.get(next)?.step;
    if (nextStep) {
      try {
        const signed = await temporal.cases.sign(p, next, signOff(nextStep, helper, today));
        const row = (await readModel(pool)).get(next);
        if (signed.step && signed.step !== nextStep && row?.step === signed.step) continued = 1;
        else problems.push(`case ${next}: signing ${nextStep} after the restore left the workflow at ${signed.step} and the read model at ${row?.step}`);
      } catch (err) {
        problems.push(`case ${next}: signing ${nextStep} after the restore failed: ${(err as Error).message}`);
      }
    }

    for (const line of problems.slice(0, 30)) console.log(`  ${line}`);
    if (problems.length > 30) console.log(`  … and ${problems.length - 30} more`);
    console.log(
      `${TAG} cases=${n} dump=${kb(dumpBytes)} sqlite=${kb(sqliteBytes)} restored=${restored} mismatched=${mismatched} ` +
        `tables=${beforeCounts.size} continued=${continued} (${seconds(started)})`,
    );
    return problems.length === 0 && continued === 1 ? 0 : 1;
  } finally {
    await temporal?.stop().catch((err: unknown) => console.error(`${TAG} stopping Temporal:`, err));
    await pool?.end().catch(() => undefined);
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((err: unknown) =>
      console.error(`${TAG} could not drop the database ${dbName}: ${(err as Error).message}`),
    );
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof Skip) {
      console.log(`${TAG} skipped: ${err.message}`);
      process.exit(0);
    }
    console.error(`${TAG} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
