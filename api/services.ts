/** Wires the API's services over one Temporal client and one pg pool (used by every entry point and tests). */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Pool } from '../infra/db/pool.js';
import type { AppDeps } from './app.js';
import { createCalendarService } from './calendar.js';
import { createCaseService } from './cases.js';
import { createHealthCheck } from './health.js';

export function createAppDeps(deps: { client: Client; pool: Pool; taskQueue: string; logger?: Logger }): AppDeps {
  const cases = createCaseService(deps);
  return {
    cases,
    calendar: createCalendarService({ pool: deps.pool, cases }),
    health: createHealthCheck(deps),
    ...(deps.logger ? { logger: deps.logger } : {}),
  };
}
