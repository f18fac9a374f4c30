/**
 * The worker: runs the workflows and their activities. `createWorker` is the composition root used by
 * `npm start`, the tests and the production entry below (`tsx infra/worker.ts`).
 */
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import type { OutboxMessage, OutboxRelay } from './outbox-relay.js';
import { dataConverterFor, type PayloadKeys } from './payload-codec.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per file); default: bundle `workflows/index.ts` now. */
  readonly workflowBundle?: WorkflowBundleOption;
  /** Payload encryption keys: the same as the clients' (see payload-codec.ts). */
  readonly payloadKeys?: PayloadKeys | undefined;
  /** On SIGTERM, how long running activities may go on before they are cancelled (SDK default: 0). */
  readonly shutdownGraceTime?: string;
}

export function createWorker(opts: WorkerOptions): Promise<Worker> {
  const dataConverter = dataConverterFor(opts.payloadKeys);
  return Worker.create({
    ...(dataConverter ? { dataConverter } : {}),
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.shutdownGraceTime ? { shutdownGraceTime: opts.shutdownGraceTime as `${number}s` } : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(opts.deps),
  });
}

/**
 * The production worker: joins an existing stack (DATABASE_URL, TEMPORAL_ADDRESS), runs the prebuilt bundle
 * given by WORKFLOW_BUNDLE_PATH (`npm run build:workflows`), logs JSON lines (ids only), exports the SDK's
 * metrics and its own, and serves /livez, /readyz and /metrics on WORKER_HTTP_PORT.
 */
async function main(): Promise<void> {
  const { existsSync } = await import('node:fs');
  const getPort = (await import('get-port')).default;
  const { Runtime } = await import('@temporalio/worker');
  const { loadConfig } = await import('./config.js');
  const { createPool } = await import('./db/pool.js');
  const { createMailer } = await import('./mail.js');
  const { startOutboxRelay } = await import('./outbox-relay.js');
  const { createLogger, temporalLogger } = await import('./logger.js');
  const { connectClient, connectWorkerConnection, ensureSearchAttributes } = await import('./temporal.js');
  const { SEARCH_ATTRIBUTES } = await import('./temporal-dev-server.js');
  const { startWorkerHttp } = await import('./worker-http.js');
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker');
  if (!config.database.url || !config.temporal.address) {
    throw new Error(
      'The standalone worker needs DATABASE_URL and TEMPORAL_ADDRESS (it joins an existing stack). ' +
        'For a local all-in-one stack run `npm start` instead.',
    );
  }
  const bundlePath = config.worker.workflowBundlePath;
  if (bundlePath !== undefined && !existsSync(bundlePath)) {
    throw new Error(`WORKFLOW_BUNDLE_PATH=${bundlePath}: no such file. Build it with \`npm run build:workflows\` or unset the variable.`);
  }
  // The SDK's own metrics go to a loopback-only exporter; /metrics on WORKER_HTTP_PORT serves them with ours.
  const sdkMetricsAddress = `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`;
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      metrics: { prometheus: { bindAddress: sdkMetricsAddress } },
    },
  });
  const pool = createPool(config.database.url);
  const connection = await connectWorkerConnection({ ...config.temporal, address: config.temporal.address });
  const client = await connectClient({ ...config.temporal, address: config.temporal.address });
  // The workflows set these search attributes: without them every case's workflow task fails. Idempotent;
  // Temporal Cloud refuses the call, and there they are registered once in the namespace settings.
  await ensureSearchAttributes(client, config.temporal.namespace, SEARCH_ATTRIBUTES).catch((err: Error) => logger.error(err.message));
  const mailer = createMailer(config.mail);
  // The outbox relay delivers the mail (several workers share the rows; each claims its own). Started last,
  // once everything else is up; until then the activities store their messages `pending`.
  let relay: OutboxRelay | undefined;
  const relayHandle = { wake: () => relay?.wake(), reserve: (n: number) => relay?.reserve(n) ?? false, take: (m: readonly OutboxMessage[], n: number) => relay?.take(m, n) };
  const started = Date.now();
  const worker = await createWorker({
    // Within Kubernetes' 60 s termination grace: running activities get 45 s to finish on SIGTERM.
    shutdownGraceTime: '45s',
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payloadKeys: config.temporal.payloadKeys,
    ...(bundlePath !== undefined ? { workflowBundle: { codePath: bundlePath } } : {}),
    deps: { pool, client, chromiumPath: config.chromiumPath, mailer, relay: relayHandle, publicUrl: config.http.publicUrl },
  });
  const { ensureDigestSchedule } = await import('./schedules.js');
  await ensureDigestSchedule(client, config.temporal.taskQueue);
  const http = await startWorkerHttp({
    host: config.http.host,
    port: config.worker.httpPort,
    worker,
    pool,
    databaseUrl: config.database.url,
    metricsToken: config.metricsToken,
    sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics`,
  });
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      workflowBundle: bundlePath === undefined ? 'bundled at start' : 'prebuilt',
      startMs: Date.now() - started,
      http: http.url,
    },
    'worker ready',
  );
  if (mailer.kind === 'smtp') {
    relay = startOutboxRelay({ pool, mailer, onError: (err, context) => logger.warn({ err, context }, 'outbox relay') });
    // On SIGTERM the relay stops claiming at once and finishes its sends while the activities drain.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void relay?.stop());
  }
  // Worker.run() installs SIGINT/SIGTERM handlers: it stops polling and lets running activities finish.
  await worker.run();
  logger.info('worker stopped');
  await relay?.stop();
  mailer.close();
  await http.close();
  await connection.close();
  await client.connection.close();
  await pool.end();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch(async (err) => {
    const { createLogger } = await import('./logger.js');
    createLogger('info', 'worker').fatal(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
