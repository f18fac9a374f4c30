import type { Client } from '@temporalio/client';
import type { Pool } from '../infra/db/pool.js';
import { calendarActivities } from './calendar.js';
import { caseRecordActivities } from './case-records.js';
import { documentActivities } from './documents.js';

export interface ActivityDeps {
  readonly pool: Pool;
  /** To signal other cases (an admission completing in an enterprise tells its establishment case). */
  readonly client?: Client | undefined;
}

/** The object registered on the worker. Dependencies come in here (no globals), so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...caseRecordActivities(deps),
    ...calendarActivities(deps),
    ...documentActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
