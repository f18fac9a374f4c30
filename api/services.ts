/** Wires the API's services over one Temporal client and one pg pool (used by every entry point and tests). */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../infra/config.js';
import type { Pool } from '../infra/db/pool.js';
import { sessionSecret } from './auth/middleware.js';
import type { AppDeps } from './app.js';
import { createCalendarService } from './calendar.js';
import { createCaseService } from './cases.js';
import { createDocumentService } from './documents.js';
import { createHealthCheck } from './health.js';
import { createOrganizationService } from './organizations.js';
import { createRecordService } from './records.js';
import { createExportService } from './exports.js';
import { createImportService } from './imports.js';
import { createReportService } from './reports.js';
import { createUserService } from './users.js';

export function createAppDeps(deps: {
  client: Client;
  pool: Pool;
  taskQueue: string;
  session: AppDeps['session'];
  logger?: Logger;
  chromiumPath?: string | undefined;
  /** The write gate of the case service (default DEFAULT_WRITE_CONCURRENCY). */
  writeConcurrency?: number | undefined;
}): AppDeps {
  const cases = createCaseService(deps);
  const reports = createReportService(deps);
  return {
    pool: deps.pool,
    cases,
    documents: createDocumentService({ pool: deps.pool, chromiumPath: deps.chromiumPath }),
    calendar: createCalendarService({ pool: deps.pool, cases }),
    organizations: createOrganizationService(deps),
    records: createRecordService(deps),
    reports,
    imports: createImportService({ pool: deps.pool, cases }),
    exports: createExportService({ pool: deps.pool, cases, reports }),
    users: createUserService(deps),
    health: createHealthCheck(deps),
    session: deps.session,
    ...(deps.logger ? { logger: deps.logger } : {}),
  };
}

/** The app's dependencies for a process configured by `Config` (the API entry and `npm start`). */
export function appDepsFromConfig(
  config: Config,
  deps: { client: Client; pool: Pool; logger: Logger; lifecycle?: { draining: boolean } },
): AppDeps {
  const { lifecycle, ...rest } = deps;
  return {
    ...createAppDeps({
      ...rest,
      taskQueue: config.temporal.taskQueue,
      chromiumPath: config.chromiumPath,
      writeConcurrency: config.http.writeConcurrency,
      session: { ...config.session, secret: sessionSecret(config.session.secret, config.dataDir) },
    }),
    metricsToken: config.metricsToken,
    ...(lifecycle ? { lifecycle } : {}),
  };
}
