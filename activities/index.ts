import type { Client } from '@temporalio/client';
import type { Pool } from '../infra/db/pool.js';
import { calendarActivities } from './calendar.js';
import { caseRecordActivities } from './case-records.js';
import { documentActivities } from './documents.js';
import { escalationActivities } from './escalations.js';
import { createMailer, type Mailer } from '../infra/mail.js';
import type { OutboxRelay } from '../infra/outbox-relay.js';
import { createPdfRenderer } from './pdf.js';

export interface ActivityDeps {
  readonly pool: Pool;
  /** To signal other cases (an admission completing in an enterprise tells its establishment case). */
  readonly client?: Client | undefined;
  /** Chromium for PDFs (config CHROMIUM_PATH); unset: found on the machine when first needed. */
  readonly chromiumPath?: string | undefined;
  /** Outgoing mail; unset: the local outbox only (nothing leaves the machine). */
  readonly mailer?: Mailer | undefined;
  /** Links in emails point at `${publicUrl}/cases/:id`. */
  readonly publicUrl?: string | undefined;
  /** The outbox relay delivering this process's mail (infra/outbox-relay.ts), handed the messages stored. */
  readonly relay?: Pick<OutboxRelay, 'wake' | 'reserve' | 'take'> | undefined;
}

/** The object registered on the worker. Dependencies come in here (no globals), so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...caseRecordActivities(deps),
    ...calendarActivities(deps),
    ...documentActivities({ pool: deps.pool, pdf: createPdfRenderer(deps.chromiumPath) }),
    ...escalationActivities({
      pool: deps.pool,
      mailer: deps.mailer ?? createMailer({ smtpUrl: undefined, from: '' }),
      publicUrl: deps.publicUrl ?? 'http://localhost:3000',
      relay: deps.relay,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
