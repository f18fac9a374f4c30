/** `npm start`: the whole stack on embedded defaults, until Ctrl-C. */
import { ConfigError, loadConfig } from '../infra/config.js';
import { createLogger } from '../infra/logger.js';
import { startStack } from '../infra/stack.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'start');
  const stack = await startStack(config, logger);

  console.log(
    [
      '',
      'Admissions engine is running.',
      `  API / UI        ${stack.apiUrl}  (health: ${stack.apiUrl}/healthz)`,
      `  Temporal        ${stack.temporalAddress}${stack.temporalUiUrl ? `  (Web UI: ${stack.temporalUiUrl})` : ''}`,
      `  PostgreSQL      ${stack.databaseEmbedded ? `embedded, data in ${config.database.embeddedDataDir}` : 'DATABASE_URL'}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the API, the worker, Temporal and PostgreSQL …`);
    stack.stop().then(
      () => {
        console.log('Stopped cleanly.');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
