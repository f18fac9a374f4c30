import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installRuntime } from '../../infra/temporal.js';
import { addDays, type IsoDate } from '../../workflows/calendar/dates.js';
import { lunarNewYear } from '../../workflows/calendar/lunar.js';
import { OFFICIAL_SCHEDULES } from '../../workflows/calendar/official-schedules.js';
import { createWorkCalendar, vietnamDate } from '../../workflows/calendar/work-calendar.js';
import {
  caseStatusQuery,
  CURRENT_RULE_SET,
  holdCaseUpdate,
  resumeCaseUpdate,
  signStepUpdate,
  type SignActor,
  type StepData,
} from '../../workflows/definitions.js';
import type { admissionWorkflow } from '../../workflows/admission.js';
import { DEFAULT_LADDER, type EscalationRequest } from '../../workflows/escalation.js';
import type { ApprovalChain } from '../../workflows/org/tree.js';
import { uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

const calendar = createWorkCalendar({ announced: OFFICIAL_SCHEDULES });
/** `n` working days before `date`. */
const before = (date: IsoDate, n: number): IsoDate => {
  let d = date;
  for (let left = n; left > 0; ) {
    d = addDays(d, -1);
    if (calendar.dayInfo(d).working) left -= 1;
  }
  return d;
};
const ladderDates = (due: IsoDate) => ({
  reminder: before(due, 5),
  'level-1': due,
  'level-2': calendar.addWorkingDays(due, 5),
  'level-3': calendar.addWorkingDays(due, 15),
});

const CHAIN: ApprovalChain = {
  cell: { body: 'cell', organizationId: 'cell-b' },
  partialCommittee: null,
  grassrootsCommittee: null,
  competent: { body: 'standing-committee', organizationId: 'upper', delegated: false },
};
const staff: SignActor = { userId: 'staff-user', ip: null, staff: true, bodies: [] };
const cellActor: SignActor = { userId: 'cell-user', ip: null, staff: false, bodies: [CHAIN.cell] };

describe('escalation ladder (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('escalation');
  /** Each rung the workflows fired, with the workflow-clock date it fired on. */
  const fired: Array<EscalationRequest & { at: IsoDate }> = [];

  beforeAll(async () => {
    installRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } } });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: {
        recordCaseEvent: async () => ({ written: true }),
        recordCaseEvents: async (es: unknown[]) => ({ written: es.length }),
        loadCalendar: async () => ({ announced: OFFICIAL_SCHEDULES }),
        recordMembership: async () => undefined,
        issueStepDocuments: async () => ({ documents: [] }),
        loadEscalationPolicy: async () => ({ '*': DEFAULT_LADDER, probation: [] }),
        escalateStep: async (r: EscalationRequest) => {
          fired.push({ ...r, at: vietnamDate(await env.currentTimeMs()) });
          return { recipients: 1, stored: 1, delivery: 'smtp' as const };
        },
      },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  async function start() {
    const caseId = randomUUID();
    const handle = await env.client.workflow.start<typeof admissionWorkflow>('admissionWorkflow', {
      taskQueue,
      workflowId: `admission:${caseId}`,
      args: [{ caseId, organizationId: CHAIN.cell.organizationId, personId: randomUUID(), ruleSet: CURRENT_RULE_SET, chain: CHAIN, searchAttributes: false }],
    });
    const sign = (data: StepData, actor = staff) => handle.executeUpdate(signStepUpdate, { args: [{ data, actor }] });
    return { caseId, handle, sign };
  }
  /** Signs the steps before the cell vote, all dated `t`. */
  async function toCellVote(c: Awaited<ReturnType<typeof start>>, t: IsoDate) {
    await c.sign({ step: 'source', helperPersonId: randomUUID() });
    await c.sign({ step: 'awareness-course', certificateIssuedOn: addDays(t, -30) });
    await c.sign({ step: 'application', receivedOn: t, biographySealedOn: t });
    await c.sign({ step: 'verification', completedOn: t, result: 'clear' });
    const introducers = [randomUUID(), randomUUID()].map((personId) => ({ personId, official: true, coWorkingMonths: 24 }));
    await c.sign({ step: 'introduction', introducedOn: t, introducers, unionResolution: null });
    await c.sign({ step: 'opinions', summarizedOn: t });
  }
  const today = async () => vietnamDate(await env.currentTimeMs());
  const firedFor = (caseId: string) => fired.filter((f) => f.caseId === caseId);
  /** Sleeps until 09:00 in Vietnam on `date` (rungs fire at 08:00). */
  const sleepUntil = async (date: IsoDate) => {
    const target = Date.parse(`${date}T02:00:00Z`);
    await env.sleep(Math.max(0, target - (await env.currentTimeMs())));
  };

  it('fires each rung of the decision step on its working day, across Tết, once, to the deciding body', async () => {
    const c = await start();
    const t = await today();
    await toCellVote(c, t);
    const s = await c.sign({ step: 'cell-vote', vote: { heldOn: t, eligible: 9, present: 9, for: 7, against: 2 }, candidateAgeMonths: 300 }, cellActor);
    expect(s.step).toBe('decision');
    const due = s.dueOn!;
    expect(due).toBe(calendar.addWorkingDays(t, 60));
    const expected = ladderDates(due);
    // The 60 working days and the ladder after them run across a Tết holiday.
    const tet = [lunarNewYear(Number(t.slice(0, 4))), lunarNewYear(Number(t.slice(0, 4)) + 1)].find((d) => d > t && d < expected['level-3'])!;
    expect(tet).toBeDefined();
    expect(calendar.dayInfo(tet).working).toBe(false);

    await sleepUntil(addDays(expected['level-3'], 3));
    const own = firedFor(c.caseId).filter((f) => f.step === 'decision');
    expect(own.map((f) => [f.rung.name, f.firedOn, f.at])).toEqual(Object.entries(expected).map(([rung, on]) => [rung, on, on]));
    expect(own.map((f) => f.daysOverdue)).toEqual([0, 0, 5, 15]);
    expect(own.every((f) => f.dueOn === due && f.actor?.body === 'standing-committee' && f.actor.organizationId === 'upper')).toBe(true);
    expect(own.map((f) => f.rung.to)).toEqual(DEFAULT_LADDER.map((r) => r.to));
    // No personal data in what the workflow sends: ids, dates and the step only.
    expect(JSON.stringify(own)).not.toMatch(/fullName|dateOfBirth/);
    await c.handle.terminate();
  });

  it('drops the rest of a step\'s ladder when it is signed between rungs', async () => {
    const c = await start();
    const t = await today();
    await c.sign({ step: 'source', helperPersonId: randomUUID() });
    const s = await c.sign({ step: 'awareness-course', certificateIssuedOn: addDays(t, -30) });
    expect(s.step).toBe('application');
    const due = s.dueOn!;
    const expected = ladderDates(due);
    await sleepUntil(addDays(expected['level-1'], 1));
    expect(firedFor(c.caseId).map((f) => f.rung.name)).toEqual(['reminder', 'level-1']);
    const signedOn = await today();
    const next = await c.sign({ step: 'application', receivedOn: signedOn, biographySealedOn: signedOn });
    expect(next.step).toBe('verification');
    await sleepUntil(addDays(expected['level-3'], 2));
    const own = firedFor(c.caseId);
    // Nothing more for the application; the verification step's own ladder started from its due date.
    expect(own.filter((f) => f.step === 'application').map((f) => f.rung.name)).toEqual(['reminder', 'level-1']);
    const vDue = (await c.handle.query(caseStatusQuery)).dueOn!;
    expect(vDue).toBe(calendar.addWorkingDays(signedOn, 30));
    expect(own.filter((f) => f.step === 'verification').map((f) => [f.rung.name, f.firedOn])).toEqual(
      Object.entries(ladderDates(vDue)).filter(([, on]) => on <= addDays(expected['level-3'], 2)).map(([rung, on]) => [rung, on]),
    );
    await c.handle.terminate();
  });

  it('a step entered already overdue sends only its highest due rung, with the days overdue as of today', async () => {
    const c = await start();
    const t = await today();
    await toCellVote(c, t);
    // The cell voted long ago (the meeting is recorded late): the decision, due 60 WD after it, is overdue on entry.
    const heldOn = before(t, 70);
    const s = await c.sign({ step: 'cell-vote', vote: { heldOn, eligible: 9, present: 9, for: 7, against: 2 }, candidateAgeMonths: 300 }, cellActor);
    expect(s.dueOn).toBe(calendar.addWorkingDays(heldOn, 60));
    await env.sleep('1 hour');
    const own = firedFor(c.caseId).filter((f) => f.step === 'decision');
    // Reminder, level 1 and level 2 were all past on entry (level 3 is 5 WD ahead): one message, level 2.
    expect(own.map((f) => [f.rung.name, f.firedOn, f.daysOverdue])).toEqual([['level-2', t, calendar.workingDaysBetween(s.dueOn!, t)]]);
    await c.handle.terminate();
  });

  it('pauses on hold; after resume the rungs fire from the moved due date', async () => {
    const c = await start();
    const t = await today();
    await c.sign({ step: 'source', helperPersonId: randomUUID() });
    const s = await c.sign({ step: 'awareness-course', certificateIssuedOn: addDays(t, -30) });
    const due = s.dueOn!;
    await sleepUntil(addDays(ladderDates(due).reminder, 1));
    expect(firedFor(c.caseId).map((f) => f.rung.name)).toEqual(['reminder']);
    const heldOn = await today();
    await c.handle.executeUpdate(holdCaseUpdate, { args: [{ reason: 'Chờ xác minh' }] });
    // On hold past the old due date: no level-1.
    await sleepUntil(addDays(due, 10));
    expect(firedFor(c.caseId).map((f) => f.rung.name)).toEqual(['reminder']);
    const resumedOn = await today();
    const resumed = await c.handle.executeUpdate(resumeCaseUpdate, { args: [{}] });
    const moved = resumed.dueOn!;
    expect(moved).toBe(calendar.addWorkingDays(due, calendar.workingDaysBetween(heldOn, resumedOn)));
    await sleepUntil(addDays(moved, 1));
    const own = firedFor(c.caseId);
    // The reminder is not sent again; level-1 comes on the moved due date.
    expect(own.map((f) => [f.rung.name, f.firedOn, f.dueOn])).toEqual([
      ['reminder', ladderDates(due).reminder, due],
      ['level-1', moved, moved],
    ]);
    await c.handle.terminate();
  });
});
