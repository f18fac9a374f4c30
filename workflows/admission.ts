import { ApplicationFailure, allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { CaseLog } from './case-log.js';
import {
  assignHelperUpdate,
  awaitCaseRecordedUpdate,
  caseStatusQuery,
  FailureTypes,
  withdrawCaseUpdate,
  type AdmissionInput,
  type AdmissionStep,
  type AssignHelperInput,
  type CaseSnapshot,
  type CaseStatus,
} from './definitions.js';

/**
 * One candidate's path from outstanding worker to full member (DESIGN.md §4).
 *
 * Implemented so far: `source` (the cell assigns a helper member) → `awareness-course`. The later steps
 * follow the same shape: enter the step, wait for the sign-off update, record it, move on.
 *
 * Messages: `caseStatus` (query), `awaitCaseRecorded`, `assignHelper`, `withdrawCase` (updates).
 * Timers: none yet.
 */
export async function admissionWorkflow(input: AdmissionInput): Promise<CaseSnapshot> {
  const log = new CaseLog(input.caseId);
  let step: AdmissionStep | null = 'source';
  let status: CaseStatus = 'open';
  let recorded = false;
  let helper: AssignHelperInput | undefined;
  let withdrawal: { reason: string } | undefined;

  const snapshot = (): CaseSnapshot => ({ caseId: input.caseId, type: 'admission', status, step, recorded });
  const assertOpen = () => {
    if (status !== 'open' || withdrawal) {
      throw ApplicationFailure.create({ type: FailureTypes.caseClosed, message: `the case is ${status === 'open' ? 'being withdrawn' : status}` });
    }
  };
  const assertAt = (expected: AdmissionStep) => {
    assertOpen();
    if (step !== expected) {
      throw ApplicationFailure.create({
        type: FailureTypes.wrongStep,
        message: `the case is at step "${step}", not "${expected}"`,
      });
    }
  };

  // Handlers first, before any await. Validators are synchronous: a throw rejects only that update.
  setHandler(caseStatusQuery, snapshot);
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
    withdrawCaseUpdate,
    async (w) => {
      withdrawal = w;
      await condition(() => status !== 'open');
      return snapshot();
    },
    { validator: (_w: { reason: string }) => assertOpen() },
  );

  await log.record({
    kind: 'case-opened',
    workflowId: workflowInfo().workflowId,
    type: 'admission',
    organizationId: input.organizationId,
    personId: input.personId,
    ruleSet: input.ruleSet,
    step: 'source',
  });
  recorded = true;

  await condition(() => helper !== undefined || withdrawal !== undefined);
  if (helper && !withdrawal) {
    await log.record({ kind: 'step-completed', step: 'source', data: { helperPersonId: helper.helperPersonId } });
    await log.record({ kind: 'step-entered', step: 'awareness-course' });
    step = 'awareness-course';
  }

  // Later steps land here (issue 5); until then an open case waits for withdrawal.
  await condition(() => withdrawal !== undefined);
  await log.record({ kind: 'case-closed', status: 'withdrawn', reason: withdrawal!.reason });
  status = 'withdrawn';
  step = null;
  await condition(allHandlersFinished);
  return snapshot();
}
