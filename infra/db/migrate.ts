/**
 * Applies the numbered, forward-only SQL migrations in `infra/db/migrations/` with node-pg-migrate.
 * Used by `npm start`, by `npm run db:migrate`, and by the test harness for every test database.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { createPool } from './pool.js';
import { seedReferenceData } from './seed.js';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function migrate(databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    // Several processes may start at once (API + worker): wait for the one holding the lock.
    advisoryLockMode: 'wait',
    log: () => undefined,
    logger: { debug: () => undefined, info: () => undefined, warn: log, error: log },
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) log(`Applied migrations: ${names.join(', ')}`);
  return names;
}

/** Migrations, then the seed data (official calendars): what every database needs before use. */
export async function prepareDatabase(databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<void> {
  await migrate(databaseUrl, log);
  const pool = createPool(databaseUrl, 2);
  try {
    const seeded = await seedReferenceData(pool);
    if (seeded.length) log(`Seeded: ${seeded.join(', ')}`);
  } finally {
    await pool.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { loadConfig } = await import('../config.js');
  const { openDatabase } = await import('../postgres.js');
  const config = loadConfig();
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
  try {
    await prepareDatabase(db.url, console.log);
    console.log('Database is up to date.');
  } finally {
    await db.stop();
  }
}
