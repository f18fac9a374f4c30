/** Named timings and activity option presets. Business timing never appears as a literal inside a step. */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

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

/**
 * A step's papers: rendered and stored in one transaction, retried like a write (a Postgres outage delays
 * the sign-off), except missing data, which refuses the sign-off at once.
 */
export const DOCUMENT_ISSUE: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { ...READ_MODEL_WRITES.retry, nonRetryableErrorTypes: ['MissingDocumentData'] },
};

/**
 * Escalation emails: the activity stores the messages in the outbox (the worker's outbox relay delivers
 * them, retrying while the mail server is away); it is retried, backing off to one attempt every 10
 * minutes, while Postgres is away (the outbox keeps each message once).
 */
export const ESCALATION_SENDS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  // Given up after three days: a case never waits on mail for longer.
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: ['UnknownCase'] },
};

/** The daily digest: retried like escalations, but given up before the next morning's run. */
export const DIGEST_SENDS: ActivityOptions = { ...ESCALATION_SENDS, scheduleToCloseTimeout: '20 hours' };
