/**
 * The all-in-one local stack of `npm start`: Postgres (DATABASE_URL or embedded), the Temporal dev server
 * (or TEMPORAL_ADDRESS), migrations, the worker and the API, in one process with child servers.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createApp } from '../api/app.js';
import { appDepsFromConfig } from '../api/services.js';
import type { Config } from './config.js';
import { prepareDatabase } from './db/migrate.js';
import { createPool, type Pool } from './db/pool.js';
import { openDatabase, type Database } from './postgres.js';
import { connectClient, connectWorkerConnection, ensureSearchAttributes, installRuntime } from './temporal.js';
import { SEARCH_ATTRIBUTES, startDevServer, type DevServer } from './temporal-dev-server.js';
import { ensureTemporalTools } from './tools.js';
import { createWorker } from './worker.js';
import { createMailer } from './mail.js';
import { startOutboxRelay } from './outbox-relay.js';
import { DIGEST_SCHEDULE_ID, ensureDigestSchedule } from './schedules.js';

export interface Stack {
  readonly apiUrl: string;
  readonly temporalAddress: string;
  readonly temporalUiUrl: string | undefined;
  readonly databaseEmbedded: boolean;
  stop(): Promise<void>;
}

export async function startStack(config: Config, logger: Logger): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err) => logger.warn({ err }, 'error while stopping'));
    }
    cleanups.length = 0;
  };

  installRuntime(config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN');
  try {
    const db: Database = await openDatabase({
      url: config.database.url,
      dataDir: config.database.embeddedDataDir,
      port: config.database.embeddedPort,
      log: (line) => logger.debug({ component: 'postgres' }, line),
      callerHandlesSignals: true,
    });
    cleanups.push(() => db.stop());
    logger.info({ embedded: db.embedded }, 'postgres ready');
    await prepareDatabase(db.url, (msg) => logger.info(msg));
    const pool: Pool = createPool(db.url);
    cleanups.push(() => pool.end());

    let address = config.temporal.address;
    let uiUrl: string | undefined;
    if (address === undefined) {
      const tools = await ensureTemporalTools({
        toolsDir: config.toolsDir,
        cliPath: config.temporal.cliPath,
        testServerPath: config.temporal.testServerPath,
        log: (msg) => logger.info(msg),
      });
      const dev: DevServer = await startDevServer({
        cliPath: tools.temporalCli,
        port: config.temporal.devPort,
        uiPort: config.temporal.uiPort,
        dbFile: config.temporal.devDbFile,
        namespace: config.temporal.namespace,
        log: (line) => logger.debug({ component: 'temporal' }, line),
      });
      cleanups.push(() => dev.stop());
      address = dev.address;
      uiUrl = dev.uiUrl;
    }
    const target = { ...config.temporal, address };

    const client: Client = await connectClient(target);
    cleanups.push(() => client.connection.close());
    await ensureSearchAttributes(client, config.temporal.namespace, SEARCH_ATTRIBUTES);
    const workerConnection: NativeConnection = await connectWorkerConnection(target);
    cleanups.push(() => workerConnection.close());
    const mailer = createMailer(config.mail);
    const relay = mailer.kind === 'smtp' ? startOutboxRelay({ pool, mailer, onError: (err, context) => logger.warn({ err, context }, 'outbox relay') }) : undefined;
    cleanups.push(async () => {
      await relay?.stop();
      mailer.close();
    });
    const worker: Worker = await createWorker({
      connection: workerConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      payloadKeys: config.temporal.payloadKeys,
      deps: { pool, client, chromiumPath: config.chromiumPath, mailer, relay, publicUrl: config.http.publicUrl },
    });
    const running = worker.run();
    // The daily digest at 07:30 (Asia/Ho_Chi_Minh): created once, brought up to date on later starts.
    logger.info({ schedule: DIGEST_SCHEDULE_ID, result: await ensureDigestSchedule(client, config.temporal.taskQueue) }, 'digest schedule');
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    running.catch((err) => logger.error({ err }, 'worker stopped with an error'));

    const app = createApp(appDepsFromConfig(config, { client, pool, logger }));
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.http.port, config.http.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );

    return {
      apiUrl: config.http.publicUrl,
      temporalAddress: address,
      temporalUiUrl: uiUrl,
      databaseEmbedded: db.embedded,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
