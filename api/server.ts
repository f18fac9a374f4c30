/**
 * Production entry of the API (`node --import tsx api/server.ts`): joins an existing stack given by
 * DATABASE_URL and TEMPORAL_ADDRESS. One Temporal client and one pg pool per process; drains on SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../infra/config.js';
import { createPool } from '../infra/db/pool.js';
import { createLogger } from '../infra/logger.js';
import { connectClient } from '../infra/temporal.js';
import { createApp } from './app.js';
import { appDepsFromConfig } from './services.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api');
  if (!config.database.url || !config.temporal.address) {
    throw new Error('The standalone API needs DATABASE_URL and TEMPORAL_ADDRESS. For a local all-in-one stack run `npm start`.');
  }
  const pool = createPool(config.database.url);
  const client = await connectClient({ ...config.temporal, address: config.temporal.address });
  const app = createApp(appDepsFromConfig(config, { client, pool, logger }));
  const server = app.listen(config.http.port, config.http.host, () =>
    logger.info({ url: config.http.publicUrl }, 'api listening'),
  );
  const stop = () => {
    server.close(async () => {
      await client.connection.close();
      await pool.end();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
