/**
 * What the API, the worker and the workflows share: workflow ids, message definitions, step ids and payload
 * types. Safe to import from any process (no workflow bodies here).
 *
 * Glossary
 * - outstanding worker (quần chúng ưu tú): a non-member the cell is preparing for admission.
 * - probationary member (đảng viên dự bị): admitted, on 12 months of probation.
 * - full member (đảng viên chính thức): recognised after probation.
 * - cell (chi bộ): the basic party organization; a grassroots cell (chi bộ cơ sở) reports straight to the
 *   upper committee, a cell under a committee (chi bộ trực thuộc) to a grassroots committee (đảng bộ cơ sở).
 * - case: one candidate's admission path, or one enterprise's cell establishment; one workflow each.
 * - step: a stage of a case with a stable id (`source`, `cell-vote`, …): an API and database value.
 * - survey, owner consent, establishment: the stages of a new party organization in an enterprise.
 * - rule set: the regulations a case follows, fixed when it starts (e.g. QĐ 294-QĐ/TW + HD 06-HD/TW, 2025).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AnnouncedYear } from './calendar/holidays.js';

export const CASE_TYPES = ['admission', 'cell-establishment'] as const;
export type CaseType = (typeof CASE_TYPES)[number];

export const CURRENT_RULE_SET = 'QD294-HD06-2025';

/** Admission steps in procedure order (DESIGN.md §4). Stable API and database values: never rename. */
export const ADMISSION_STEPS = [
  'source',
  'awareness-course',
  'application',
  'verification',
  'introduction',
  'opinions',
  'cell-vote',
  'partial-appraisal',
  'committee-vote',
  'decision',
  'ceremony',
  'probation',
  'recognition-review',
  'recognition-cell-vote',
  'recognition-committee-vote',
  'recognition-decision',
] as const;
export type AdmissionStep = (typeof ADMISSION_STEPS)[number];

/**
 * Default deadlines in working days, counted from the day the step is entered (DESIGN.md §4). Steps without
 * an entry have no due date. Configurable per step later; a case keeps the value it started with.
 */
export const ADMISSION_STEP_DEADLINES: Partial<Record<AdmissionStep, number>> = {
  application: 20,
  verification: 30,
  introduction: 20,
  opinions: 20,
  'cell-vote': 30,
  'partial-appraisal': 15,
  'committee-vote': 20,
};

/** The awareness-course certificate (CN-NTVĐ) is valid for 60 months (HD 06-2025 point 5.4). */
export const AWARENESS_CERTIFICATE_VALID_MONTHS = 60;

export const CASE_STATUSES = ['open', 'completed', 'withdrawn', 'rejected'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Workflow ids are built only here, from the case id (a UUID: no personal data). */
export const caseWorkflowId = (type: CaseType, caseId: string): string => `${type}:${caseId}`;

/** Who asked for a change: recorded with the event and in the audit log. Ids only, no personal data. */
export interface ActorRef {
  readonly userId: string;
  readonly ip: string | null;
}

export interface AdmissionInput {
  readonly caseId: string;
  readonly organizationId: string;
  /** Row in `people`; the person's data stays in Postgres, never in workflow history. */
  readonly personId: string;
  readonly ruleSet: string;
  /** Who opened the case (absent in cases opened before users existed). */
  readonly openedBy?: ActorRef;
}

export interface CaseSnapshot {
  readonly caseId: string;
  readonly type: CaseType;
  readonly status: CaseStatus;
  readonly step: AdmissionStep | null;
  /** Due date of the open step (YYYY-MM-DD, Vietnam), when it has a deadline. */
  readonly dueOn: string | null;
  /** True once the read model holds the case. */
  readonly recorded: boolean;
}

export interface AssignHelperInput {
  /** The official member assigned to help the outstanding worker (row in `people`). */
  readonly helperPersonId: string;
  readonly actor?: ActorRef;
}

export interface AwarenessCourseInput {
  /** Issue date of the CN-NTVĐ certificate, YYYY-MM-DD. */
  readonly certificateIssuedOn: string;
  readonly actor?: ActorRef;
}

export interface WithdrawInput {
  readonly reason: string;
  readonly actor?: ActorRef;
}

/** Live status of a case, straight from its workflow. */
export const caseStatusQuery = defineQuery<CaseSnapshot>('caseStatus');
/** Completes once the case is in the read model; sent with the start (update-with-start) by the API. */
export const awaitCaseRecordedUpdate = defineUpdate<CaseSnapshot>('awaitCaseRecorded');
/** `source` step: the cell names the member who helps the candidate; the case moves to `awareness-course`. */
export const assignHelperUpdate = defineUpdate<CaseSnapshot, [AssignHelperInput]>('assignHelper');
/** `awareness-course` step: the certificate is recorded; the case moves to `application` (20 WD). */
export const recordAwarenessCourseUpdate = defineUpdate<CaseSnapshot, [AwarenessCourseInput]>('recordAwarenessCourse');
/** A year's working-day calendar changed: reload it and recompute the due dates. */
export const calendarChangedSignal = defineSignal('calendarChanged');
/** Withdraw an open case. */
export const withdrawCaseUpdate = defineUpdate<CaseSnapshot, [WithdrawInput]>('withdrawCase');

/** ApplicationFailure types raised by update validators; the API maps them to HTTP statuses. */
export const FailureTypes = {
  /** The case is not at the step the request is for (HTTP 409). */
  wrongStep: 'WrongStep',
  /** The case is closed (HTTP 409). */
  caseClosed: 'CaseClosed',
  /** The request breaks a rule of the procedure (HTTP 422). */
  ruleViolated: 'RuleViolated',
} as const;

// ---------------------------------------------------------------------------------------------------------
// Read-model events written by the `recordCaseEvent` activity, keyed by (caseId, seq): a retried activity
// never writes a row twice.

export type CaseEvent =
  | {
      readonly kind: 'case-opened';
      readonly caseId: string;
      readonly seq: number;
      readonly at: string;
      readonly workflowId: string;
      readonly type: CaseType;
      readonly organizationId: string;
      readonly personId: string | null;
      readonly ruleSet: string;
      readonly step: string;
      readonly actor?: ActorRef | null;
    }
  | {
      readonly kind: 'step-entered';
      readonly caseId: string;
      readonly seq: number;
      readonly at: string;
      readonly step: string;
      readonly dueOn?: string | null;
    }
  | {
      readonly kind: 'step-due-changed';
      readonly caseId: string;
      readonly seq: number;
      readonly at: string;
      readonly step: string;
      readonly dueOn: string | null;
    }
  | {
      readonly kind: 'step-completed';
      readonly caseId: string;
      readonly seq: number;
      readonly at: string;
      readonly step: string;
      readonly data: Readonly<Record<string, unknown>>;
      readonly actor?: ActorRef | null;
    }
  | {
      readonly kind: 'case-closed';
      readonly caseId: string;
      readonly seq: number;
      readonly at: string;
      readonly status: Exclude<CaseStatus, 'open'>;
      readonly reason: string;
      readonly actor?: ActorRef | null;
    };

/** What the `loadCalendar` activity hands a workflow: every stored announced year (a few KB). */
export interface CalendarData {
  readonly announced: readonly AnnouncedYear[];
}
