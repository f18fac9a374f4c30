import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { fromTemporalError } from '../../api/http-errors.js';
import { FailureTypes } from '../../workflows/definitions.js';

const rejected = (type: string) =>
  new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type, message: `because ${type}` }));

describe('fromTemporalError', () => {
  it.each([
    [new WorkflowNotFoundError('gone', 'admission:x', undefined), 404, 'not_found'],
    [new WorkflowExecutionAlreadyStartedError('dup', 'admission:x', 'admissionWorkflow'), 409, 'already_started'],
    [rejected(FailureTypes.wrongStep), 409, 'wrong_step'],
    [rejected(FailureTypes.caseClosed), 409, 'case_closed'],
    [rejected(FailureTypes.ruleViolated), 422, 'rule_violated'],
    [rejected('SomethingElse'), 422, 'rejected'],
  ])('maps %s to %i', (err, status, code) => {
    const mapped = fromTemporalError(err);
    expect(mapped?.status).toBe(status);
    expect(mapped?.code).toBe(code);
  });

  it('keeps the validator’s reason as the message', () => {
    expect(fromTemporalError(rejected(FailureTypes.wrongStep))?.message).toBe(`because ${FailureTypes.wrongStep}`);
  });

  it('leaves other errors alone (they become 500s)', () => {
    expect(fromTemporalError(new Error('boom'))).toBeUndefined();
  });
});
