import { allHandlersFinished, condition, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { toDayNumber, type IsoDate } from './calendar/dates.js';
import { vietnamDate } from './calendar/work-calendar.js';
import { assertSigner } from './admission-rules.js';
import { CaseLog } from './case-log.js';
import { checkRule, issueStepPapers, PauseClock, refuse, RequestQueue, type Queued } from './case-kernel.js';
import { Deadlines } from './deadlines.js';
import { CaseEscalations, earliest } from './escalation.js';
import {
  attachHostCellUpdate,
  awaitCaseRecordedUpdate,
  calendarChangedSignal,
  establishmentStatusQuery,
  FailureTypes,
  holdCaseUpdate,
  memberCountChangedSignal,
  recordMemberTransferUpdate,
  resumeCaseUpdate,
  signEstablishmentStepUpdate,
  withdrawCaseUpdate,
  type ActorRef,
  type CaseStatus,
  type EstablishmentFacts,
  type EstablishmentInput,
  type EstablishmentSnapshot,
  type EstablishmentStepData,
  type EstablishmentStepId,
  type SignActor,
} from './definitions.js';
import { assertEstablishmentData, ESTABLISHMENT_STEP_CATALOG } from './establishment-rules.js';
import { CaseDueOnKey, CaseOrganizationKey, CaseStepKey, CaseTypeKey } from './admission.js';
import { documents, enterprise } from './proxies.js';
import type { ApprovalChain } from './org/tree.js';

type Request =
  | { kind: 'sign'; data: EstablishmentStepData; actor: SignActor }
  | { kind: 'transfer'; personId: string; actor: ActorRef | null }
  | { kind: 'host-cell'; organizationId: string; actor: ActorRef | null }
  | { kind: 'hold'; reason: string; actor: ActorRef | null }
  | { kind: 'resume'; actor: ActorRef | null }
  | { kind: 'withdraw'; reason: string; actor: ActorRef | null };

const META = Object.fromEntries(ESTABLISHMENT_STEP_CATALOG.map((s) => [s.id, s])) as Record<EstablishmentStepId, (typeof ESTABLISHMENT_STEP_CATALOG)[number]>;
const NEXT: Record<EstablishmentStepId, EstablishmentStepId | null> = {
  survey: 'owner-consent',
  'owner-consent': 'member-transfer',
  'member-transfer': 'proposal',
  proposal: 'decision',
  decision: 'announcement',
  announcement: null,
};

/**
 * A new party organization in an enterprise (DESIGN.md §4, domain.md §2): survey → owner consent (a refusal
 * defers the case until a re-visit date, then reopens it) → member transfers (waits for 3 official members,
 * re-counting on each transfer and on each admission completed in the enterprise) → proposal (cell or
 * grassroots committee, secretary or committee, by the counts) → decision (the upper standing committee) →
 * announcement (the organization is created in the tree and can host admission cases).
 *
 * Shares the request queue, pause clock and refusals of the admission workflow (case-kernel.ts).
 */
export async function cellEstablishmentWorkflow(input: EstablishmentInput): Promise<EstablishmentSnapshot> {
  const log = new CaseLog(input.caseId);
  const deadlines = new Deadlines(input.workWeek);
  const queue = new RequestQueue<Request>();
  const paused = new PauseClock<'entered'>();
  const today = () => vietnamDate(Date.now());

  let step: EstablishmentStepId | null = 'survey';
  let status: CaseStatus = 'open';
  let recorded = false;
  let hold: { since: IsoDate; reason: string } | null = null;
  let countStale = false;
  const facts: EstablishmentFacts = { refusals: 0, members: { official: 0, probationary: 0 }, transferredPersonIds: [] };
  const steps: Array<{ step: string; enteredOn: string; dueOn: string | null; completedOn?: string; outcome?: string; documentIds?: string[] }> = [];
  const current = () => steps.at(-1);
  // Only the deciding standing committee signs the decision; every other step is staff work.
  const chain: ApprovalChain = { cell: input.deciding, partialCommittee: null, grassrootsCommittee: null, competent: { ...input.deciding, delegated: false } };

  const snapshot = (): EstablishmentSnapshot => ({
    caseId: input.caseId,
    type: 'cell-establishment',
    status,
    step,
    dueOn: status === 'open' ? (current()?.dueOn ?? null) : null,
    recorded,
    organizationId: input.organizationId,
    enterpriseId: input.enterpriseId,
    onHold: hold,
    facts: { ...facts, members: { ...facts.members }, transferredPersonIds: [...facts.transferredPersonIds] },
    steps: steps.map((s) => ({ ...s })),
  });
  const assertOpen = () => {
    if (status !== 'open' || queue.has('withdraw')) refuse(FailureTypes.caseClosed, `the case is ${status === 'open' ? 'being withdrawn' : status}`);
  };
  const submit = (r: Request) => queue.submit(r, snapshot);
  const validateSign = (s: { data: EstablishmentStepData; actor: SignActor }) => {
    assertOpen();
    if (s?.data?.step !== step) refuse(FailureTypes.wrongStep, `the case is at step "${step}", not "${s?.data?.step}"`);
    if (hold) refuse(FailureTypes.wrongStep, `the case is on hold since ${hold.since} (${hold.reason}): resume it first`);
    if (facts.deferredUntil) refuse(FailureTypes.wrongStep, `the owner declined; the case waits for the re-visit on ${facts.deferredUntil}`);
    checkRule(() => assertSigner(s.actor, chain, step === 'decision' ? 'competent' : 'staff', META[step!].label.en));
    checkRule(() => assertEstablishmentData(s.data, { today: today(), facts }));
  };

  setHandler(establishmentStatusQuery, snapshot);
  setHandler(calendarChangedSignal, () => deadlines.markStale());
  setHandler(memberCountChangedSignal, () => {
    countStale = true;
  });
  setHandler(awaitCaseRecordedUpdate, async () => {
    await condition(() => recorded);
    return snapshot();
  });
  setHandler(signEstablishmentStepUpdate, (s) => submit({ kind: 'sign', data: s.data, actor: s.actor }), { validator: validateSign });
  setHandler(recordMemberTransferUpdate, (t) => submit({ kind: 'transfer', personId: t.personId, actor: t.actor ?? null }), {
    validator: (t) => {
      assertOpen();
      if (step !== 'member-transfer' && step !== 'owner-consent' && step !== 'survey') refuse(FailureTypes.wrongStep, `transfers are recorded before the proposal, not at "${step}"`);
      if (facts.transferredPersonIds.includes(t?.personId)) refuse(FailureTypes.ruleViolated, 'this member’s transfer is already recorded');
    },
  });
  setHandler(attachHostCellUpdate, (h) => submit({ kind: 'host-cell', organizationId: h.organizationId, actor: h.actor ?? null }), {
    validator: (_h) => {
      assertOpen();
      if (step !== 'member-transfer') refuse(FailureTypes.wrongStep, 'members are attached to a host cell while the case waits for transfers');
      if (facts.members.official >= 3) refuse(FailureTypes.ruleViolated, 'three official members are there already: no host cell is needed');
    },
  });
  setHandler(holdCaseUpdate, (h) => submit({ kind: 'hold', reason: h.reason, actor: h.actor ?? null }), {
    validator: (h) => {
      assertOpen();
      if (hold) refuse(FailureTypes.wrongStep, `the case is already on hold since ${hold.since}`);
      if (typeof h?.reason !== 'string' || !h.reason.trim()) refuse(FailureTypes.ruleViolated, 'a hold needs a reason');
    },
  });
  setHandler(resumeCaseUpdate, (r) => submit({ kind: 'resume', actor: r?.actor ?? null }), {
    validator: (_r) => {
      assertOpen();
      if (!hold) refuse(FailureTypes.wrongStep, 'the case is not on hold');
    },
  });
  setHandler(withdrawCaseUpdate, (w) => submit({ kind: 'withdraw', reason: w.reason, actor: w.actor ?? null }), { validator: (_w) => assertOpen() });

  const searchAttributes = () =>
    input.searchAttributes !== false &&
    upsertSearchAttributes([
      { key: CaseTypeKey, value: 'cell-establishment' },
      { key: CaseStepKey, value: step ?? status },
      { key: CaseOrganizationKey, value: input.organizationId },
      { key: CaseDueOnKey, value: current()?.dueOn ?? '' },
    ]);

  // The decision is the deciding committee's; every other step is the organizing staff's.
  const esc = new CaseEscalations(input.caseId, 'cell-establishment', deadlines, (s) => (s === 'decision' ? input.deciding : null));
  const computeDue = async (): Promise<IsoDate | null> => {
    if (facts.deferredUntil) return facts.deferredUntil;
    return deadlines.due(current()!.enteredOn, META[step!].workingDays + paused.get('entered'));
  };
  const recordDue = async () => {
    const due = await computeDue();
    current()!.dueOn = due;
    // A deferral's date is when the owner is visited again, not a deadline: no ladder meanwhile.
    await esc.update(String(steps.length), step, facts.deferredUntil ? null : due);
    await log.write({ kind: 'step-due-changed', step: step!, dueOn: due });
    await searchAttributes();
  };
  const enter = async (next: EstablishmentStepId) => {
    step = next;
    paused.reset('entered');
    steps.push({ step: next, enteredOn: today(), dueOn: null });
    const due = await computeDue();
    current()!.dueOn = due;
    await esc.update(String(steps.length), next, due);
    await log.write({ kind: 'step-entered', step: next, dueOn: due });
    await searchAttributes();
  };
  const note = async (n: string, data: Record<string, unknown>, actor: ActorRef | null) => {
    await log.write({ kind: 'case-noted', step, note: n, data, actor });
  };
  const close = async (final: Exclude<CaseStatus, 'open'>, reason: string, actor: ActorRef | null) => {
    await log.write({ kind: 'case-closed', status: final, reason, actor });
    status = final;
    step = null;
    await esc.update(String(steps.length), null, null);
    await searchAttributes();
  };
  const recount = async (why: string, actor: ActorRef | null) => {
    const before = facts.members;
    facts.members = await enterprise.countEnterpriseMembers({ enterpriseId: input.enterpriseId, personIds: facts.transferredPersonIds });
    if (before.official !== facts.members.official || before.probationary !== facts.members.probationary) {
      await note('members-counted', { ...facts.members, why }, actor);
    }
  };

  /** Applies side requests until the open step is signed (or the case closed, or a deferral ended). */
  const waitForSignOff = async (): Promise<{ data: EstablishmentStepData; actor: SignActor; item: Queued<Request> } | 'closed' | 'revisit'> => {
    for (;;) {
      const revisitAt = facts.deferredUntil ? (toDayNumber(facts.deferredUntil) * 86_400_000 - 7 * 3_600_000) : undefined;
      const rungAt = esc.wakeAt(hold !== null || facts.deferredUntil !== undefined);
      const wakeAt = earliest(revisitAt, rungAt);
      const ready = () => queue.hasPending || deadlines.isStale || countStale;
      const woke = wakeAt === undefined ? (await condition(ready), true) : await condition(ready, Math.max(0, wakeAt - Date.now()));
      if (!woke) {
        if (rungAt !== undefined && Date.now() >= rungAt && (await esc.fireDue())) continue;
        return 'revisit';
      }
      if (deadlines.isStale) {
        deadlines.acknowledge();
        await recordDue();
        continue;
      }
      if (countStale) {
        countStale = false;
        await recount('admission', null);
        continue;
      }
      const item = queue.next()!;
      const r = item.request;
      switch (r.kind) {
        case 'sign':
          if (r.data.step !== step || hold || facts.deferredUntil) {
            item.error = { type: FailureTypes.wrongStep, message: `the case moved on: it is at step "${step}"` };
            item.done = true;
            continue;
          }
          return { data: r.data, actor: r.actor, item };
        case 'transfer':
          facts.transferredPersonIds.push(r.personId);
          await note('member-transferred', { personId: r.personId }, r.actor);
          await recount('transfer', r.actor);
          item.done = true;
          continue;
        case 'host-cell':
          facts.hostCellId = r.organizationId;
          await note('host-cell', { organizationId: r.organizationId }, r.actor);
          item.done = true;
          continue;
        case 'hold':
          hold = { since: today(), reason: r.reason };
          await note('hold', { reason: r.reason }, r.actor);
          item.done = true;
          continue;
        case 'resume': {
          const since = hold!.since;
          hold = null;
          const days = await deadlines.workingDaysBetween(since, today());
          paused.add(days, since, { entered: current()?.enteredOn });
          await note('resume', { heldSince: since, pausedWorkingDays: days }, r.actor);
          await recordDue();
          item.done = true;
          continue;
        }
        case 'withdraw':
          await close('withdrawn', r.reason, r.actor);
          item.done = true;
          return 'closed';
      }
    }
  };

  const completed = (d: EstablishmentStepData, actor: SignActor, outcome: string, data: Record<string, unknown>) => {
    const record = current()!;
    record.completedOn = today();
    record.outcome = outcome;
    log.stage({ kind: 'step-completed', step: d.step, data: { ...data, outcome }, actor: { userId: actor.userId, ip: actor.ip } });
  };

  /** Applies a sign-off; returns the next step, 'stay' (deferred: same step), or null when the case is done. */
  const apply = async (d: EstablishmentStepData, actor: SignActor): Promise<EstablishmentStepId | 'stay' | null> => {
    switch (d.step) {
      case 'survey':
        facts.surveyedOn = d.surveyedOn;
        facts.ownerAttitude = d.ownerAttitude;
        completed(d, actor, d.ownerAttitude, { workforce: d.workforce, tradeUnion: d.tradeUnion, youthUnion: d.youthUnion, reportedMembers: d.reportedMembers });
        return NEXT.survey;
      case 'owner-consent':
        if (d.outcome === 'declined') {
          // A refusal defers the case: the owner is visited again on the re-visit date.
          facts.refusals += 1;
          facts.deferredUntil = d.revisitOn;
          log.stage({ kind: 'case-noted', step, note: 'owner-declined', data: { declinedOn: d.declinedOn, revisitOn: d.revisitOn }, actor: { userId: actor.userId, ip: actor.ip } });
          await recordDue();
          return 'stay';
        }
        facts.consentOn = d.consentOn;
        facts.consentDocument = d.document;
        completed(d, actor, 'consented', { consentOn: d.consentOn, document: d.document });
        return NEXT['owner-consent'];
      case 'member-transfer':
        completed(d, actor, 'done', { ...facts.members, transferred: facts.transferredPersonIds.length });
        return NEXT['member-transfer'];
      case 'proposal':
        facts.proposal = { name: d.name, symbol: d.symbol, kind: d.kind, leadership: d.leadership };
        completed(d, actor, d.kind, { ...facts.proposal, ...facts.members });
        return NEXT.proposal;
      case 'decision':
        facts.establishmentNumber = d.establishmentNumber;
        facts.appointmentNumber = d.appointmentNumber;
        facts.decisionOn = d.issuedOn;
        completed(d, actor, 'established', { establishmentNumber: d.establishmentNumber, appointmentNumber: d.appointmentNumber, issuedOn: d.issuedOn });
        return NEXT.decision;
      case 'announcement': {
        facts.announcedOn = d.heldOn;
        completed(d, actor, 'announced', { heldOn: d.heldOn });
        await log.flush();
        // The organization enters the tree now; it counts as established on the decision date.
        const created = await enterprise.createEstablishedOrganization({
          caseId: input.caseId,
          parentId: input.organizationId,
          enterpriseId: input.enterpriseId,
          name: facts.proposal!.name,
          symbol: facts.proposal!.symbol,
          kind: facts.proposal!.kind as 'grassroots-cell' | 'grassroots-committee',
          officialMembers: facts.members.official,
          probationaryMembers: facts.members.probationary,
          establishedOn: facts.decisionOn!,
        });
        facts.newOrganizationId = created.organizationId;
        await close('completed', `organization ${created.organizationId} established`, { userId: actor.userId, ip: actor.ip });
        return null;
      }
    }
  };

  log.stage({
    kind: 'case-opened',
    workflowId: workflowInfo().workflowId,
    type: 'cell-establishment',
    organizationId: input.organizationId,
    personId: null,
    ruleSet: input.ruleSet,
    step: 'survey',
    actor: input.openedBy ?? null,
    enterpriseId: input.enterpriseId,
  });
  steps.push({ step: 'survey', enteredOn: today(), dueOn: null });
  current()!.dueOn = await computeDue();
  await esc.update(String(steps.length), 'survey', current()!.dueOn);
  await log.write({ kind: 'step-due-changed', step: 'survey', dueOn: current()!.dueOn });
  recorded = true;
  await searchAttributes();

  for (;;) {
    const outcome = await waitForSignOff();
    if (outcome === 'closed') break;
    if (outcome === 'revisit') {
      // The re-visit date came: the owner-consent step opens again with a fresh deadline.
      const until = facts.deferredUntil;
      facts.deferredUntil = undefined;
      await note('owner-revisit', { deferredUntil: until }, null);
      await enter('owner-consent');
      continue;
    }
    // The step's papers first: missing data refuses the sign-off and the case stays (cases started before
    // step documents existed get them from their next sign-off on).
    const papers = outcome.data.step !== 'member-transfer' && !(outcome.data.step === 'owner-consent' && outcome.data.outcome === 'declined');
    if (patched('step-documents') && papers) {
      const issued = await issueStepPapers(documents, outcome.item, {
        caseId: input.caseId,
        type: 'cell-establishment',
        issueKey: String(steps.length),
        data: outcome.data,
        outcome: outcome.data.step === 'owner-consent' ? outcome.data.outcome : 'done',
        chain: null,
        facts: { ...facts, members: { ...facts.members }, transferredPersonIds: [...facts.transferredPersonIds] },
        actorUserId: outcome.actor.userId,
      });
      if (issued === null) continue;
      if (issued.length) current()!.documentIds = issued;
    }
    const next = await apply(outcome.data, outcome.actor);
    if (next !== null && next !== 'stay') await enter(next);
    // Members already working there (and recorded as members) count from the start of the transfers.
    if (next === 'member-transfer') await recount('start', null);
    outcome.item.done = true;
    if (next === null) break;
  }

  queue.failPending(FailureTypes.caseClosed, `the case is ${status}`);
  await condition(allHandlersFinished);
  await esc.finished();
  return snapshot();
}
