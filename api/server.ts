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

/** Time for load balancers to see /readyz fail before the server stops accepting (Kubernetes: endpoint removal). */
const DRAIN_DELAY_MS = 5_000;
const FORCE_EXIT_MS = 25_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api');
  if (!config.database.url || !config.temporal.address) {
    throw new Error('The standalone API needs DATABASE_URL and TEMPORAL_ADDRESS. For a local all-in-one stack run `npm start`.');
  }
  const pool = createPool(config.database.url);
  const client = await connectClient({ ...config.temporal, address: config.temporal.address });
  const lifecycle = { draining: false };
  const app = createApp(appDepsFromConfig(config, { client, pool, logger, lifecycle }));
  // The callback hears a failure to listen too (a port taken): without this the process would stay up, not serving.
  const server = app.listen(config.http.port, config.http.host, (err?: Error) => {
    if (err) {
      logger.fatal({ port: config.http.port, host: config.http.host, error: err.message }, 'api cannot listen');
      process.exit(1);
    }
    logger.info({ url: config.http.publicUrl }, 'api listening');
  });
  const stop = (signal: string) => {
    // /readyz answers 503 from now on, so load balancers stop sending; after DRAIN_DELAY_MS the server stops
    // accepting, the requests in flight finish, and the process ends (forced after FORCE_EXIT_MS).
    lifecycle.draining = true;
    logger.info({ signal }, 'api stopping: draining requests');
    setTimeout(() => process.exit(1), FORCE_EXIT_MS).unref();
    setTimeout(() => {
      server.close(async () => {
        await client.connection.close();
        await pool.end();
        process.exit(0);
      });
      server.closeIdleConnections();
    }, config.env === 'production' ? DRAIN_DELAY_MS : 0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    createLogger('info', 'api').fatal(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
