import { DEFAULT_LADDER } from '../../workflows/escalation.js';
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installRuntime } from '../../infra/temporal.js';
import { addDays } from '../../workflows/calendar/dates.js';
import { OFFICIAL_SCHEDULES } from '../../workflows/calendar/official-schedules.js';
import { createWorkCalendar, vietnamDate } from '../../workflows/calendar/work-calendar.js';
import {
  awaitCaseRecordedUpdate,
  CURRENT_RULE_SET,
  establishmentStatusQuery,
  holdCaseUpdate,
  memberCountChangedSignal,
  recordMemberTransferUpdate,
  resumeCaseUpdate,
  signEstablishmentStepUpdate,
  withdrawCaseUpdate,
  type EstablishmentSnapshot,
  type EstablishmentStepData,
  type MemberCounts,
  type SignActor,
} from '../../workflows/definitions.js';
import type { cellEstablishmentWorkflow } from '../../workflows/establishment.js';
import { uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

const calendar = createWorkCalendar({ announced: OFFICIAL_SCHEDULES });
const UPPER = 'upper-committee-id';
const staff: SignActor = { userId: 'staff', ip: null, staff: true, bodies: [] };
const standing: SignActor = { userId: 'standing', ip: null, staff: false, bodies: [{ body: 'standing-committee', organizationId: UPPER }] };

describe('cellEstablishmentWorkflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('establishment');
  /** Members recorded as working in each enterprise (what the read model would count). */
  const counts = new Map<string, MemberCounts>();
  const created: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    installRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } } });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: {
        recordCaseEvents: async (events: unknown[]) => ({ written: events.length }),
        recordCaseEvent: async () => ({ written: true }),
        loadCalendar: async () => ({ announced: OFFICIAL_SCHEDULES }),
        loadEscalationPolicy: async () => ({ '*': DEFAULT_LADDER, probation: [] }),
        escalateStep: async () => ({ recipients: 0, stored: 0, delivery: 'local' as const }),
        issueStepDocuments: async (r: { issueKey: string; data: { step: string } }) => ({ documents: [{ id: `doc-${r.data.step}-${r.issueKey}`, form: r.data.step, numberText: null }] }),
        recordMembership: async () => undefined,
        countEnterpriseMembers: async (q: { enterpriseId: string; personIds: string[] }) => {
          const base = counts.get(q.enterpriseId) ?? { official: 0, probationary: 0 };
          return { official: base.official + q.personIds.length, probationary: base.probationary };
        },
        createEstablishedOrganization: async (o: Record<string, unknown>) => {
          created.push(o);
          return { organizationId: `org-for-${o.caseId as string}` };
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

  const today = async () => vietnamDate(await env.currentTimeMs());

  async function start(members: MemberCounts) {
    const caseId = randomUUID();
    const enterpriseId = randomUUID();
    counts.set(enterpriseId, members);
    const handle = await env.client.workflow.start<typeof cellEstablishmentWorkflow>('cellEstablishmentWorkflow', {
      taskQueue,
      workflowId: `cell-establishment:${caseId}`,
      args: [{ caseId, enterpriseId, organizationId: UPPER, deciding: { body: 'standing-committee', organizationId: UPPER }, ruleSet: CURRENT_RULE_SET, searchAttributes: false }],
    });
    return { handle, caseId, enterpriseId };
  }
  type Case = Awaited<ReturnType<typeof start>>;

  const sign = (c: Case, data: EstablishmentStepData, actor = staff): Promise<EstablishmentSnapshot> =>
    c.handle.executeUpdate(signEstablishmentStepUpdate, { args: [{ data, actor }] }) as Promise<EstablishmentSnapshot>;
  async function refusal(p: Promise<unknown>): Promise<string> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((err as WorkflowUpdateFailedError).cause as Error).message;
  }
  const survey = async (): Promise<EstablishmentStepData> => ({
    step: 'survey',
    surveyedOn: await today(),
    workforce: 1200,
    tradeUnion: true,
    youthUnion: false,
    ownerAttitude: 'neutral',
    reportedMembers: { official: 3, probationary: 1, attachedElsewhere: 2 },
  });
  async function toMemberTransfer(c: Case) {
    await sign(c, await survey());
    return sign(c, { step: 'owner-consent', outcome: 'consented', consentOn: await today(), document: 'Biên bản làm việc số 5' });
  }

  it('runs the whole path and creates the organization, with each step due on time', async () => {
    const c = await start({ official: 3, probationary: 1 });
    const t = await today();
    let s = (await c.handle.executeUpdate(awaitCaseRecordedUpdate)) as EstablishmentSnapshot;
    expect(s).toMatchObject({ step: 'survey', dueOn: calendar.addWorkingDays(t, 20), recorded: true });
    s = await sign(c, await survey());
    expect(s).toMatchObject({ step: 'owner-consent', dueOn: calendar.addWorkingDays(t, 60) });
    s = await sign(c, { step: 'owner-consent', outcome: 'consented', consentOn: t, document: 'Văn bản đồng thuận' });
    expect(s).toMatchObject({ step: 'member-transfer', dueOn: calendar.addWorkingDays(t, 60), facts: { members: { official: 3, probationary: 1 } } });
    s = await sign(c, { step: 'member-transfer', completedOn: t });
    expect(s).toMatchObject({ step: 'proposal', dueOn: calendar.addWorkingDays(t, 10) });
    s = await sign(c, { step: 'proposal', proposedOn: t, name: 'Chi bộ Công ty TNHH Sao Biển', symbol: 'CBSB', kind: 'grassroots-cell', leadership: 'secretary' });
    expect(s).toMatchObject({ step: 'decision', dueOn: calendar.addWorkingDays(t, 20) });
    // Only the upper standing committee decides.
    expect(await refusal(sign(c, { step: 'decision', establishmentNumber: '80-QĐ/ĐUKKT', appointmentNumber: '81-QĐ/ĐUKKT', issuedOn: t }))).toMatch(/signed by the standing-committee/);
    s = await sign(c, { step: 'decision', establishmentNumber: '80-QĐ/ĐUKKT', appointmentNumber: '81-QĐ/ĐUKKT', issuedOn: t }, standing);
    expect(s).toMatchObject({ step: 'announcement', dueOn: calendar.addWorkingDays(t, 30) });
    await env.sleep('5 days');
    s = await sign(c, { step: 'announcement', heldOn: await today() });
    expect(s).toMatchObject({ status: 'completed', step: null, facts: { newOrganizationId: `org-for-${c.caseId}`, decisionOn: t } });
    expect(created).toContainEqual(expect.objectContaining({ caseId: c.caseId, parentId: UPPER, kind: 'grassroots-cell', officialMembers: 3, establishedOn: t }));
    await c.handle.result();
  });

  it('defers after a refusal and reopens on the re-visit date, then goes on', async () => {
    const c = await start({ official: 3, probationary: 0 });
    await sign(c, await survey());
    const t = await today();
    const revisitOn = addDays(t, 30);
    let s = await sign(c, { step: 'owner-consent', outcome: 'declined', declinedOn: t, revisitOn });
    expect(s).toMatchObject({ step: 'owner-consent', dueOn: revisitOn, facts: { refusals: 1, deferredUntil: revisitOn } });
    expect(await refusal(sign(c, { step: 'owner-consent', outcome: 'consented', consentOn: t, document: 'x' }))).toMatch(/waits for the re-visit on/);
    await env.sleep('31 days');
    s = (await c.handle.query(establishmentStatusQuery)) as EstablishmentSnapshot;
    const reopened = s.steps.filter((x) => x.step === 'owner-consent').at(-1)!;
    expect(s.facts.deferredUntil).toBeUndefined();
    expect(s.dueOn).toBe(calendar.addWorkingDays(reopened.enteredOn, 60));
    s = await sign(c, { step: 'owner-consent', outcome: 'consented', consentOn: await today(), document: 'Văn bản đồng thuận' });
    expect(s.step).toBe('member-transfer');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('waits for three official members: a transfer releases it', async () => {
    const c = await start({ official: 2, probationary: 0 });
    await toMemberTransfer(c);
    const t = await today();
    expect(await refusal(sign(c, { step: 'member-transfer', completedOn: t }))).toMatch(/2 official member\(s\) .* at least 3/);
    const s = (await c.handle.executeUpdate(recordMemberTransferUpdate, { args: [{ personId: randomUUID() }] })) as EstablishmentSnapshot;
    expect(s.facts.members.official).toBe(3);
    expect((await sign(c, { step: 'member-transfer', completedOn: t })).step).toBe('proposal');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('waits for three official members: an admission completed in the enterprise releases it', async () => {
    const c = await start({ official: 2, probationary: 1 });
    await toMemberTransfer(c);
    counts.set(c.enterpriseId, { official: 3, probationary: 0 }); // the probationary member was recognised
    await c.handle.signal(memberCountChangedSignal);
    let s = (await c.handle.query(establishmentStatusQuery)) as EstablishmentSnapshot;
    for (let i = 0; i < 50 && s.facts.members.official < 3; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      s = (await c.handle.query(establishmentStatusQuery)) as EstablishmentSnapshot;
    }
    expect(s.facts.members).toEqual({ official: 3, probationary: 0 });
    expect((await sign(c, { step: 'member-transfer', completedOn: await today() })).step).toBe('proposal');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it.each([
    [{ official: 8, probationary: 5 }, 'grassroots-cell', 'secretary', 'committee', /led by a secretary \(a committee from 9\)/],
    [{ official: 9, probationary: 0 }, 'grassroots-cell', 'committee', 'secretary', /led by a committee/],
    [{ official: 20, probationary: 9 }, 'grassroots-cell', 'committee', 'secretary', /led by a committee/],
    [{ official: 25, probationary: 5 }, 'grassroots-committee', 'committee', 'secretary', /led by a committee/],
  ] as const)('proposes by the counts %o: %s with a %s', async (members, kind, leadership, wrongLeadership, message) => {
    const c = await start(members);
    await toMemberTransfer(c);
    const t = await today();
    await sign(c, { step: 'member-transfer', completedOn: t });
    const wrongKind = kind === 'grassroots-cell' ? 'grassroots-committee' : 'grassroots-cell';
    expect(await refusal(sign(c, { step: 'proposal', proposedOn: t, name: 'Tổ chức mới', symbol: 'TCM', kind: wrongKind, leadership }))).toMatch(/the organization is a/);
    expect(await refusal(sign(c, { step: 'proposal', proposedOn: t, name: 'Tổ chức mới', symbol: 'TCM', kind, leadership: wrongLeadership }))).toMatch(message);
    expect((await sign(c, { step: 'proposal', proposedOn: t, name: 'Tổ chức mới', symbol: 'TCM', kind, leadership })).step).toBe('decision');
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('holds and resumes: the due date moves by the working days on hold', async () => {
    const c = await start({ official: 3, probationary: 0 });
    const t = await today();
    await c.handle.executeUpdate(holdCaseUpdate, { args: [{ reason: 'Doanh nghiệp tạm dừng sản xuất' }] });
    expect(await refusal(sign(c, await survey()))).toMatch(/on hold since/);
    await env.sleep('12 days');
    const back = await today();
    const s = (await c.handle.executeUpdate(resumeCaseUpdate, { args: [{}] })) as EstablishmentSnapshot;
    expect(s.dueOn).toBe(calendar.addWorkingDays(t, 20 + calendar.workingDaysBetween(t, back)));
    await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'test done' }] });
  });

  it('withdraws a case', async () => {
    const c = await start({ official: 0, probationary: 0 });
    const s = (await c.handle.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'Doanh nghiệp giải thể' }] })) as EstablishmentSnapshot;
    expect(s).toMatchObject({ status: 'withdrawn', step: null });
    expect((await c.handle.result()).status).toBe('withdrawn');
  });
});
