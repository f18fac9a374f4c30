/**
 * `npm run record:histories`: runs the canonical case scenarios on a fresh in-memory Temporal dev server and
 * saves each workflow's history to test/histories/, where the replay test checks that today's workflow code
 * still replays them (cases started under an older deploy must not break).
 *
 * Record again only for an intended change that is guarded by `patched()`, and keep the old files: the new
 * code must replay both.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import getPort from 'get-port';
import type { Principal } from '../api/auth/policy.js';
import { createCaseService } from '../api/cases.js';
import { loadConfig, PROJECT_ROOT } from '../infra/config.js';
import { prepareDatabase } from '../infra/db/migrate.js';
import { createPool } from '../infra/db/pool.js';
import { insertPerson } from '../infra/db/queries/cases.js';
import { ensureDatabase, openDatabase } from '../infra/postgres.js';
import { connectClient, connectWorkerConnection, installRuntime } from '../infra/temporal.js';
import { startDevServer } from '../infra/temporal-dev-server.js';
import { ensureTemporalTools } from '../infra/tools.js';
import { createWorker } from '../infra/worker.js';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { SCENARIOS, startScenarioEnv } from './admission-scenarios.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import { calendarChangedSignal, caseWorkflowId } from '../workflows/definitions.js';

const OUT_DIR = path.join(PROJECT_ROOT, 'test', 'histories');
const DB_NAME = 'record_histories';

async function main(): Promise<void> {
  installRuntime();
  const config = loadConfig();
  const tools = await ensureTemporalTools({ toolsDir: config.toolsDir, cliPath: config.temporal.cliPath, log: console.log });
  const temporal = await startDevServer({ cliPath: tools.temporalCli, port: await getPort() });
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
  const adminUrl = new URL(db.url);
  const url = new URL(db.url);
  url.pathname = `/${DB_NAME}`;
  await ensureDatabase(adminUrl.toString(), DB_NAME);
  await prepareDatabase(url.toString());
  const pool = createPool(url.toString());
  const target = { address: temporal.address, namespace: 'default' };
  const client = await connectClient(target);
  const workerConnection = await connectWorkerConnection(target);
  const taskQueue = 'record-histories';
  const worker = await createWorker({ connection: workerConnection, namespace: 'default', taskQueue, deps: { pool } });
  const cases = createCaseService({ client, pool, taskQueue });
  // The recordings act as an admin; no user row is needed for that.
  const system: Principal = { userId: randomUUID(), username: 'recorder', displayName: 'Recorder', roles: [{ role: 'admin', organizationId: null, body: null }], via: 'token', ip: null };

  try {
    await worker.runUntil(async () => {
      const { rows } = await pool.query<{ id: string }>(
        `WITH upper AS (INSERT INTO organizations (name, kind, path) VALUES ('Đảng ủy Ghi Lịch Sử', 'upper-committee', '{}') RETURNING id)
         INSERT INTO organizations (name, kind, parent_id, path) SELECT 'Chi bộ Ghi Lịch Sử', 'grassroots-cell', id, '{}' FROM upper RETURNING id`,
      );
      const organizationId = rows[0]!.id;
      await pool.query(`UPDATE organizations o SET path = CASE WHEN parent_id IS NULL THEN ARRAY[id] ELSE ARRAY[parent_id, id] END`);
      const person = { fullName: 'Người Mẫu', dateOfBirth: '1995-01-01' };
      const scenarios: Record<string, () => Promise<string>> = {
        'admission-v2-withdrawn-at-source': async () => {
          const c = await cases.openAdmission(system, { organizationId, person });
          await cases.withdraw(system, c.caseId, 'Chuyển nơi làm việc');
          return c.caseId;
        },
        'admission-v2-helper-assigned-then-withdrawn': async () => {
          const c = await cases.openAdmission(system, { organizationId, person });
          await cases.sign(system, c.caseId, { step: 'source', helperPersonId: await insertPerson(pool, { fullName: 'Người Giúp Đỡ', dateOfBirth: '1970-01-01' }) });
          await cases.withdraw(system, c.caseId, 'Không đủ điều kiện');
          return c.caseId;
        },
        'admission-v2-application-due-recomputed-then-withdrawn': async () => {
          const c = await cases.openAdmission(system, { organizationId, person });
          await cases.sign(system, c.caseId, { step: 'source', helperPersonId: await insertPerson(pool, { fullName: 'Người Giúp Đỡ', dateOfBirth: '1970-01-01' }) });
          await cases.sign(system, c.caseId, { step: 'awareness-course', certificateIssuedOn: vietnamDate(Date.now() - 30 * 86_400_000) });
          await client.workflow.getHandle(caseWorkflowId('admission', c.caseId)).signal(calendarChangedSignal);
          await cases.withdraw(system, c.caseId, 'Chuyển công tác');
          return c.caseId;
        },
      };
      await mkdir(OUT_DIR, { recursive: true });
      const only = process.argv.slice(2).filter((n) => !(n in SCENARIOS));
      if (process.argv.length > 2 && only.length === 0) return;
      for (const [name, run] of Object.entries(scenarios)) {
        if (only.length && !only.includes(name)) continue; // record just the named scenarios, keep the others
        const caseId = await run();
        const handle = client.workflow.getHandle(caseWorkflowId('admission', caseId));
        await handle.result();
        const file = path.join(OUT_DIR, `${name}.json`);
        // The CLI's JSON is the format `Worker.runReplayHistories` reads (and what an operator exports).
        const { stdout } = await promisify(execFile)(
          tools.temporalCli,
          ['workflow', 'show', '--address', temporal.address, '--workflow-id', handle.workflowId, '--output', 'json'],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        await writeFile(file, stdout.endsWith('\n') ? stdout : `${stdout}\n`);
        console.log(`recorded ${path.relative(PROJECT_ROOT, file)}`);
      }
    });
  } finally {
    await workerConnection.close();
    await client.connection.close();
    await pool.end();
    await db.stop();
    await temporal.stop();
  }
}

/** The long scenarios (a year of probation) on the time-skipping server. */
async function recordLongScenarios(only: string[]): Promise<void> {
  const s = await startScenarioEnv();
  try {
    for (const [name, run] of Object.entries(SCENARIOS)) {
      if (only.length && !only.includes(name)) continue;
      const handle = await run(s);
      await handle.result();
      const file = path.join(OUT_DIR, `${name}.json`);
      await writeFile(file, `${historyToJSON(await handle.fetchHistory())}\n`);
      console.log(`recorded ${path.relative(PROJECT_ROOT, file)}`);
    }
  } finally {
    await s.close();
  }
}

main()
  .then(() => recordLongScenarios(process.argv.slice(2)))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
