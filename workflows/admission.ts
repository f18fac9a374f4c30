import {
  allHandlersFinished,
  condition,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { addMonths, fromDayNumber, toDayNumber, type IsoDate } from './calendar/dates.js';
import { vietnamDate } from './calendar/work-calendar.js';
import { admissionWorkflowV1 } from './admission-v1.js';
import { assertSigner, assertStepData, RuleError, votePasses } from './admission-rules.js';
import { CaseLog } from './case-log.js';
import { checkRule, issueStepPapers, PauseClock, refuse, RequestQueue, type Queued } from './case-kernel.js';
import { Deadlines } from './deadlines.js';
import { CaseEscalations, earliest } from './escalation.js';
import {
  awaitCaseRecordedUpdate,
  calendarChangedSignal,
  caseStatusQuery,
  extendDeadlineUpdate,
  FailureTypes,
  holdCaseUpdate,
  recordProvincialConsentUpdate,
  resumeCaseUpdate,
  signStepUpdate,
  transferCaseUpdate,
  withdrawCaseUpdate,
  type ActorRef,
  type AdmissionInput,
  type AdmissionStep,
  type CaseFacts,
  type CaseSnapshot,
  type CaseStatus,
  type ImportedStep,
  type SignActor,
  type SignStepInput,
  type StepData,
  type StepRecord,
} from './definitions.js';
import type { ApprovalChain } from './org/tree.js';
import { documents, membership } from './proxies.js';
import { RULES, STEP_META, type DeadlineFrom } from './steps.js';

/** Search attributes: ids, kinds and dates only — never personal data. */
export const CaseTypeKey = defineSearchAttributeKey('CaseType', SearchAttributeType.KEYWORD);
export const CaseStepKey = defineSearchAttributeKey('CaseStep', SearchAttributeType.KEYWORD);
export const CaseOrganizationKey = defineSearchAttributeKey('CaseOrganization', SearchAttributeType.KEYWORD);
export const CaseDueOnKey = defineSearchAttributeKey('CaseDueOn', SearchAttributeType.KEYWORD);

/** The steps a probationary member no longer goes back from (a transfer keeps the step). */
const ADMITTED_STEPS: ReadonlySet<AdmissionStep> = new Set([
  'ceremony',
  'probation',
  'recognition-review',
  'recognition-cell-vote',
  'recognition-committee-vote',
  'recognition-decision',
]);

type Request =
  | { kind: 'sign'; input: SignStepInput }
  | { kind: 'hold'; reason: string; actor: ActorRef | null }
  | { kind: 'resume'; actor: ActorRef | null }
  | { kind: 'transfer'; organizationId: string; chain: ApprovalChain; actor: ActorRef | null }
  | { kind: 'extend'; step: 'decision' | 'recognition-decision'; reason: string; actor: ActorRef | null }
  | { kind: 'consent'; documentNo: string; on: string; actor: ActorRef | null }
  | { kind: 'withdraw'; reason: string; actor: ActorRef | null };

/** Steps whose sign-off issues papers (documents.ts says which), and outcomes that issue none. */
const PAPER_STEPS: ReadonlySet<AdmissionStep> = new Set([
  'application',
  'introduction',
  'opinions',
  'cell-vote',
  'partial-appraisal',
  'committee-vote',
  'decision',
  'recognition-review',
  'recognition-cell-vote',
  'recognition-committee-vote',
  'recognition-decision',
]);
const NO_PAPERS: ReadonlySet<string> = new Set(['failed', 'reject', 'strike-off', 'certificate-expired', 'file-stale']);

/** Steps during which the new-member course certificate can still be recorded. */
const COURSE_STEPS: ReadonlySet<AdmissionStep | null> = new Set(['probation', 'recognition-review', 'recognition-cell-vote']);

/**
 * One candidate's path from outstanding worker to full member (DESIGN.md §4, domain.md §1).
 *
 * Steps run in order under their stable ids; `partial-appraisal` and the committee votes are skipped where
 * the approval chain has no such body. Each sign-off is the `signStep` update, checked by a synchronous
 * validator (step, signer, rules of the procedure); side requests (hold, resume, transfer, extension,
 * provincial consent, withdrawal) are updates too. All of them are queued by their handlers and applied in
 * order by the main body, which alone writes the read model, so events keep their sequence.
 *
 * Timers: the open step's due date (working days, recomputed on `calendarChanged`, moved by holds), the
 * 12 months of probation.
 */
export async function admissionWorkflow(input: AdmissionInput): Promise<CaseSnapshot> {
  // Cases started before the full procedure keep running the first version.
  if (!patched('admission-full-procedure') || !input.chain) return admissionWorkflowV1(input);
  const log = new CaseLog(input.caseId);
  const deadlines = new Deadlines(input.workWeek);
  /** Set while an imported history is applied: the day of the step being applied. */
  let clock: IsoDate | null = null;
  const today = (): IsoDate => clock ?? vietnamDate(Date.now());
  /** An imported history that broke a rule: the case is refused whole. */
  let importFailure: { readonly index: number; readonly message: string } | null = null;
  /** Membership changes of an imported history wait until the whole history has been accepted. */
  let deferredMemberships: Array<Parameters<typeof membership.recordMembership>[0]> | null = null;

  let chain: ApprovalChain = input.chain;
  // Escalations go to the body that signs the open step (as the chain stands when the rung fires).
  const esc = new CaseEscalations(input.caseId, 'admission', deadlines, (s) => {
    const signer = STEP_META[s as AdmissionStep]?.signer;
    return !signer || signer === 'staff' ? null : (chain[signer] ?? null);
  });
  let organizationId = input.organizationId;
  let step: AdmissionStep | null = 'source';
  let status: CaseStatus = 'open';
  let recorded = false;
  let hold: { since: IsoDate; reason: string } | null = null;
  const paused = new PauseClock<DeadlineFrom>();
  let parkedInSourcePool = false;
  /** After a certificate renewed at the cell vote, the case returns to the vote, not to the application. */
  let returnTo: AdmissionStep | null = null;
  let over60 = false;
  let recognitionProposal: 'recognize' | 'strike-off' = 'recognize';
  const facts: CaseFacts = { failedCellVotes: 0, failedRecognitionVotes: 0, decisionExtended: false, recognitionExtended: false };
  const steps: StepRecord[] = [];
  const queue = new RequestQueue<Request>();

  const current = () => steps.at(-1);
  const snapshot = (): CaseSnapshot => ({
    caseId: input.caseId,
    type: 'admission',
    status,
    step,
    dueOn: status === 'open' ? (current()?.dueOn ?? null) : null,
    recorded,
    organizationId,
    chain,
    onHold: hold,
    facts: { ...facts },
    steps: steps.map((s) => ({ ...s })),
  });

  const reject = refuse;
  const assertOpen = () => {
    if (status !== 'open' || queue.has('withdraw')) reject(FailureTypes.caseClosed, `the case is ${status === 'open' ? 'being withdrawn' : status}`);
    if (input.history?.length && !recorded) reject(FailureTypes.wrongStep, 'the case is still being opened: its paper history is being applied');
  };
  const rule = checkRule;

  /** Queue a request for the main body; resolve with the snapshot once it has been applied. */
  const enqueue = (request: Request): Promise<CaseSnapshot> => queue.submit(request, snapshot);

  const validateSignOff = (s: SignStepInput) => {
    assertOpen();
    const target = s?.data?.step;
    const inProbationCourse = target === 'probation' && COURSE_STEPS.has(step);
    if (!inProbationCourse && target !== step) reject(FailureTypes.wrongStep, `the case is at step "${step}", not "${target}"`);
    if (hold) reject(FailureTypes.wrongStep, `the case is on hold since ${hold.since} (${hold.reason}): resume it first`);
    const meta = STEP_META[target as AdmissionStep];
    rule(() => assertSigner(s.actor, chain, meta.signer, meta.label.en));
    rule(() => assertStepData(s.data, { today: today(), facts, candidatePersonId: input.personId, over60 }));
  };

  // Handlers first, before any await. Validators are synchronous: a throw rejects only that update.
  setHandler(caseStatusQuery, snapshot);
  setHandler(calendarChangedSignal, () => deadlines.markStale());
  setHandler(awaitCaseRecordedUpdate, async () => {
    await condition(() => recorded || importFailure !== null);
    if (importFailure) refuse(FailureTypes.ruleViolated, importFailure.message, [{ field: `history.${importFailure.index}` }]);
    return snapshot();
  });
  setHandler(signStepUpdate, (s) => enqueue({ kind: 'sign', input: s }), { validator: validateSignOff });
  setHandler(holdCaseUpdate, (h) => enqueue({ kind: 'hold', reason: h.reason, actor: h.actor ?? null }), {
    validator: (h) => {
      assertOpen();
      if (hold) reject(FailureTypes.wrongStep, `the case is already on hold since ${hold.since}`);
      if (step === 'probation') reject(FailureTypes.ruleViolated, 'probation runs its 12 calendar months: it cannot be put on hold');
      if (typeof h?.reason !== 'string' || !h.reason.trim()) reject(FailureTypes.ruleViolated, 'a hold needs a reason');
    },
  });
  setHandler(resumeCaseUpdate, (r) => enqueue({ kind: 'resume', actor: r?.actor ?? null }), {
    validator: (_r) => {
      assertOpen();
      if (!hold) reject(FailureTypes.wrongStep, 'the case is not on hold');
    },
  });
  setHandler(transferCaseUpdate, (t) => enqueue({ kind: 'transfer', organizationId: t.organizationId, chain: t.chain, actor: t.actor ?? null }), {
    validator: (t) => {
      assertOpen();
      if (t?.organizationId === organizationId) reject(FailureTypes.ruleViolated, 'the case already belongs to that organization');
      if (!t?.chain?.cell || t.chain.cell.organizationId !== t.organizationId) reject(FailureTypes.ruleViolated, 'the new organization must be a cell with its approval chain');
    },
  });
  setHandler(extendDeadlineUpdate, (e) => enqueue({ kind: 'extend', step: e.step, reason: e.reason, actor: e.actor ?? null }), {
    validator: (e) => {
      assertOpen();
      if (e?.step !== step) reject(FailureTypes.wrongStep, `an extension is for the open ${step} step, not ${e?.step}`);
      if (step !== 'decision' && step !== 'recognition-decision') reject(FailureTypes.ruleViolated, 'only decision deadlines can be extended');
      const already = step === 'decision' ? facts.decisionExtended : facts.recognitionExtended;
      if (already) reject(FailureTypes.ruleViolated, `the ${step} deadline was already extended once (+${RULES.decisionExtensionWorkingDays} working days at most)`);
    },
  });
  setHandler(recordProvincialConsentUpdate, (c) => enqueue({ kind: 'consent', documentNo: c.documentNo, on: c.on, actor: c.actor ?? null }), {
    validator: (c) => {
      assertOpen();
      if (ADMITTED_STEPS.has(step!)) reject(FailureTypes.wrongStep, 'the candidate is already admitted');
      if (typeof c?.documentNo !== 'string' || !c.documentNo.trim()) reject(FailureTypes.ruleViolated, 'documentNo is required');
      if (typeof c?.on !== 'string' || c.on > today()) reject(FailureTypes.ruleViolated, 'on must be a date, not in the future');
    },
  });
  setHandler(withdrawCaseUpdate, (w) => enqueue({ kind: 'withdraw', reason: w.reason, actor: w.actor ?? null }), { validator: (_w) => assertOpen() });

  const searchAttributes = () =>
    input.searchAttributes !== false &&
    clock === null &&
    upsertSearchAttributes([
      { key: CaseTypeKey, value: 'admission' },
      { key: CaseStepKey, value: step ?? status },
      { key: CaseOrganizationKey, value: organizationId },
      { key: CaseDueOnKey, value: current()?.dueOn ?? '' },
    ]);

  /** The open step's due date: its deadline counted from its base date, plus extension and paused days. */
  const computeDue = async (s: AdmissionStep): Promise<IsoDate | null> => {
    const meta = STEP_META[s];
    if (s === 'probation') return facts.probationEndsOn ?? null;
    if (!meta.deadline || (s === 'cell-vote' && parkedInSourcePool)) return null;
    const base =
      meta.deadline.from === 'entered'
        ? current()!.enteredOn
        : meta.deadline.from === 'cell-resolution'
          ? facts.cellResolutionOn
          : meta.deadline.from === 'decision-received'
            ? facts.decisionReceivedOn
            : meta.deadline.from === 'probation-end'
              ? facts.probationEndsOn
              : (facts.recognitionResolutionOn ?? current()!.enteredOn);
    const extended = (s === 'decision' && facts.decisionExtended) || (s === 'recognition-decision' && facts.recognitionExtended);
    const days = meta.deadline.workingDays + (extended ? RULES.decisionExtensionWorkingDays : 0) + paused.get(meta.deadline.from);
    return deadlines.due(base ?? current()!.enteredOn, days);
  };

  const refreshDue = async (always = false) => {
    const s = current();
    if (!s || step === null) return;
    const due = await computeDue(step);
    if (always || due !== s.dueOn) {
      s.dueOn = due;
      await esc.update(String(steps.length), step, due);
      await log.write({ kind: 'step-due-changed', step, dueOn: due });
      await searchAttributes();
    }
  };

  const enter = async (next: AdmissionStep) => {
    step = next;
    paused.reset('entered');
    if (next === 'introduction') parkedInSourcePool = false;
    steps.push({ step: next, enteredOn: today(), dueOn: null });
    const due = await computeDue(next);
    current()!.dueOn = due;
    await esc.update(String(steps.length), next, due);
    await log.write({ kind: 'step-entered', step: next, dueOn: due }); // with the previous step's completion: one activity per transition
    await searchAttributes();
  };

  const note = async (n: string, data: Record<string, unknown>, actor: ActorRef | null, extra: { organizationId?: string } = {}) => {
    await log.write({ kind: 'case-noted', step, note: n, data, actor, ...extra });
  };

  const close = async (final: Exclude<CaseStatus, 'open'>, reason: string, actor: ActorRef | null) => {
    await log.write({ kind: 'case-closed', status: final, reason, actor });
    status = final;
    step = null;
    await esc.update(String(steps.length), null, null);
    await searchAttributes();
  };

  /**
   * Wait for the sign-off of the open step (or the end of `until`, for probation), applying side requests
   * as they come. Returns the sign-off, 'timer' when `until` passed, 'closed' after a withdrawal, or the step
   * to go to after a transfer.
   */
  const waitForStep = async (
    untilMs?: number,
  ): Promise<{ sign: SignStepInput; item: Queued<Request> } | 'timer' | 'closed' | { goto: AdmissionStep; item: Queued<Request> }> => {
    for (;;) {
      const ready = () => queue.hasPending || deadlines.isStale;
      const rungAt = esc.wakeAt(hold !== null);
      const wakeAt = earliest(untilMs, rungAt);
      const timeout = wakeAt === undefined ? undefined : Math.max(0, wakeAt - Date.now());
      const woke = timeout === undefined ? (await condition(ready), true) : await condition(ready, timeout);
      if (!woke) {
        if (rungAt !== undefined && Date.now() >= rungAt && (await esc.fireDue())) continue;
        return 'timer';
      }
      if (deadlines.isStale) {
        deadlines.acknowledge();
        await refreshDue();
        continue;
      }
      const item = queue.next()!;
      const r = item.request;
      const finish = () => {
        item.done = true;
      };
      switch (r.kind) {
        case 'sign': {
          const target = r.input.data.step;
          if (target === 'probation' && COURSE_STEPS.has(step)) {
            facts.newMemberCourseOn = (r.input.data as Extract<StepData, { step: 'probation' }>).newMemberCourseOn;
            await note('new-member-course', { newMemberCourseOn: facts.newMemberCourseOn }, r.input.actor);
            finish();
            continue;
          }
          if (target !== step || hold) {
            item.error = { type: FailureTypes.wrongStep, message: `the case moved on: it is at step "${step}"${hold ? ' and on hold' : ''}` };
            finish();
            continue;
          }
          // Checked again now: a transfer or another sign-off queued before it may have changed the case.
          try {
            const meta = STEP_META[target];
            assertSigner(r.input.actor, chain, meta.signer, meta.label.en);
            assertStepData(r.input.data, { today: today(), facts, candidatePersonId: input.personId, over60 });
          } catch (err) {
            if (!(err instanceof RuleError)) throw err;
            item.error = { type: FailureTypes.ruleViolated, message: err.message };
            finish();
            continue;
          }
          // Marked done by the caller once the step change is recorded, so the update answers with it.
          return { sign: r.input, item };
        }
        case 'hold':
          hold = { since: today(), reason: r.reason };
          await note('hold', { reason: r.reason }, r.actor);
          finish();
          continue;
        case 'resume': {
          const since = hold!.since;
          hold = null;
          // The clock paused: the due date moves by the working days the case was on hold.
          const days = await deadlines.workingDaysBetween(since, today());
          paused.add(days, since, {
            entered: current()?.enteredOn,
            'cell-resolution': facts.cellResolutionOn,
            'decision-received': facts.decisionReceivedOn,
            'probation-end': facts.probationEndsOn,
            'recognition-resolution': facts.recognitionResolutionOn,
          });
          await note('resume', { heldSince: since, pausedWorkingDays: days }, r.actor);
          await refreshDue(true);
          finish();
          continue;
        }
        case 'transfer': {
          const from = organizationId;
          organizationId = r.organizationId;
          chain = r.chain;
          await note('transfer', { from, to: r.organizationId }, r.actor, { organizationId: r.organizationId });
          // Before admission the introducers must have worked with the candidate at the new unit: redo them.
          const pastIntroduction = ['opinions', 'cell-vote', 'partial-appraisal', 'committee-vote', 'decision'].includes(step!);
          if (pastIntroduction) return { goto: 'introduction', item };
          // A body the new chain lacks cannot sign: go on to the next step that exists.
          if (step === 'recognition-committee-vote' && !chain.grassrootsCommittee) return { goto: 'recognition-decision', item };
          await searchAttributes();
          finish();
          continue;
        }
        case 'extend':
          if (r.step === 'decision') facts.decisionExtended = true;
          else facts.recognitionExtended = true;
          await note('deadline-extended', { step: r.step, reason: r.reason, workingDays: RULES.decisionExtensionWorkingDays }, r.actor);
          await refreshDue();
          finish();
          continue;
        case 'consent':
          facts.provincialConsent = { documentNo: r.documentNo, on: r.on };
          await note('provincial-consent', { documentNo: r.documentNo, on: r.on }, r.actor);
          finish();
          continue;
        case 'withdraw':
          await close('withdrawn', r.reason, r.actor);
          finish();
          return 'closed';
      }
    }
  };

  const completed = async (s: SignStepInput, outcome: string, data: Record<string, unknown>) => {
    const record = current()!;
    record.completedOn = today();
    record.completedBy = s.actor.userId || null;
    record.outcome = outcome;
    log.stage({ kind: 'step-completed', step: step!, data: { ...data, outcome, ...(clock ? { imported: true } : {}) }, actor: { userId: s.actor.userId, ip: s.actor.ip } });
  };

  const recordMembership = async (m: Parameters<typeof membership.recordMembership>[0]) => {
    if (deferredMemberships) deferredMemberships.push(m);
    else await membership.recordMembership(m);
  };

  /** What a cell vote leads to: checked in this order (certificate age, file age, then the 2/3 rule). */
  const cellVoteOutcome = (d: Extract<StepData, { step: 'cell-vote' }>): 'certificate-expired' | 'file-stale' | 'failed' | 'passed' => {
    if (facts.certificateIssuedOn && addMonths(facts.certificateIssuedOn, RULES.certificateValidMonths) <= d.vote.heldOn) return 'certificate-expired';
    if (facts.fileBuiltOn && d.vote.heldOn > addMonths(facts.fileBuiltOn, RULES.fileValidMonths)) return 'file-stale';
    return votePasses(d.vote) ? 'passed' : 'failed';
  };

  /** The outcome a sign-off will have, for its papers (a failed vote issues no resolution). */
  const signOutcome = (d: StepData): string => {
    switch (d.step) {
      case 'cell-vote':
        return cellVoteOutcome(d);
      case 'committee-vote':
        return votePasses(d.vote) ? 'passed' : 'failed';
      // A resolution proposing to strike the member off is not the recognition resolution (13-/15-KNĐ).
      case 'recognition-cell-vote':
        return !votePasses(d.vote) ? 'failed' : d.proposal === 'strike-off' ? 'strike-off' : 'passed';
      case 'recognition-committee-vote':
        return !votePasses(d.vote) ? 'failed' : recognitionProposal === 'strike-off' ? 'strike-off' : 'passed';
      case 'decision':
      case 'recognition-decision':
        return d.decided;
      default:
        return 'done';
    }
  };

  /**
   * Issues the step's papers before the step is recorded. Missing data (a name, a place) refuses the
   * sign-off naming the fields, and the case stays at its step with nothing stored. True: refused.
   */
  const issuePapers = async (s: SignStepInput, item: Queued<Request>): Promise<boolean> => {
    const outcome = signOutcome(s.data);
    // Steps without papers, and failed votes or refusals, skip the activity (the history stays short).
    if (!PAPER_STEPS.has(s.data.step) || NO_PAPERS.has(outcome)) return false;
    const issued = await issueStepPapers(documents, item, {
      caseId: input.caseId,
      type: 'admission',
      issueKey: String(steps.length),
      data: s.data,
      outcome,
      chain,
      facts: { ...facts },
      actorUserId: s.actor.userId,
    });
    if (issued === null) return true;
    if (issued.length) current()!.documentIds = issued;
    return false;
  };

  /** Applies a sign-off: records it, keeps its facts, and names the next step (null: the case closed). */
  const apply = async (s: SignStepInput): Promise<AdmissionStep | null> => {
    const d = s.data;
    const actor = { userId: s.actor.userId, ip: s.actor.ip };
    const afterCellVote = (): AdmissionStep => (chain.partialCommittee ? 'partial-appraisal' : chain.grassrootsCommittee ? 'committee-vote' : 'decision');
    switch (d.step) {
      case 'source':
        await completed(s, 'done', { helperPersonId: d.helperPersonId });
        return 'awareness-course';
      case 'awareness-course': {
        facts.certificateIssuedOn = d.certificateIssuedOn;
        await completed(s, 'done', { certificateIssuedOn: d.certificateIssuedOn });
        const back = returnTo;
        returnTo = null;
        return back ?? 'application';
      }
      case 'application':
        facts.applicationOn = d.receivedOn;
        facts.fileBuiltOn = d.receivedOn;
        await completed(s, 'done', { receivedOn: d.receivedOn, biographySealedOn: d.biographySealedOn });
        return 'verification';
      case 'verification':
        await completed(s, d.result, { completedOn: d.completedOn });
        return 'introduction';
      case 'introduction':
        await completed(s, 'done', {
          introducedOn: d.introducedOn,
          introducers: d.introducers.map((i) => i.personId),
          union: d.unionResolution?.union ?? null,
        });
        return 'opinions';
      case 'opinions':
        await completed(s, 'done', { summarizedOn: d.summarizedOn });
        return 'cell-vote';
      case 'cell-vote': {
        const vote = { ...d.vote, candidateAgeMonths: d.candidateAgeMonths };
        switch (cellVoteOutcome(d)) {
          // A certificate 60 months old at the vote: the candidate retakes the course, then the cell votes again.
          case 'certificate-expired':
            await completed(s, 'certificate-expired', { certificateIssuedOn: facts.certificateIssuedOn });
            returnTo = 'cell-vote';
            return 'awareness-course';
          // A file older than 12 months at the vote: introductions and opinions are redone (HD 06-2025 5.4).
          case 'file-stale': {
            const expiredOn = addMonths(facts.fileBuiltOn!, RULES.fileValidMonths);
            await completed(s, 'file-stale', { fileBuiltOn: facts.fileBuiltOn, expiredOn });
            facts.fileBuiltOn = d.vote.heldOn;
            return 'introduction';
          }
          case 'failed':
            facts.failedCellVotes += 1;
            facts.lastFailedCellVoteOn = d.vote.heldOn;
            await completed(s, 'failed', vote);
            parkedInSourcePool = true;
            return 'cell-vote';
          case 'passed':
            parkedInSourcePool = false;
            facts.cellResolutionOn = d.vote.heldOn;
            paused.reset('cell-resolution');
            facts.candidateAgeMonthsAtVote = d.candidateAgeMonths;
            over60 = d.candidateAgeMonths > RULES.maxAgeMonths;
            await completed(s, 'passed', vote);
            return afterCellVote();
        }
        throw new Error('unreachable: every cell-vote outcome returns');
      }
      case 'partial-appraisal':
        // An appraisal report (7-KNĐ) advises; the grassroots committee votes either way.
        await completed(s, d.recommendation, { reportedOn: d.reportedOn });
        return chain.grassrootsCommittee ? 'committee-vote' : 'decision';
      case 'committee-vote':
        if (!votePasses(d.vote)) {
          await completed(s, 'failed', { ...d.vote });
          await close('rejected', 'the grassroots committee did not reach two thirds; the cell is notified', actor);
          return null;
        }
        await completed(s, 'passed', { ...d.vote });
        return 'decision';
      case 'decision':
        if (d.decided === 'reject') {
          await completed(s, 'rejected', { number: d.number, issuedOn: d.issuedOn });
          await close('rejected', 'the competent committee decided not to admit; the cell is notified', actor);
          return null;
        }
        facts.decisionNumber = d.number;
        facts.decisionOn = d.issuedOn;
        facts.decisionReceivedOn = d.receivedByCellOn;
        await completed(s, 'admitted', { number: d.number, issuedOn: d.issuedOn, receivedByCellOn: d.receivedByCellOn });
        // Party age counts from the date of the admission decision.
        await recordMembership({ caseId: input.caseId, personId: input.personId, memberStatus: 'probationary', admittedOn: d.issuedOn });
        return 'ceremony';
      case 'ceremony':
        facts.ceremonyOn = d.heldOn;
        // Probation: 12 calendar months from the ceremony (same day number, or the month's last day).
        facts.probationEndsOn = addMonths(d.heldOn, RULES.probationMonths);
        await completed(s, 'held', { heldOn: d.heldOn, helperPersonId: d.helperPersonId, probationEndsOn: facts.probationEndsOn });
        return 'probation';
      case 'probation':
        return 'probation'; // the course is recorded while waiting; never a completion
      case 'recognition-review':
        await completed(s, 'done', { selfReviewOn: d.selfReviewOn, helperAssessmentOn: d.helperAssessmentOn, opinionsOn: d.opinionsOn });
        return 'recognition-cell-vote';
      case 'recognition-cell-vote':
        if (!votePasses(d.vote)) {
          facts.failedRecognitionVotes += 1;
          facts.lastFailedRecognitionVoteOn = d.vote.heldOn;
          await completed(s, 'failed', { ...d.vote, proposal: d.proposal, attempt: facts.failedRecognitionVotes });
          // After three votes without two thirds the competent committee decides (QĐ 29 4.2, kept since).
          return facts.failedRecognitionVotes >= RULES.maxRecognitionVotes ? 'recognition-decision' : 'recognition-cell-vote';
        }
        recognitionProposal = d.proposal;
        facts.recognitionResolutionOn = d.vote.heldOn;
        await completed(s, 'passed', { ...d.vote, proposal: d.proposal });
        return chain.grassrootsCommittee ? 'recognition-committee-vote' : 'recognition-decision';
      case 'recognition-committee-vote':
        await completed(s, votePasses(d.vote) ? 'passed' : 'failed', { ...d.vote, proposal: recognitionProposal });
        return 'recognition-decision';
      case 'recognition-decision':
        facts.recognitionNumber = d.number;
        if (d.decided === 'strike-off') {
          await completed(s, 'struck-off', { number: d.number, issuedOn: d.issuedOn });
          await recordMembership({ caseId: input.caseId, personId: input.personId, memberStatus: 'struck-off' });
          await close('struck-off', 'struck off the list of probationary members', actor);
          return null;
        }
        // Late meetings do not hurt the member: full membership dates from the end of probation.
        facts.fullMemberOn = facts.probationEndsOn;
        await completed(s, 'recognized', { number: d.number, issuedOn: d.issuedOn, fullMemberOn: facts.fullMemberOn });
        await recordMembership({ caseId: input.caseId, personId: input.personId, memberStatus: 'full', fullMemberOn: facts.fullMemberOn });
        await close('completed', 'recognised as a full member', actor);
        return null;
    }
  };

  /** An imported case's probation ended on paper: recorded on the day after its end, as the timer would. */
  const endProbation = async () => {
    clock = fromDayNumber(toDayNumber(facts.probationEndsOn!) + 1);
    current()!.completedOn = clock;
    current()!.outcome = 'ended';
    log.stage({ kind: 'step-completed', step: 'probation', data: { probationEndsOn: facts.probationEndsOn, outcome: 'ended', imported: true }, actor: null });
    await enter('recognition-review');
  };

  /**
   * Applies an imported history on its own dates, by the rules a live sign-off meets (papers were issued
   * on paper then, so none are issued now). Returns the first problem, or null when all of it holds.
   */
  const applyHistory = async (history: readonly ImportedStep[]): Promise<{ index: number; message: string } | null> => {
    const importer: SignActor = { userId: input.openedBy?.userId ?? '', ip: input.openedBy?.ip ?? null, staff: true, bodies: [] };
    const realToday = vietnamDate(Date.now());
    for (const [index, h] of history.entries()) {
      const at = `history.${index} (${h.data?.step})`;
      if (typeof h.signedOn !== 'string' || h.signedOn < clock! || h.signedOn > realToday) {
        return { index, message: `${at}: signedOn ${h.signedOn} must fall between the step before it (${clock}) and today` };
      }
      // Probation ends by itself, twelve months after the ceremony: whatever comes after its end, it ended first.
      if (step === 'probation' && h.signedOn > facts.probationEndsOn!) await endProbation();
      else if (step === 'probation' && h.data.step !== 'probation') return { index, message: `${at}: signed before the probation ends on ${facts.probationEndsOn}` };
      const on: IsoDate = h.signedOn;
      clock = on;
      const course = h.data.step === 'probation' && COURSE_STEPS.has(step);
      if (!course && h.data.step !== step) return { index, message: `${at}: the case is at step ${step} then, not ${h.data.step}` };
      try {
        assertStepData(h.data, { today: on, facts, candidatePersonId: input.personId, over60 });
      } catch (err) {
        if (err instanceof RuleError) return { index, message: `${at}: ${err.message}` };
        throw err;
      }
      if (course) {
        facts.newMemberCourseOn = (h.data as Extract<StepData, { step: 'probation' }>).newMemberCourseOn;
        await note('new-member-course', { newMemberCourseOn: facts.newMemberCourseOn, imported: true }, input.openedBy ?? null);
        continue;
      }
      const from = step;
      const next = await apply({ data: h.data, actor: importer });
      if (next === null) return index === history.length - 1 ? null : { index: index + 1, message: `history.${index + 1}: the case closed at the step before` };
      if (next !== 'probation' || from !== 'probation') await enter(next);
    }
    return null;
  };

  // ---- the path --------------------------------------------------------------------------------------
  const history = input.history ?? [];
  if (history.length) {
    // Everything the history writes is held back until all of it has passed the rules.
    clock = input.openedOn ?? history[0]!.signedOn;
    log.hold(() => today());
    deferredMemberships = [];
  }
  await log.write({
    kind: 'case-opened',
    workflowId: workflowInfo().workflowId,
    type: 'admission',
    organizationId,
    personId: input.personId,
    ruleSet: input.ruleSet,
    step: 'source',
    actor: input.openedBy ?? null,
  });
  steps.push({ step: 'source', enteredOn: today(), dueOn: null });
  if (history.length) {
    importFailure = await applyHistory(history);
    // A probation that ended before the import ends in it too, on its own date (not the day of the import).
    if (!importFailure && (step as AdmissionStep | null) === 'probation' && facts.probationEndsOn! < vietnamDate(Date.now())) await endProbation();
    if (importFailure) {
      // Refused whole: nothing was written; the update that started the case answers with the reason.
      await condition(allHandlersFinished);
      return snapshot();
    }
    await log.release();
    for (const m of deferredMemberships!) await membership.recordMembership(m);
    deferredMemberships = null;
    clock = null;
  }
  recorded = true;
  await searchAttributes();

  // An imported history may end with the case closed (a refusal, a recognition): then there is nothing to wait for.
  while (status === 'open') {
    const s = step as AdmissionStep;
    let outcome: Awaited<ReturnType<typeof waitForStep>>;
    if (s === 'probation') {
      // Wake when the 12 months are over: at 00:00 in Vietnam on the day after the probation's last day.
      const wakeAt = (toDayNumber(facts.probationEndsOn!) + 1) * 86_400_000 - 7 * 3_600_000;
      outcome = await waitForStep(wakeAt);
      if (outcome === 'timer') {
        current()!.completedOn = today();
        current()!.outcome = 'ended';
        log.stage({ kind: 'step-completed', step: 'probation', data: { probationEndsOn: facts.probationEndsOn, outcome: 'ended' }, actor: null });
        await enter('recognition-review');
        continue;
      }
    } else {
      outcome = await waitForStep();
    }
    if (outcome === 'closed') break;
    if (outcome === 'timer') continue;
    if ('goto' in outcome) {
      await enter(outcome.goto);
      outcome.item.done = true; // answered once the new step is recorded
      continue;
    }
    // Cases started before step documents existed get them from their next sign-off on.
    if (patched('step-documents') && (await issuePapers(outcome.sign, outcome.item))) continue;
    const next = await apply(outcome.sign);
    if (next !== null && (next !== 'probation' || s !== 'probation')) await enter(next);
    outcome.item.done = true;
    if (next === null) break;
  }

  // The case closed: requests accepted meanwhile get an answer instead of waiting forever.
  queue.failPending(FailureTypes.caseClosed, `the case is ${status}`);
  await condition(allHandlersFinished);
  await esc.finished();
  return snapshot();
}
