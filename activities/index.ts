import type { Client } from '@temporalio/client';
import type { Pool } from '../infra/db/pool.js';
import { calendarActivities } from './calendar.js';
import { caseRecordActivities } from './case-records.js';
import { documentActivities } from './documents.js';
import { createPdfRenderer } from './pdf.js';

export interface ActivityDeps {
  readonly pool: Pool;
  /** To signal other cases (an admission completing in an enterprise tells its establishment case). */
  readonly client?: Client | undefined;
  /** Chromium for PDFs (config CHROMIUM_PATH); unset: found on the machine when first needed. */
  readonly chromiumPath?: string | undefined;
}

/** The object registered on the worker. Dependencies come in here (no globals), so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...caseRecordActivities(deps),
    ...calendarActivities(deps),
    ...documentActivities({ pool: deps.pool, pdf: createPdfRenderer(deps.chromiumPath) }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
