/** Named timings and activity option presets. Business timing never appears as a literal inside a step. */
import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Read-model writes: short, idempotent, retried without limit (a Postgres outage must delay a case, never
 * fail it), backing off to one attempt a minute.
 */
export const READ_MODEL_WRITES: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Reference reads (calendar): same shape, retried until Postgres answers. */
export const REFERENCE_READS: ActivityOptions = READ_MODEL_WRITES;
