/**
 * CaseService: the only module that talks to the Temporal client. Routes call it with validated input;
 * it starts and updates workflows and reads the Postgres read model.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Pool } from '../infra/db/pool.js';
import * as q from '../infra/db/queries/cases.js';
import {
  assignHelperUpdate,
  awaitCaseRecordedUpdate,
  calendarChangedSignal,
  caseWorkflowId,
  recordAwarenessCourseUpdate,
  CURRENT_RULE_SET,
  withdrawCaseUpdate,
  type AdmissionInput,
  type CaseSnapshot,
} from '../workflows/definitions.js';
import type { admissionWorkflow } from '../workflows/admission.js';
import { fromTemporalError, HttpError, notFound } from './http-errors.js';

export interface OpenAdmissionInput {
  readonly organizationId: string;
  readonly person: { readonly fullName: string; readonly dateOfBirth: string };
}

export interface CaseDetail extends q.CaseRow {
  readonly person: { readonly fullName: string; readonly dateOfBirth: string } | null;
  readonly history: q.CaseEventRow[];
}

export interface CaseListPage {
  readonly items: q.CaseRow[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface CaseListQuery extends Omit<q.CaseListFilter, 'after'> {
  readonly after?: string | undefined;
}

export interface CaseService {
  openAdmission(input: OpenAdmissionInput): Promise<CaseSnapshot>;
  assignHelper(caseId: string, helperPersonId: string): Promise<CaseSnapshot>;
  recordAwarenessCourse(caseId: string, certificateIssuedOn: string): Promise<CaseSnapshot>;
  withdraw(caseId: string, reason: string): Promise<CaseSnapshot>;
  /** Tell every open case due on or after `from` that the calendar changed; returns how many were told. */
  notifyCalendarChanged(from: string): Promise<number>;
  list(query: CaseListQuery): Promise<CaseListPage>;
  get(caseId: string): Promise<CaseDetail | undefined>;
}

export function createCaseService(deps: { client: Client; pool: Pool; taskQueue: string }): CaseService {
  const { client, pool } = deps;

  /** Run a Temporal call, turning client errors into HTTP errors. */
  async function temporal<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromTemporalError(err) ?? err;
    }
  }

  async function requireCase(caseId: string): Promise<q.CaseRow> {
    const row = await q.getCase(pool, caseId);
    if (!row) throw notFound('The case');
    return row;
  }

  return {
    async openAdmission(input) {
      if (!(await q.organizationExists(pool, input.organizationId))) {
        throw new HttpError(422, 'unknown_reference', `organizationId: no organization has the id ${input.organizationId}`, [
          { field: 'organizationId', rule: 'exists', message: 'does not name an existing organization' },
        ]);
      }
      // The person is reference data and is stored first (committed): the workflow's activity refers to it.
      const personId = await q.insertPerson(pool, input.person);
      const caseId = randomUUID();
      const args: [AdmissionInput] = [
        { caseId, organizationId: input.organizationId, personId, ruleSet: CURRENT_RULE_SET },
      ];
      const start = new WithStartWorkflowOperation<typeof admissionWorkflow>('admissionWorkflow', {
        workflowId: caseWorkflowId('admission', caseId),
        taskQueue: deps.taskQueue,
        args,
        workflowIdConflictPolicy: 'FAIL',
      });
      try {
        // Update-with-start: the response comes once the case is in the read model, so a following GET finds it.
        return await temporal(() => client.workflow.executeUpdateWithStart(awaitCaseRecordedUpdate, { startWorkflowOperation: start }));
      } catch (err) {
        const started = await start.workflowHandle().then(
          () => true,
          () => false,
        );
        if (!started) await q.deleteUnreferencedPerson(pool, personId).catch(() => undefined);
        throw err;
      }
    },

    async assignHelper(caseId, helperPersonId) {
      const row = await requireCase(caseId);
      if (!(await q.personExists(pool, helperPersonId))) {
        throw new HttpError(422, 'unknown_reference', `helperPersonId: no person has the id ${helperPersonId}`, [
          { field: 'helperPersonId', rule: 'exists', message: 'does not name an existing person' },
        ]);
      }
      const handle = client.workflow.getHandle(caseWorkflowId(row.type as 'admission', caseId));
      return temporal(() => handle.executeUpdate(assignHelperUpdate, { args: [{ helperPersonId }] }));
    },

    async recordAwarenessCourse(caseId, certificateIssuedOn) {
      const row = await requireCase(caseId);
      const handle = client.workflow.getHandle(caseWorkflowId(row.type as 'admission', caseId));
      return temporal(() => handle.executeUpdate(recordAwarenessCourseUpdate, { args: [{ certificateIssuedOn }] }));
    },

    async notifyCalendarChanged(from) {
      let told = 0;
      let after: string | null = null;
      for (;;) {
        const page = await q.openCasesDueFrom(pool, from, after, 200);
        if (page.length === 0) return told;
        // A case that closed meanwhile has nothing to recompute: ignore "not found".
        const results = await Promise.allSettled(
          page.map((c) => client.workflow.getHandle(caseWorkflowId(c.type as 'admission', c.id)).signal(calendarChangedSignal)),
        );
        told += results.filter((r) => r.status === 'fulfilled').length;
        after = page.at(-1)!.id;
      }
    },

    async withdraw(caseId, reason) {
      const row = await requireCase(caseId);
      const handle = client.workflow.getHandle(caseWorkflowId(row.type as 'admission', caseId));
      return temporal(() => handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason }] }));
    },

    async list(query) {
      const after = query.after === undefined ? undefined : decodeCursor(query.after);
      const rows = await q.listCases(pool, { ...query, after, limit: query.limit + 1 });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
    },

    async get(caseId) {
      const row = await q.getCase(pool, caseId);
      if (!row) return undefined;
      const [history, person] = await Promise.all([
        q.getCaseEvents(pool, caseId),
        row.personId ? q.getPerson(pool, row.personId) : Promise.resolve(null),
      ]);
      return { ...row, person, history };
    },
  };
}

function encodeCursor(row: q.CaseRow): string {
  return Buffer.from(JSON.stringify([row.openedAt, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { openedAt: string; id: string } {
  try {
    const [openedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof openedAt === 'string' && !Number.isNaN(Date.parse(openedAt)) && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) {
      return { openedAt, id };
    }
  } catch {
    // fall through
  }
  throw new HttpError(400, 'validation_failed', 'after: is not a cursor returned by this API', [
    { field: 'after', rule: 'cursor', message: 'is not a cursor returned by this API' },
  ]);
}
