import { ApplicationFailure, allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { addMonths, isIsoDate, type IsoDate } from './calendar/dates.js';
import { vietnamDate } from './calendar/work-calendar.js';
import { CaseLog } from './case-log.js';
import { Deadlines } from './deadlines.js';
import {
  ADMISSION_STEP_DEADLINES,
  assignHelperUpdate,
  AWARENESS_CERTIFICATE_VALID_MONTHS,
  awaitCaseRecordedUpdate,
  calendarChangedSignal,
  caseStatusQuery,
  FailureTypes,
  recordAwarenessCourseUpdate,
  withdrawCaseUpdate,
  type AdmissionInput,
  type AdmissionStep,
  type AssignHelperInput,
  type AwarenessCourseInput,
  type CaseSnapshot,
  type CaseStatus,
  type WithdrawInput,
} from './definitions.js';

/**
 * The first version of the admission path, kept so that cases started before the full procedure
 * (patch `admission-full-procedure`) replay exactly as they ran. Do not change: it is history.
 *
 * Implemented so far: `source` (the cell assigns a helper member) → `awareness-course` (certificate
 * recorded, valid 60 months) → `application` (due in 20 working days). The later steps follow the same
 * shape: enter the step with its due date, wait for the sign-off update, record it, move on.
 *
 * Messages: `caseStatus` (query); `awaitCaseRecorded`, `assignHelper`, `recordAwarenessCourse`,
 * `withdrawCase` (updates); `calendarChanged` (signal: reload the calendar, recompute the due date).
 */
export async function admissionWorkflowV1(input: AdmissionInput): Promise<CaseSnapshot> {
  const log = new CaseLog(input.caseId);
  const deadlines = new Deadlines();
  let step: AdmissionStep | null = 'source';
  let stepEnteredOn: IsoDate = vietnamDate(Date.now());
  let dueOn: IsoDate | null = null;
  let status: CaseStatus = 'open';
  let recorded = false;
  let helper: AssignHelperInput | undefined;
  let certificate: AwarenessCourseInput | undefined;
  let withdrawal: WithdrawInput | undefined;

  const snapshot = (): CaseSnapshot => ({ caseId: input.caseId, type: 'admission', status, step, dueOn, recorded });
  const reject = (type: string, message: string) => {
    throw ApplicationFailure.create({ type, message });
  };
  const assertOpen = () => {
    if (status !== 'open' || withdrawal) reject(FailureTypes.caseClosed, `the case is ${status === 'open' ? 'being withdrawn' : status}`);
  };
  const assertAt = (expected: AdmissionStep) => {
    assertOpen();
    if (step !== expected) reject(FailureTypes.wrongStep, `the case is at step "${step}", not "${expected}"`);
  };

  /** Enter a step: its due date counts from today (Vietnam), the day itself not counted. */
  const enterStep = async (next: AdmissionStep) => {
    const today = vietnamDate(Date.now());
    const due = await deadlines.due(today, ADMISSION_STEP_DEADLINES[next]);
    await log.record({ kind: 'step-entered', step: next, dueOn: due });
    step = next;
    stepEnteredOn = today;
    dueOn = due;
  };

  /** Wait until `done()`, recomputing the open step's due date whenever the calendar changes meanwhile. */
  const waitFor = async (done: () => boolean) => {
    for (;;) {
      await condition(() => done() || deadlines.isStale);
      if (done()) return;
      if (step === null || ADMISSION_STEP_DEADLINES[step] === undefined) {
        deadlines.acknowledge();
        continue;
      }
      const due = await deadlines.due(stepEnteredOn, ADMISSION_STEP_DEADLINES[step]);
      if (due !== dueOn) {
        await log.record({ kind: 'step-due-changed', step, dueOn: due });
        dueOn = due;
      }
    }
  };

  // Handlers first, before any await. Validators are synchronous: a throw rejects only that update.
  setHandler(caseStatusQuery, snapshot);
  setHandler(calendarChangedSignal, () => deadlines.markStale());
  setHandler(awaitCaseRecordedUpdate, async () => {
    await condition(() => recorded);
    return snapshot();
  });
  setHandler(
    assignHelperUpdate,
    async (a) => {
      helper = a;
      // Answer once the step change is in the read model, so the caller's next read sees it.
      await condition(() => step !== 'source' || status !== 'open');
      return snapshot();
    },
    { validator: (_a: AssignHelperInput) => assertAt('source') },
  );
  setHandler(
    recordAwarenessCourseUpdate,
    async (c) => {
      certificate = c;
      await condition(() => step !== 'awareness-course' || status !== 'open');
      return snapshot();
    },
    {
      validator: (c: AwarenessCourseInput) => {
        assertAt('awareness-course');
        const today = vietnamDate(Date.now());
        if (!isIsoDate(c?.certificateIssuedOn)) {
          reject(FailureTypes.ruleViolated, 'certificateIssuedOn must be a date YYYY-MM-DD');
        }
        if (c.certificateIssuedOn > today) reject(FailureTypes.ruleViolated, `certificateIssuedOn ${c.certificateIssuedOn} is in the future`);
        const expires = addMonths(c.certificateIssuedOn, AWARENESS_CERTIFICATE_VALID_MONTHS);
        if (expires < today) {
          reject(
            FailureTypes.ruleViolated,
            `the certificate issued on ${c.certificateIssuedOn} expired on ${expires} (valid ${AWARENESS_CERTIFICATE_VALID_MONTHS} months): the candidate must retake the course`,
          );
        }
      },
    },
  );
  setHandler(
    withdrawCaseUpdate,
    async (w) => {
      withdrawal = w;
      await condition(() => status !== 'open');
      return snapshot();
    },
    { validator: (_w: WithdrawInput) => assertOpen() },
  );

  await log.record({
    kind: 'case-opened',
    workflowId: workflowInfo().workflowId,
    type: 'admission',
    organizationId: input.organizationId,
    personId: input.personId,
    ruleSet: input.ruleSet,
    step: 'source',
    actor: input.openedBy ?? null,
  });
  recorded = true;

  await waitFor(() => helper !== undefined || withdrawal !== undefined);
  if (!withdrawal) {
    await log.record({ kind: 'step-completed', step: 'source', data: { helperPersonId: helper!.helperPersonId }, actor: helper!.actor ?? null });
    await log.record({ kind: 'step-entered', step: 'awareness-course' });
    step = 'awareness-course';

    await waitFor(() => certificate !== undefined || withdrawal !== undefined);
    if (!withdrawal) {
      await log.record({
        kind: 'step-completed',
        step: 'awareness-course',
        data: { certificateIssuedOn: certificate!.certificateIssuedOn },
        actor: certificate!.actor ?? null,
      });
      await enterStep('application');
    }
  }

  // Later steps land here (issue 5); until then an open case waits for withdrawal.
  await waitFor(() => withdrawal !== undefined);
  await log.record({ kind: 'case-closed', status: 'withdrawn', reason: withdrawal!.reason, actor: withdrawal!.actor ?? null });
  status = 'withdrawn';
  step = null;
  dueOn = null;
  await condition(allHandlersFinished);
  return snapshot();
}
