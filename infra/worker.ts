/**
 * The worker: runs the workflows and their activities. `createWorker` is the composition root used by
 * `npm start`, the tests and the production entry below (`tsx infra/worker.ts`).
 */
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
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
}

export function createWorker(opts: WorkerOptions): Promise<Worker> {
  const dataConverter = dataConverterFor(opts.payloadKeys);
  return Worker.create({
    ...(dataConverter ? { dataConverter } : {}),
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(opts.deps),
  });
}

async function main(): Promise<void> {
  const { loadConfig } = await import('./config.js');
  const { createPool } = await import('./db/pool.js');
  const { createMailer } = await import('./mail.js');
  const { connectClient, connectWorkerConnection, installRuntime } = await import('./temporal.js');
  installRuntime('INFO');
  const config = loadConfig();
  if (!config.database.url || !config.temporal.address) {
    throw new Error(
      'The standalone worker needs DATABASE_URL and TEMPORAL_ADDRESS (it joins an existing stack). ' +
        'For a local all-in-one stack run `npm start` instead.',
    );
  }
  const pool = createPool(config.database.url);
  const connection = await connectWorkerConnection({ ...config.temporal, address: config.temporal.address });
  const client = await connectClient({ ...config.temporal, address: config.temporal.address });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payloadKeys: config.temporal.payloadKeys,
    deps: { pool, client, chromiumPath: config.chromiumPath, mailer: createMailer(config.mail), publicUrl: config.http.publicUrl },
  });
  const { ensureDigestSchedule } = await import('./schedules.js');
  await ensureDigestSchedule(client, config.temporal.taskQueue);
  // Worker.run() installs SIGINT/SIGTERM handlers that shut it down gracefully.
  console.log(JSON.stringify({ msg: 'worker ready', taskQueue: config.temporal.taskQueue }));
  await worker.run();
  await connection.close();
  await client.connection.close();
  await pool.end();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
