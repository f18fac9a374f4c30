/** HTTP errors with a stable JSON body, and the mapping of Temporal client errors to HTTP statuses. */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { FailureTypes } from '../workflows/definitions.js';

export interface FieldError {
  /** Dotted path of the field in the request, e.g. `person.dateOfBirth`, or the query parameter name. */
  readonly field: string;
  /** Short machine-readable rule, e.g. `required`, `date`, `max_length`. */
  readonly rule: string;
  readonly message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: readonly FieldError[],
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) } };
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} was not found`);

/** A step's papers lack data: 422 naming each missing field, its form and where to fill it in. */
export function missingDocumentData(failure: ApplicationFailure): HttpError {
  const fields = (failure.details ?? []).flatMap((d) => {
    const m = d as { form?: unknown; field?: unknown; source?: unknown };
    return typeof m?.field === 'string'
      ? [{ field: m.field, rule: 'required', message: `${String(m.form)} needs it${typeof m.source === 'string' ? `: ${m.source}` : ''}` }]
      : [];
  });
  return new HttpError(422, 'missing_document_data', failure.message, fields);
}

/** Translate what the Temporal client throws into an HttpError, or undefined when it is not a client outcome. */
export function fromTemporalError(err: unknown): HttpError | undefined {
  if (err instanceof WorkflowNotFoundError) return notFound('The case');
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new HttpError(409, 'already_started', 'A case with this id is already running');
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const failure = err.cause;
    switch (failure.type) {
      case FailureTypes.wrongStep:
        return new HttpError(409, 'wrong_step', failure.message);
      case FailureTypes.caseClosed:
        return new HttpError(409, 'case_closed', failure.message);
      case FailureTypes.ruleViolated:
        return new HttpError(422, 'rule_violated', failure.message);
      case FailureTypes.missingDocumentData:
        return missingDocumentData(failure);
      default:
        return new HttpError(422, 'rejected', failure.message);
    }
  }
  return undefined;
}
