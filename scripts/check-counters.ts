/**
 * `npm run counters:check [-- --fix]`
 * Recounts the report counters (counted events, the funnel, due dates) from case_events and lists every
 * difference from the stored ones; `--fix` replaces them by the recount. Exit code 1 when differences
 * remain, so a scheduled run can alert.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config.js';
import { prepareDatabase } from '../infra/db/migrate.js';
import { createPool, withTransaction } from '../infra/db/pool.js';
import { counterDifferences, rebuildCounters } from '../infra/db/queries/counters.js';
import { openDatabase } from '../infra/postgres.js';

const { values } = parseArgs({ options: { fix: { type: 'boolean', default: false } } });
const config = loadConfig();
const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
await prepareDatabase(db.url);
const pool = createPool(db.url, 2);
try {
  const started = performance.now();
  const diffs = await counterDifferences(pool);
  console.log(`counters checked against a recount from the events in ${((performance.now() - started) / 1000).toFixed(1)} s: ${diffs.length} difference(s)`);
  for (const d of diffs.slice(0, 50)) console.log(`  ${d.table} ${d.key}: stored ${d.stored}, recounted ${d.recounted}`);
  if (diffs.length > 50) console.log(`  … and ${diffs.length - 50} more`);
  if (diffs.length && values.fix) {
    await withTransaction(pool, (tx) => rebuildCounters(tx));
    const after = await counterDifferences(pool);
    console.log(`rebuilt from the events: ${after.length} difference(s) left`);
    process.exitCode = after.length ? 1 : 0;
  } else {
    process.exitCode = diffs.length ? 1 : 0;
  }
} finally {
  await pool.end();
  await db.stop();
}
