/** Shared Temporal test plumbing: one workflow bundle per file, fresh task queues, the dev server's client. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { WORKFLOWS_PATH } from '../../infra/worker.js';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The production workflow bundle, built once per test file (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return bundle;
}

export const uniqueTaskQueue = (prefix = 'test') => `${prefix}-${randomUUID()}`;

/** Client + worker connection to the dev server started by the global setup. */
export async function devServerConnections(): Promise<{ client: Client; workerConnection: NativeConnection; close(): Promise<void> }> {
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const workerConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    workerConnection,
    async close() {
      await connection.close();
      await workerConnection.close();
    },
  };
}

const noop = () => undefined;
export const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
