/**
 * `npm run import -- --file candidates.csv --user <username> [--kind candidates|enterprises] [--dry-run]`
 * Checks a CSV file row by row and prints the report; without --dry-run, imports the valid rows (a
 * progress bar), as the named user (their roles decide which organizations the rows may name; every case
 * is audited as theirs). Running it again on the same file creates nothing twice.
 * Needs the stack running (`npm start`, or TEMPORAL_ADDRESS and DATABASE_URL of a deployment).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { Principal } from '../api/auth/policy.js';
import { createCaseService } from '../api/cases.js';
import { createImportService, IMPORT_KINDS, type ImportKind, type ImportReport } from '../api/imports.js';
import { HttpError } from '../api/http-errors.js';
import { loadConfig } from '../infra/config.js';
import { createPool } from '../infra/db/pool.js';
import { getUser } from '../infra/db/queries/users.js';
import { openDatabase } from '../infra/postgres.js';
import { connectClient } from '../infra/temporal.js';

function printReport(r: ImportReport): void {
  console.log(`${r.rows} row(s): ${r.toImport} to import, ${r.existing.length} imported before, ${r.duplicates.length} duplicate(s) in the file, ${r.problems.length} problem(s)`);
  for (const p of r.problems) console.log(`  line ${p.line}: ${p.field} ${p.message} [${p.rule}]`);
  for (const d of r.duplicates) console.log(`  line ${d.line}: the same as line ${d.sameAs}, skipped`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { file: { type: 'string' }, user: { type: 'string' }, kind: { type: 'string', default: 'candidates' }, 'dry-run': { type: 'boolean', default: false } },
  });
  if (!values.file) throw new Error('--file is required: the CSV file to import.');
  if (!values.user) throw new Error('--user is required: the username the import is done as (an organizer or admin).');
  if (!IMPORT_KINDS.includes(values.kind as ImportKind)) throw new Error(`--kind must be one of ${IMPORT_KINDS.join(', ')}.`);
  const csv = readFileSync(values.file, 'utf8');

  const config = loadConfig();
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
  const pool = createPool(db.url, 6);
  const client = await connectClient({ ...config.temporal, address: config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}` });
  try {
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [values.user.toLowerCase()]);
    const user = rows[0] && (await getUser(pool, rows[0].id));
    if (!user?.active) throw new Error(`--user: no active user ${values.user}.`);
    const p: Principal = { userId: user.id, username: user.username, displayName: user.displayName, roles: user.roles, via: 'token', ip: null };
    const imports = createImportService({ pool, cases: createCaseService({ client, pool, taskQueue: config.temporal.taskQueue }) });
    if (values['dry-run']) {
      printReport(await imports.check(p, values.kind as ImportKind, csv));
      return;
    }
    const bar = new cliProgress.SingleBar({ format: 'importing {bar} {value}/{total} rows | {eta_formatted} left', noTTYOutput: true, notTTYSchedule: 5_000 }, cliProgress.Presets.shades_classic);
    let started = false;
    const { report, result } = await imports.run(p, values.kind as ImportKind, csv, (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    });
    if (started) bar.stop();
    printReport(report);
    console.log(`imported ${result.created} row(s); ${result.existing} were already there; ${result.failed.length} failed`);
    for (const f of result.failed) console.log(`  line ${f.line}: ${f.message}`);
    if (result.failed.length) process.exitCode = 1;
  } finally {
    await client.connection.close();
    await pool.end();
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof HttpError ? `${err.message}${err.fields?.length ? `\n${err.fields.map((f) => `  ${f.field}: ${f.message}`).join('\n')}` : ''}` : err instanceof Error ? err.message : err);
  process.exit(1);
});
