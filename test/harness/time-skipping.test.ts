import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installRuntime } from '../../infra/temporal.js';
import type { longSleepWorkflow } from '../fixtures/workflows.js';
import { quietLogger, uniqueTaskQueue } from '../helpers/temporal.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('time-skipping test server (from PyPI)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    installRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } },
    });
  });
  afterAll(() => env?.teardown());

  it('sleeps twelve months of workflow time in seconds of wall time', async () => {
    const taskQueue = uniqueTaskQueue();
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/workflows.ts', import.meta.url)),
      logger: quietLogger,
    });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    const wallStart = performance.now();
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof longSleepWorkflow>('longSleepWorkflow', {
        taskQueue,
        workflowId: `sleep-${taskQueue}`,
        args: [365],
      }),
    );
    const wallSeconds = (performance.now() - wallStart) / 1000;
    expect(result.endedAt - result.startedAt).toBeGreaterThanOrEqual(365 * DAY_MS);
    // A real sleep would take a year; anything under a minute proves the clock was skipped.
    expect(wallSeconds).toBeLessThan(60);
  });
});
