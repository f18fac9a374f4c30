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
import type { AnnouncedYear, WorkWeek } from './calendar/holidays.js';
import type { ApprovalChain, ChainLink } from './org/tree.js';

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

export const CASE_STATUSES = ['open', 'completed', 'withdrawn', 'rejected', 'struck-off'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Workflow ids are built only here, from the case id (a UUID: no personal data). */
export const caseWorkflowId = (type: CaseType, caseId: string): string => `${type}:${caseId}`;

/** The workflow type of each case type (persisted names: public API). */
export const WORKFLOW_TYPES: Readonly<Record<CaseType, string>> = { admission: 'admissionWorkflow', 'cell-establishment': 'cellEstablishmentWorkflow' };

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
  /** The approval chain at opening, derived by the API from the tree (absent in v1 cases). */
  readonly chain?: ApprovalChain;
  /** The organization's working week. */
  readonly workWeek?: WorkWeek;
  /**
   * Set false on a server without the custom search attributes (the time-skipping test server cannot
   * register them); lists then rely on the Postgres read model alone. Default true.
   */
  readonly searchAttributes?: boolean;
  /**
   * A case brought in from paper (in-flight import): the steps already signed, in order, each with the day
   * it was signed. They are applied by the same rules on their own dates before the case goes on; one that
   * breaks a rule refuses the whole case (nothing is recorded).
   */
  readonly history?: readonly ImportedStep[];
  /** With `history`: the day the case was opened on paper. */
  readonly openedOn?: string;
}

export interface ImportedStep {
  readonly data: StepData;
  /** YYYY-MM-DD: the day the step was signed (the next step began that day). */
  readonly signedOn: string;
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
  readonly organizationId?: string;
  readonly chain?: ApprovalChain;
  readonly onHold?: { readonly since: string; readonly reason: string } | null;
  /** Dates and counters the procedure keeps (decision number, probation end, failed votes …). */
  readonly facts?: CaseFacts;
  /** One entry per step entered, oldest first. */
  readonly steps?: readonly StepRecord[];
}

/** What any case's updates answer with: an admission's or an establishment's snapshot. */
export type CaseView = CaseSnapshot | EstablishmentSnapshot;

export interface CaseFacts {
  applicationOn?: string;
  /** Start of the 12-month file validity: the application, or redone introductions. */
  fileBuiltOn?: string;
  certificateIssuedOn?: string;
  candidateAgeMonthsAtVote?: number;
  cellResolutionOn?: string;
  decisionNumber?: string;
  decisionOn?: string;
  decisionReceivedOn?: string;
  ceremonyOn?: string;
  probationEndsOn?: string;
  newMemberCourseOn?: string;
  recognitionResolutionOn?: string;
  recognitionNumber?: string;
  fullMemberOn?: string;
  failedCellVotes: number;
  failedRecognitionVotes: number;
  lastFailedCellVoteOn?: string;
  lastFailedRecognitionVoteOn?: string;
  decisionExtended: boolean;
  recognitionExtended: boolean;
  provincialConsent?: { readonly documentNo: string; readonly on: string };
}

export interface StepRecord {
  readonly step: AdmissionStep;
  readonly enteredOn: string;
  dueOn: string | null;
  completedOn?: string;
  completedBy?: string | null;
  outcome?: string;
  /** Ids of the papers the sign-off issued (rows in `documents`). */
  documentIds?: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Sign-offs: one update, `signStep`, whose data names the step. The validator checks the rules of that step.

export interface VoteCount {
  readonly heldOn: string;
  /** Official members on the roll (minus those exempt or away), or committee members for a committee vote. */
  readonly eligible: number;
  readonly present: number;
  readonly for: number;
  readonly against: number;
}

/** One line of a summary of opinions (5-KNĐ, 12-KNĐ): who was asked, how many, how many agreed. */
export interface OpinionCount {
  readonly source: string;
  readonly asked: number;
  readonly agree: number;
}

export interface Introducer {
  readonly personId: string;
  /** Checked by the API against the person record: an official (full) member. */
  readonly official: boolean;
  readonly coWorkingMonths: number;
}

export type StepData =
  | { readonly step: 'source'; readonly helperPersonId: string }
  | { readonly step: 'awareness-course'; readonly certificateIssuedOn: string }
  | { readonly step: 'application'; readonly receivedOn: string; readonly biographySealedOn: string }
  | { readonly step: 'verification'; readonly completedOn: string; readonly result: 'clear' | 'concerns' }
  | {
      readonly step: 'introduction';
      readonly introducedOn: string;
      readonly introducers: readonly Introducer[];
      readonly unionResolution: { readonly union: 'youth-union' | 'trade-union'; readonly resolutionOn: string } | null;
    }
  | { readonly step: 'opinions'; readonly summarizedOn: string; readonly opinions?: readonly OpinionCount[] }
  | { readonly step: 'cell-vote'; readonly vote: VoteCount; readonly candidateAgeMonths: number }
  | { readonly step: 'partial-appraisal'; readonly reportedOn: string; readonly recommendation: 'admit' | 'reject' }
  | { readonly step: 'committee-vote'; readonly vote: VoteCount }
  | {
      readonly step: 'decision';
      readonly decided: 'admit' | 'reject';
      readonly number: string;
      readonly issuedOn: string;
      readonly receivedByCellOn: string;
    }
  | { readonly step: 'ceremony'; readonly heldOn: string; readonly helperPersonId: string }
  | { readonly step: 'probation'; readonly newMemberCourseOn: string }
  | {
      readonly step: 'recognition-review';
      readonly selfReviewOn: string;
      readonly helperAssessmentOn: string;
      readonly opinionsOn: string;
      readonly opinions?: readonly OpinionCount[];
    }
  | { readonly step: 'recognition-cell-vote'; readonly vote: VoteCount; readonly proposal: 'recognize' | 'strike-off' }
  | { readonly step: 'recognition-committee-vote'; readonly vote: VoteCount }
  | {
      readonly step: 'recognition-decision';
      readonly decided: 'recognize' | 'strike-off';
      readonly number: string;
      readonly issuedOn: string;
    };

/** The caller of a sign-off, as the API established it: staff of the case's subtree, and the bodies it signs for. */
export interface SignActor extends ActorRef {
  readonly staff: boolean;
  readonly bodies: readonly ChainLink[];
}

export interface SignStepInput {
  readonly data: StepData;
  readonly actor: SignActor;
}

export interface HoldInput {
  readonly reason: string;
  readonly actor?: ActorRef;
}

export interface TransferInput {
  readonly organizationId: string;
  readonly chain: ApprovalChain;
  readonly actor?: ActorRef;
}

export interface ExtensionInput {
  readonly step: 'decision' | 'recognition-decision';
  readonly reason: string;
  readonly actor?: ActorRef;
}

export interface ProvincialConsentInput {
  readonly documentNo: string;
  readonly on: string;
  readonly actor?: ActorRef;
}

export const signStepUpdate = defineUpdate<CaseSnapshot, [SignStepInput]>('signStep');
export const holdCaseUpdate = defineUpdate<CaseView, [HoldInput]>('holdCase');
export const resumeCaseUpdate = defineUpdate<CaseView, [{ readonly actor?: ActorRef }]>('resumeCase');
export const transferCaseUpdate = defineUpdate<CaseSnapshot, [TransferInput]>('transferCase');
export const extendDeadlineUpdate = defineUpdate<CaseSnapshot, [ExtensionInput]>('extendDeadline');
export const recordProvincialConsentUpdate = defineUpdate<CaseSnapshot, [ProvincialConsentInput]>('recordProvincialConsent');

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
export const awaitCaseRecordedUpdate = defineUpdate<CaseView>('awaitCaseRecorded');
/** First version only (cases before `admission-full-procedure`): `source` sign-off. Now: `signStep`. */
export const assignHelperUpdate = defineUpdate<CaseSnapshot, [AssignHelperInput]>('assignHelper');
/** First version only: `awareness-course` sign-off. Now: `signStep`. */
export const recordAwarenessCourseUpdate = defineUpdate<CaseSnapshot, [AwarenessCourseInput]>('recordAwarenessCourse');
/** A year's working-day calendar changed: reload it and recompute the due dates. */
export const calendarChangedSignal = defineSignal('calendarChanged');
/** Withdraw an open case. */
export const withdrawCaseUpdate = defineUpdate<CaseView, [WithdrawInput]>('withdrawCase');

/** ApplicationFailure types raised by update validators; the API maps them to HTTP statuses. */
export const FailureTypes = {
  /** The case is not at the step the request is for (HTTP 409). */
  wrongStep: 'WrongStep',
  /** The case is closed (HTTP 409). */
  caseClosed: 'CaseClosed',
  /** The request breaks a rule of the procedure (HTTP 422). */
  ruleViolated: 'RuleViolated',
  /** The step's papers lack data (HTTP 422, naming the fields). */
  missingDocumentData: 'MissingDocumentData',
} as const;

/**
 * What the `issueStepDocuments` activity gets when a step is signed: ids, dates and counts only (it is kept
 * in the workflow history); the activity reads names from Postgres.
 */
export interface StepDocumentsRequest {
  readonly caseId: string;
  readonly type: CaseType;
  /** The step's position in the case: a step done twice issues its papers twice. */
  readonly issueKey: string;
  readonly data: StepData | EstablishmentStepData;
  /** What the sign-off leads to (passed, failed, admitted …): failed votes issue no resolution. */
  readonly outcome: string;
  readonly chain: ApprovalChain | null;
  /** The case's facts before the sign-off (dates, numbers, counts). */
  readonly facts: Readonly<Record<string, unknown>>;
  readonly actorUserId: string;
}

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
      /** Cell establishment: the enterprise. */
      readonly enterpriseId?: string | null;
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
      /** A fact that is not a step change: failed vote, hold, resume, transfer, extension, consent … */
      readonly kind: 'case-noted';
      readonly caseId: string;
      readonly seq: number;
      readonly at: string;
      readonly step: string | null;
      readonly note: string;
      readonly data: Readonly<Record<string, unknown>>;
      readonly actor?: ActorRef | null;
      /** Set when the case moved to another organization. */
      readonly organizationId?: string;
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

// ---------------------------------------------------------------------------------------------------------
// Cell establishment (a new party organization in an enterprise)

export const ESTABLISHMENT_STEP_IDS = ['survey', 'owner-consent', 'member-transfer', 'proposal', 'decision', 'announcement'] as const;
export type EstablishmentStepId = (typeof ESTABLISHMENT_STEP_IDS)[number];

export interface EstablishmentInput {
  readonly caseId: string;
  readonly enterpriseId: string;
  /** The upper committee that handles the case and under which the new organization is created. */
  readonly organizationId: string;
  /** Its standing committee, which decides the establishment. */
  readonly deciding: ChainLink;
  readonly ruleSet: string;
  readonly openedBy?: ActorRef;
  readonly workWeek?: WorkWeek;
  /** As for admissions: false on a server without the custom search attributes. */
  readonly searchAttributes?: boolean;
}

export interface MemberCounts {
  readonly official: number;
  readonly probationary: number;
}

export type EstablishmentStepData =
  | {
      readonly step: 'survey';
      readonly surveyedOn: string;
      readonly workforce: number;
      readonly tradeUnion: boolean;
      readonly youthUnion: boolean;
      readonly ownerAttitude: 'supportive' | 'neutral' | 'opposed';
      /** Party members found working there, wherever their membership is attached now. */
      readonly reportedMembers: MemberCounts & { readonly attachedElsewhere: number };
    }
  | { readonly step: 'owner-consent'; readonly outcome: 'consented'; readonly consentOn: string; readonly document: string }
  | { readonly step: 'owner-consent'; readonly outcome: 'declined'; readonly declinedOn: string; readonly revisitOn: string }
  | { readonly step: 'member-transfer'; readonly completedOn: string }
  | {
      readonly step: 'proposal';
      readonly proposedOn: string;
      readonly name: string;
      readonly symbol: string;
      readonly kind: 'grassroots-cell' | 'grassroots-committee';
      readonly leadership: 'secretary' | 'committee';
    }
  | {
      readonly step: 'decision';
      readonly establishmentNumber: string;
      readonly appointmentNumber: string;
      readonly issuedOn: string;
      /** Who the appointment decision names (secretary, or first of the committee). */
      readonly appointeePersonId?: string;
    }
  | { readonly step: 'announcement'; readonly heldOn: string };

export interface EstablishmentFacts {
  surveyedOn?: string;
  ownerAttitude?: string;
  consentOn?: string;
  consentDocument?: string;
  /** Refusals so far; the case waits until `deferredUntil` to visit the owner again. */
  refusals: number;
  deferredUntil?: string;
  members: MemberCounts;
  transferredPersonIds: string[];
  hostCellId?: string;
  proposal?: { readonly name: string; readonly symbol: string; readonly kind: string; readonly leadership: string };
  establishmentNumber?: string;
  appointmentNumber?: string;
  decisionOn?: string;
  announcedOn?: string;
  newOrganizationId?: string;
}

export interface EstablishmentSnapshot {
  readonly caseId: string;
  readonly type: 'cell-establishment';
  readonly status: CaseStatus;
  readonly step: EstablishmentStepId | null;
  readonly dueOn: string | null;
  readonly recorded: boolean;
  readonly organizationId: string;
  readonly enterpriseId: string;
  readonly onHold: { readonly since: string; readonly reason: string } | null;
  readonly facts: EstablishmentFacts;
  readonly steps: ReadonlyArray<{ step: string; enteredOn: string; dueOn: string | null; completedOn?: string; outcome?: string; documentIds?: string[] }>;
}

export const establishmentStatusQuery = defineQuery<EstablishmentSnapshot>('establishmentStatus');
export const signEstablishmentStepUpdate = defineUpdate<EstablishmentSnapshot, [{ readonly data: EstablishmentStepData; readonly actor: SignActor }]>(
  'signEstablishmentStep',
);
/** A member's party membership was transferred into the enterprise's future organization. */
export const recordMemberTransferUpdate = defineUpdate<EstablishmentSnapshot, [{ readonly personId: string; readonly actor?: ActorRef }]>(
  'recordMemberTransfer',
);
/** With fewer than 3 official members, they are attached to a host cell meanwhile. */
export const attachHostCellUpdate = defineUpdate<EstablishmentSnapshot, [{ readonly organizationId: string; readonly actor?: ActorRef }]>(
  'attachHostCell',
);
/** An admission in the enterprise changed its member count: reload it. */
export const memberCountChangedSignal = defineSignal('memberCountChanged');
