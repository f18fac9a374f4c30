import { DEFAULT_LADDER } from '../../workflows/escalation.js';
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installRuntime } from '../../infra/temporal.js';
import { addDays, addMonths, weekday } from '../../workflows/calendar/dates.js';
import { lunarNewYear } from '../../workflows/calendar/lunar.js';
import { OFFICIAL_SCHEDULES } from '../../workflows/calendar/official-schedules.js';
import { createWorkCalendar, vietnamDate } from '../../workflows/calendar/work-calendar.js';
import {
  caseStatusQuery,
  CURRENT_RULE_SET,
  FailureTypes,
  holdCaseUpdate,
  recordProvincialConsentUpdate,
  resumeCaseUpdate,
  signStepUpdate,
  transferCaseUpdate,
  withdrawCaseUpdate,
  type CaseEvent,
  type CaseSnapshot,
  type SignActor,
  type StepDocumentsRequest,
  type StepData,
  type VoteCount,
} from '../../workflows/definitions.js';
import type { admissionWorkflow } from '../../workflows/admission.js';
import type { ApprovalChain } from '../../workflows/org/tree.js';
import { uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

const calendar = createWorkCalendar({ announced: OFFICIAL_SCHEDULES });
const GRASSROOTS_CELL: ApprovalChain = {
  cell: { body: 'cell', organizationId: 'cell-b' },
  partialCommittee: null,
  grassrootsCommittee: null,
  competent: { body: 'standing-committee', organizationId: 'upper', delegated: false },
};
const CELL_UNDER_COMMITTEE: ApprovalChain = {
  cell: { body: 'cell', organizationId: 'cell-p' },
  partialCommittee: { body: 'partial-committee', organizationId: 'partial' },
  grassrootsCommittee: { body: 'grassroots-committee', organizationId: 'gc' },
  competent: { body: 'standing-committee', organizationId: 'upper', delegated: false },
};

/** Fake activities: the read model and membership writes are recorded in memory; the calendar is the seed. */
function fakeActivities() {
  const events: CaseEvent[] = [];
  const papers: StepDocumentsRequest[] = [];
  const refuseFor = new Set<string>();
  const memberships: Array<Record<string, unknown>> = [];
  return {
    events,
    papers,
    refuseFor,
    memberships,
    activities: {
      recordCaseEvent: async (e: CaseEvent) => {
        events.push(e);
        return { written: true };
      },
      recordCaseEvents: async (es: CaseEvent[]) => {
        events.push(...es);
        return { written: es.length };
      },
      loadCalendar: async () => ({ announced: OFFICIAL_SCHEDULES }),
      loadEscalationPolicy: async () => ({ '*': DEFAULT_LADDER, probation: [] }),
      escalateStep: async () => ({ recipients: 0, stored: 0, delivery: 'local' as const }),
      /** Papers: the request is kept (to check no personal data goes in); a case named in `refuseFor` lacks a place. */
      issueStepDocuments: async (r: StepDocumentsRequest) => {
        papers.push(r);
        if (refuseFor.has(r.caseId)) {
          const missing = [{ form: '1-KNĐ', field: 'place', source: 'set "place" on the issuing organization' }];
          throw ApplicationFailure.nonRetryable('the papers of this step cannot be issued: 1-KNĐ needs place', 'MissingDocumentData', ...missing);
        }
        return { documents: [{ id: `doc-${r.caseId}-${r.issueKey}`, form: r.data.step, numberText: null }] };
      },
      recordMembership: async (m: Record<string, unknown>) => {
        memberships.push(m);
      },
    },
  };
}

describe('admissionWorkflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const fakes = fakeActivities();
  const taskQueue = uniqueTaskQueue('admission');

  beforeAll(async () => {
    installRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } },
    });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fakes.activities });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const today = async () => vietnamDate(await env.currentTimeMs());
  const personId = () => randomUUID();

  async function start(chain: ApprovalChain, candidate = personId()) {
    const caseId = randomUUID();
    const handle = await env.client.workflow.start<typeof admissionWorkflow>('admissionWorkflow', {
      taskQueue,
      workflowId: `admission:${caseId}`,
      args: [{ caseId, organizationId: chain.cell.organizationId, personId: candidate, ruleSet: CURRENT_RULE_SET, chain, searchAttributes: false }],
    });
    return { handle, caseId, candidate, chain };
  }
  type Case = Awaited<ReturnType<typeof start>>;

  const staff: SignActor = { userId: 'staff-user', ip: null, staff: true, bodies: [] };
  const bodyOf = (c: Case, key: 'cell' | 'partialCommittee' | 'grassrootsCommittee' | 'competent'): SignActor => ({
    userId: `${key}-user`,
    ip: null,
    staff: false,
    bodies: [c.chain[key]!],
  });
  const vote = (heldOn: string, forVotes: number, eligible = 9): VoteCount => ({ heldOn, eligible, present: eligible, for: forVotes, against: eligible - forVotes });

  async function sign(c: Case, data: StepData, actor: SignActor = staff): Promise<CaseSnapshot> {
    return c.handle.executeUpdate(signStepUpdate, { args: [{ data, actor }] });
  }
  async function rejected(promise: Promise<unknown>): Promise<{ type: string | undefined; message: string }> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as { type?: string; message: string };
    return { type: cause.type, message: cause.message };
  }

  /** Drives a case through the steps before the cell vote, with valid papers dated today. */
  async function prepare(c: Case) {
    const t = await today();
    await sign(c, { step: 'source', helperPersonId: personId() });
    await sign(c, { step: 'awareness-course', certificateIssuedOn: addDays(t, -30) });
    await sign(c, { step: 'application', receivedOn: t, biographySealedOn: t });
    await sign(c, { step: 'verification', completedOn: t, result: 'clear' });
    await sign(c, {
      step: 'introduction',
      introducedOn: t,
      introducers: [
        { personId: personId(), official: true, coWorkingMonths: 24 },
        { personId: personId(), official: true, coWorkingMonths: 13 },
      ],
      unionResolution: null,
    });
    return sign(c, { step: 'opinions', summarizedOn: t });
  }

  it('runs the whole path of a grassroots cell with every date right', async () => {
    const c = await start(GRASSROOTS_CELL);
    const t0 = await today();
    let s = await prepare(c);
    expect(s).toMatchObject({ step: 'cell-vote', dueOn: calendar.addWorkingDays(t0, 30) });
    const appDue = s.steps!.find((x) => x.step === 'application')!.dueOn;
    expect(appDue).toBe(calendar.addWorkingDays(t0, 20));

    s = await sign(c, { step: 'cell-vote', vote: vote(t0, 6), candidateAgeMonths: 25 * 12 }, bodyOf(c, 'cell'));
    // A grassroots cell has no committee vote: straight to the decision, due 60 WD from the cell resolution.
    expect(s).toMatchObject({ step: 'decision', dueOn: calendar.addWorkingDays(t0, 60) });

    await env.sleep('20 days');
    const t1 = await today();
    s = await sign(c, { step: 'decision', decided: 'admit', number: '15-QĐ/ĐUKKT', issuedOn: t1, receivedByCellOn: t1 }, bodyOf(c, 'competent'));
    expect(s).toMatchObject({ step: 'ceremony', dueOn: calendar.addWorkingDays(t1, 30) });
    expect(fakes.memberships).toContainEqual({ caseId: c.caseId, personId: c.candidate, memberStatus: 'probationary', admittedOn: t1 });

    await env.sleep('5 days');
    const ceremony = await today();
    s = await sign(c, { step: 'ceremony', heldOn: ceremony, helperPersonId: personId() });
    const probationEnd = addMonths(ceremony, 12);
    expect(s).toMatchObject({ step: 'probation', dueOn: probationEnd, facts: { probationEndsOn: probationEnd, ceremonyOn: ceremony } });
    await sign(c, { step: 'probation', newMemberCourseOn: ceremony });

    // Twelve months later the workflow wakes by itself.
    await env.sleep('367 days');
    s = await c.handle.query(caseStatusQuery);
    expect(s).toMatchObject({ step: 'recognition-review', dueOn: calendar.addWorkingDays(probationEnd, 10) });
    const t2 = await today();
    s = await sign(c, { step: 'recognition-review', selfReviewOn: t2, helperAssessmentOn: t2, opinionsOn: t2 });
    expect(s).toMatchObject({ step: 'recognition-cell-vote', dueOn: calendar.addWorkingDays(probationEnd, 30) });
    s = await sign(c, { step: 'recognition-cell-vote', vote: vote(t2, 7), proposal: 'recognize' }, bodyOf(c, 'cell'));
    expect(s).toMatchObject({ step: 'recognition-decision', dueOn: calendar.addWorkingDays(t2, 30) });
    s = await sign(c, { step: 'recognition-decision', decided: 'recognize', number: '40-QĐ/ĐUKKT', issuedOn: t2 }, bodyOf(c, 'competent'));
    // Full membership dates from the end of probation, whatever day the decision came.
    expect(s).toMatchObject({ status: 'completed', step: null, facts: { fullMemberOn: probationEnd, decisionOn: t1 } });
    expect(fakes.memberships).toContainEqual({ caseId: c.caseId, personId: c.candidate, memberStatus: 'full', fullMemberOn: probationEnd });
    expect(s.steps!.map((x) => x.step)).toEqual([
      'source', 'awareness-course', 'application', 'verification', 'introduction', 'opinions', 'cell-vote', 'decision',
      'ceremony', 'probation', 'recognition-review', 'recognition-cell-vote', 'recognition-decision',
    ]);
    const own = fakes.events.filter((e) => e.caseId === c.caseId);
    expect(own.map((e) => e.seq)).toEqual(own.map((_, i) => i + 1));
    await c.handle.result();
  });

  it('issues each step\'s papers with ids and dates only, and keeps their ids on the step', async () => {
    const c = await start(GRASSROOTS_CELL);
    const t = await today();
    await prepare(c);
    await sign(c, { step: 'cell-vote', vote: vote(t, 5), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    await env.sleep('2 days');
    const s = await sign(c, { step: 'cell-vote', vote: vote(await today(), 6), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    const own = fakes.papers.filter((p) => p.caseId === c.caseId);
    // One request per sign-off, in order; the step's position keys it (the vote done twice has two keys).
    // Steps without papers (source, course, verification) and the failed vote do not call the activity.
    expect(own.map((p) => [p.data.step, p.outcome, p.issueKey])).toEqual([
      ['application', 'done', '3'],
      ['introduction', 'done', '5'],
      ['opinions', 'done', '6'],
      ['cell-vote', 'passed', '8'],
    ]);
    expect(own.at(-1)).toMatchObject({ type: 'admission', chain: GRASSROOTS_CELL, actorUserId: 'cell-user', facts: { fileBuiltOn: t } });
    // No personal data goes to the activity: the candidate is an id, no name or date of birth.
    expect(JSON.stringify(own)).not.toMatch(/fullName|dateOfBirth/);
    expect(s.steps!.find((x) => x.step === 'application')!.documentIds).toEqual([`doc-${c.caseId}-3`]);
    expect(s.steps!.filter((x) => x.step === 'cell-vote').map((x) => x.documentIds)).toEqual([undefined, [`doc-${c.caseId}-8`]]);
  });

  it('refuses a sign-off whose papers lack data, naming the field; the case stays at its step', async () => {
    const c = await start(GRASSROOTS_CELL);
    const t = await today();
    await sign(c, { step: 'source', helperPersonId: personId() });
    await sign(c, { step: 'awareness-course', certificateIssuedOn: addDays(t, -30) });
    fakes.refuseFor.add(c.caseId);
    const r = await rejected(sign(c, { step: 'application', receivedOn: t, biographySealedOn: t }));
    expect(r).toEqual({ type: FailureTypes.missingDocumentData, message: expect.stringContaining('1-KNĐ needs place') });
    let s = await c.handle.query(caseStatusQuery);
    expect(s).toMatchObject({ step: 'application', status: 'open' });
    expect(s.steps!.find((x) => x.step === 'application')!.completedOn).toBeUndefined();
    // Once the data is there the same sign-off goes through.
    fakes.refuseFor.delete(c.caseId);
    s = await sign(c, { step: 'application', receivedOn: t, biographySealedOn: t });
    expect(s.step).toBe('verification');
  });

  it('runs the whole path of a cell under a partial and a grassroots committee, through every body', async () => {
    const c = await start(CELL_UNDER_COMMITTEE);
    const t = await today();
    await prepare(c);
    let s = await sign(c, { step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    expect(s.step).toBe('partial-appraisal');
    expect(s.dueOn).toBe(calendar.addWorkingDays(t, 15));
    s = await sign(c, { step: 'partial-appraisal', reportedOn: t, recommendation: 'admit' }, bodyOf(c, 'partialCommittee'));
    expect(s.step).toBe('committee-vote');
    s = await sign(c, { step: 'committee-vote', vote: vote(t, 5, 7) }, bodyOf(c, 'grassrootsCommittee'));
    // The decision's 60 working days still count from the cell resolution.
    expect(s).toMatchObject({ step: 'decision', dueOn: calendar.addWorkingDays(t, 60) });
    s = await sign(c, { step: 'decision', decided: 'admit', number: '16-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t }, bodyOf(c, 'competent'));
    expect(s).toMatchObject({ step: 'ceremony', dueOn: calendar.addWorkingDays(t, 30) });
    s = await sign(c, { step: 'ceremony', heldOn: t, helperPersonId: personId() });
    expect(s.step).toBe('probation');
    const probationEnd = addMonths(t, 12);
    await sign(c, { step: 'probation', newMemberCourseOn: t });
    await env.sleep('367 days');
    const r = await today();
    await sign(c, { step: 'recognition-review', selfReviewOn: r, helperAssessmentOn: r, opinionsOn: r });
    s = await sign(c, { step: 'recognition-cell-vote', vote: vote(r, 9), proposal: 'recognize' }, bodyOf(c, 'cell'));
    expect(s).toMatchObject({ step: 'recognition-committee-vote', dueOn: calendar.addWorkingDays(r, 20) });
    s = await sign(c, { step: 'recognition-committee-vote', vote: vote(r, 6, 7) }, bodyOf(c, 'grassrootsCommittee'));
    expect(s).toMatchObject({ step: 'recognition-decision', dueOn: calendar.addWorkingDays(r, 30) });
    s = await sign(c, { step: 'recognition-decision', decided: 'recognize', number: '61-QĐ/ĐUKKT', issuedOn: r }, bodyOf(c, 'competent'));
    expect(s).toMatchObject({ status: 'completed', facts: { fullMemberOn: probationEnd, decisionOn: t } });
    expect(s.steps!.map((x) => x.step)).toEqual([
      'source', 'awareness-course', 'application', 'verification', 'introduction', 'opinions', 'cell-vote', 'partial-appraisal', 'committee-vote',
      'decision', 'ceremony', 'probation', 'recognition-review', 'recognition-cell-vote', 'recognition-committee-vote', 'recognition-decision',
    ]);
  });

  it('counts the decision deadline across Tết', async () => {
    // Move workflow time to three weeks before the next Tết, so the 60 working days must step over it.
    const now = await today();
    let year = Number(now.slice(0, 4));
    while (lunarNewYear(year) <= addDays(now, 22)) year += 1;
    const tet = lunarNewYear(year);
    await env.sleep(`${(Date.parse(addDays(tet, -21)) - Date.parse(now)) / 86_400_000} days`);
    const c = await start(GRASSROOTS_CELL);
    await prepare(c);
    const t = await today();
    const s = await sign(c, { step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    const due = s.dueOn!;
    expect(due).toBe(calendar.addWorkingDays(t, 60));
    // Tết's weekdays off (and New Year's, where it falls inside) are not counted: the due date is later
    // than 60 Monday–Friday days would make it.
    const tetDaysOff = calendar.schedule(year).filter((d) => d.holiday === 'tet' && d.kind !== 'make-up' && calendar.dayInfo(d.date).weeklyRest === false);
    expect(tetDaysOff.length).toBeGreaterThanOrEqual(3);
    expect(tetDaysOff.every((d) => d.date > t && d.date <= due)).toBe(true);
    let mondayToFriday = 0;
    for (let d = addDays(t, 1); d <= due; d = addDays(d, 1)) if (![0, 6].includes(weekday(d))) mondayToFriday += 1;
    expect(mondayToFriday).toBeGreaterThanOrEqual(60 + tetDaysOff.length);
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('rejects each broken rule with a message naming it', async () => {
    const c = await start(GRASSROOTS_CELL);
    const t = await today();
    const bad = async (data: StepData, actor: SignActor, message: RegExp, type: string = FailureTypes.ruleViolated) => {
      const r = await rejected(sign(c, data, actor));
      expect(r.type).toBe(type);
      expect(r.message).toMatch(message);
    };
    await bad({ step: 'awareness-course', certificateIssuedOn: t }, staff, /at step "source", not "awareness-course"/, FailureTypes.wrongStep);
    await bad({ step: 'source', helperPersonId: c.candidate }, staff, /helper must be another person/);
    await bad({ step: 'source', helperPersonId: personId() }, { ...staff, staff: false }, /organizing staff or the cell/);
    await sign(c, { step: 'source', helperPersonId: personId() });
    await bad({ step: 'awareness-course', certificateIssuedOn: addDays(t, 1) }, staff, /in the future/);
    await bad({ step: 'awareness-course', certificateIssuedOn: addMonths(t, -61) }, staff, /expired on .* \(valid 60 months\)/);
    await sign(c, { step: 'awareness-course', certificateIssuedOn: addMonths(t, -59) });
    await bad({ step: 'application', receivedOn: t, biographySealedOn: addDays(t, -1) }, staff, /application comes first/);
    await sign(c, { step: 'application', receivedOn: t, biographySealedOn: t });
    await sign(c, { step: 'verification', completedOn: t, result: 'clear' });
    const intro = (introducers: Array<{ personId: string; official: boolean; coWorkingMonths: number }>, union: boolean): StepData => ({
      step: 'introduction',
      introducedOn: t,
      introducers,
      unionResolution: union ? { union: 'trade-union', resolutionOn: t } : null,
    });
    const ok = () => ({ personId: personId(), official: true, coWorkingMonths: 12 });
    await bad(intro([ok()], false), staff, /two official members, or a youth-union \/ trade-union resolution and one/);
    await bad(intro([ok(), ok()], true), staff, /two official members, or a youth-union/);
    await bad(intro([ok(), { ...ok(), official: false }], false), staff, /introducers.1 is not an official member/);
    await bad(intro([ok(), { ...ok(), coWorkingMonths: 11 }], false), staff, /introducers.1 has worked with the candidate 11 months: at least 12/);
    await bad(intro([ok(), { personId: c.candidate, official: true, coWorkingMonths: 40 }], false), staff, /cannot introduce themself/);
    await sign(c, intro([ok()], true)); // a trade-union resolution and one official member
    await sign(c, { step: 'opinions', summarizedOn: t });
    const cell = bodyOf(c, 'cell');
    await bad({ step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 300 }, { ...cell, bodies: [{ body: 'cell', organizationId: 'another-cell' }] }, /signed by the cell of organization cell-b/);
    await bad({ step: 'cell-vote', vote: { heldOn: t, eligible: 9, present: 10, for: 6, against: 0 }, candidateAgeMonths: 300 }, cell, /present \(10\) cannot exceed vote.eligible \(9\)/);
    await bad({ step: 'cell-vote', vote: { heldOn: t, eligible: 9, present: 7, for: 6, against: 2 }, candidateAgeMonths: 300 }, cell, /for \+ vote.against \(8\) cannot exceed vote.present \(7\)/);
    await bad({ step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 18 * 12 - 1 }, cell, /17 years 11 months old .* at least 18 full years/);
    // Over 60 is possible, but the decision then needs the province's written consent first.
    await sign(c, { step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 60 * 12 + 1 }, cell);
    const competent = bodyOf(c, 'competent');
    await bad({ step: 'decision', decided: 'admit', number: '7-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t }, competent, /over 60: the provincial standing committee’s written consent/);
    await bad({ step: 'decision', decided: 'admit', number: 'seven', issuedOn: t, receivedByCellOn: t }, competent, /number must look like 12-QĐ\/ĐUKKT/);
    await c.handle.executeUpdate(recordProvincialConsentUpdate, { args: [{ documentNo: '88-CV/TU', on: t }] });
    const s = await sign(c, { step: 'decision', decided: 'admit', number: '7-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t }, competent);
    expect(s).toMatchObject({ step: 'ceremony', facts: { provincialConsent: { documentNo: '88-CV/TU' } } });
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('keeps a candidate whose cell vote failed in the source pool, then admits after a later vote', async () => {
    const c = await start(GRASSROOTS_CELL);
    await prepare(c);
    const t = await today();
    let s = await sign(c, { step: 'cell-vote', vote: vote(t, 5), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    // 3 × 5 = 15 < 2 × 9 = 18: no resolution; no deadline while in the source pool.
    expect(s).toMatchObject({ step: 'cell-vote', dueOn: null, facts: { failedCellVotes: 1 } });
    await env.sleep('30 days');
    s = await sign(c, { step: 'cell-vote', vote: vote(await today(), 6), candidateAgeMonths: 301 }, bodyOf(c, 'cell'));
    expect(s).toMatchObject({ step: 'decision', facts: { cellResolutionOn: await today(), failedCellVotes: 1 } });
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  async function toRecognition(c: Case) {
    await prepare(c);
    const t = await today();
    await sign(c, { step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    await sign(c, { step: 'decision', decided: 'admit', number: `${Math.floor(Math.random() * 900) + 1}-QĐ/ĐUKKT`, issuedOn: t, receivedByCellOn: t }, bodyOf(c, 'competent'));
    await sign(c, { step: 'ceremony', heldOn: t, helperPersonId: personId() });
    await sign(c, { step: 'probation', newMemberCourseOn: t });
    await env.sleep('367 days');
    const t2 = await today();
    return sign(c, { step: 'recognition-review', selfReviewOn: t2, helperAssessmentOn: t2, opinionsOn: t2 });
  }

  it('after three failed recognition votes the competent committee decides', async () => {
    const c = await start(GRASSROOTS_CELL);
    await toRecognition(c);
    const cell = bodyOf(c, 'cell');
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const s = await sign(c, { step: 'recognition-cell-vote', vote: vote(await today(), 4), proposal: 'recognize' }, cell);
      expect(s.facts!.failedRecognitionVotes).toBe(attempt);
      expect(s.step).toBe(attempt < 3 ? 'recognition-cell-vote' : 'recognition-decision');
      await env.sleep('10 days');
    }
    const s = await sign(c, { step: 'recognition-decision', decided: 'recognize', number: '90-QĐ/ĐUKKT', issuedOn: await today() }, bodyOf(c, 'competent'));
    expect(s.status).toBe('completed');
  });

  it('strikes a probationary member off the list', async () => {
    const c = await start(GRASSROOTS_CELL);
    await toRecognition(c);
    const t = await today();
    await sign(c, { step: 'recognition-cell-vote', vote: vote(t, 8), proposal: 'strike-off' }, bodyOf(c, 'cell'));
    const s = await sign(c, { step: 'recognition-decision', decided: 'strike-off', number: '91-QĐ/ĐUKKT', issuedOn: t }, bodyOf(c, 'competent'));
    expect(s).toMatchObject({ status: 'struck-off', step: null });
    expect(fakes.memberships).toContainEqual({ caseId: c.caseId, personId: c.candidate, memberStatus: 'struck-off' });
    // A resolution proposing to strike off is not the recognition resolution: no 13-KNĐ, no 16-KNĐ.
    const steps = fakes.papers.filter((p) => p.caseId === c.caseId).map((p) => p.data.step);
    expect(steps).not.toContain('recognition-cell-vote');
    expect(steps).not.toContain('recognition-decision');
  });

  it('withdraws a case and refuses anything after', async () => {
    const c = await start(GRASSROOTS_CELL);
    const s = await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'Chuyển công tác' }] });
    expect(s).toMatchObject({ status: 'withdrawn', step: null });
    await c.handle.result();
    await expect(sign(c, { step: 'source', helperPersonId: personId() })).rejects.toThrow(/completed|not found/i);
  });

  it('holds and resumes: the due date moves by the working days on hold; sign-offs wait', async () => {
    const c = await start(GRASSROOTS_CELL);
    const t = await today();
    await sign(c, { step: 'source', helperPersonId: personId() });
    let s = await sign(c, { step: 'awareness-course', certificateIssuedOn: t });
    const due = s.dueOn!;
    await c.handle.executeUpdate(holdCaseUpdate, { args: [{ reason: 'Chờ xác minh' }] });
    const r = await rejected(sign(c, { step: 'application', receivedOn: t, biographySealedOn: t }));
    expect(r.message).toMatch(/on hold since/);
    await env.sleep('9 days');
    const back = await today();
    s = (await c.handle.executeUpdate(resumeCaseUpdate, { args: [{}] })) as CaseSnapshot;
    const paused = calendar.workingDaysBetween(t, back);
    expect(paused).toBeGreaterThan(0);
    expect(s).toMatchObject({ step: 'application', onHold: null, dueOn: calendar.addWorkingDays(t, 20 + paused) });
    expect(s.dueOn).not.toBe(due);
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('transfers a case: the chain is re-derived and introductions are redone', async () => {
    const c = await start(GRASSROOTS_CELL);
    await prepare(c);
    let s = await c.handle.executeUpdate(transferCaseUpdate, { args: [{ organizationId: CELL_UNDER_COMMITTEE.cell.organizationId, chain: CELL_UNDER_COMMITTEE }] });
    expect(s).toMatchObject({ step: 'introduction', organizationId: 'cell-p', chain: CELL_UNDER_COMMITTEE });
    const t = await today();
    await sign(c, { step: 'introduction', introducedOn: t, introducers: [{ personId: personId(), official: true, coWorkingMonths: 12 }], unionResolution: { union: 'youth-union', resolutionOn: t } });
    await sign(c, { step: 'opinions', summarizedOn: t });
    // The new cell votes, and its partial committee appraises next.
    const newCell: SignActor = { userId: 'u', ip: null, staff: false, bodies: [CELL_UNDER_COMMITTEE.cell] };
    s = await sign(c, { step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 300 }, newCell);
    expect(s.step).toBe('partial-appraisal');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('sends a file older than 12 months at the cell vote back to introduction', async () => {
    const c = await start(GRASSROOTS_CELL);
    await prepare(c);
    await env.sleep('400 days');
    const t = await today();
    let s = await sign(c, { step: 'cell-vote', vote: vote(t, 9), candidateAgeMonths: 320 }, bodyOf(c, 'cell'));
    expect(s.step).toBe('introduction');
    expect(s.steps!.find((x) => x.step === 'cell-vote')!.outcome).toBe('file-stale');
    await sign(c, { step: 'introduction', introducedOn: t, introducers: [{ personId: personId(), official: true, coWorkingMonths: 30 }, { personId: personId(), official: true, coWorkingMonths: 30 }], unionResolution: null });
    await sign(c, { step: 'opinions', summarizedOn: t });
    s = await sign(c, { step: 'cell-vote', vote: vote(t, 9), candidateAgeMonths: 320 }, bodyOf(c, 'cell'));
    expect(s.step).toBe('decision');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('sends a candidate whose certificate is 60 months old at the vote back to the course, then to the vote', async () => {
    const c = await start(GRASSROOTS_CELL);
    const t = await today();
    await sign(c, { step: 'source', helperPersonId: personId() });
    // Issued 59 months and 25 days ago: valid today, 60 months old a few days from now.
    await sign(c, { step: 'awareness-course', certificateIssuedOn: addDays(addMonths(t, -60), 5) });
    await sign(c, { step: 'application', receivedOn: t, biographySealedOn: t });
    await sign(c, { step: 'verification', completedOn: t, result: 'clear' });
    const two = [{ personId: personId(), official: true, coWorkingMonths: 24 }, { personId: personId(), official: true, coWorkingMonths: 24 }];
    await sign(c, { step: 'introduction', introducedOn: t, introducers: two, unionResolution: null });
    await sign(c, { step: 'opinions', summarizedOn: t });
    await env.sleep('10 days');
    const voteDay = await today();
    let s = await sign(c, { step: 'cell-vote', vote: vote(voteDay, 8), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    expect(s.step).toBe('awareness-course');
    expect(s.steps!.find((x) => x.step === 'cell-vote')!.outcome).toBe('certificate-expired');
    s = await sign(c, { step: 'awareness-course', certificateIssuedOn: voteDay });
    expect(s.step).toBe('cell-vote');
    s = await sign(c, { step: 'cell-vote', vote: vote(voteDay, 8), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    expect(s.step).toBe('decision');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('answers every request accepted while the case was closing, and completes', async () => {
    const c = await start(GRASSROOTS_CELL);
    await prepare(c);
    const t = await today();
    await sign(c, { step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    const competent = bodyOf(c, 'competent');
    // Three requests at once, two of which close the case: whichever comes first, none is left waiting.
    const results = await Promise.allSettled([
      sign(c, { step: 'decision', decided: 'reject', number: '70-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t }, competent),
      c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'at the same time' }] }),
      c.handle.executeUpdate(holdCaseUpdate, { args: [{ reason: 'late hold' }] }),
    ]);
    const closers = results.slice(0, 2).filter((r) => r.status === 'fulfilled');
    expect(closers).toHaveLength(1);
    const final = await c.handle.result();
    expect(['rejected', 'withdrawn']).toContain(final.status);
  });

  it('takes the new-member course certificate after probation, before the recognition vote', async () => {
    const c = await start(GRASSROOTS_CELL);
    await prepare(c);
    const t = await today();
    await sign(c, { step: 'cell-vote', vote: vote(t, 6), candidateAgeMonths: 300 }, bodyOf(c, 'cell'));
    await sign(c, { step: 'decision', decided: 'admit', number: '80-QĐ/ĐUKKT', issuedOn: t, receivedByCellOn: t }, bodyOf(c, 'competent'));
    await sign(c, { step: 'ceremony', heldOn: t, helperPersonId: personId() });
    await env.sleep('367 days');
    const r = await today();
    await sign(c, { step: 'recognition-review', selfReviewOn: r, helperAssessmentOn: r, opinionsOn: r });
    const early = await rejected(sign(c, { step: 'recognition-cell-vote', vote: vote(r, 8), proposal: 'recognize' }, bodyOf(c, 'cell')));
    expect(early.message).toMatch(/new-member course certificate must be recorded/);
    await sign(c, { step: 'probation', newMemberCourseOn: r });
    const s = await sign(c, { step: 'recognition-cell-vote', vote: vote(r, 8), proposal: 'recognize' }, bodyOf(c, 'cell'));
    expect(s.step).toBe('recognition-decision');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });
});

export type { WorkflowHandle };
