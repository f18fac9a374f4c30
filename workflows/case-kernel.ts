/**
 * The pieces every case workflow shares: a queue of accepted requests that the main body applies in order
 * (so it alone writes the read model and events keep their sequence), the pause clock of holds, and the
 * way an update is refused. Used by the admission and the cell-establishment workflows.
 */
import { ActivityFailure, ApplicationFailure, condition } from '@temporalio/workflow';
import { RuleError } from './admission-rules.js';
import { FailureTypes, type StepDocumentsRequest } from './definitions.js';
import type { documents as DocumentsProxy } from './proxies.js';

/** Refuses an update (only that update): the API maps the type to 409/422. */
export const refuse = (type: string, message: string, details?: unknown[]): never => {
  throw ApplicationFailure.create({ type, message, details });
};

/** Runs a rule check; a RuleError refuses the update with the rule's message. */
export function checkRule(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleError) refuse(FailureTypes.ruleViolated, err.message);
    throw err;
  }
}

export interface Queued<R> {
  readonly request: R;
  done: boolean;
  error?: { readonly type: string; readonly message: string; readonly details?: unknown[] };
}

/**
 * Update handlers put accepted requests here and wait; the main body takes them in order, applies them and
 * marks them done (or failed, when the case changed meanwhile). Every request gets an answer.
 */
export class RequestQueue<R extends { readonly kind: string }> {
  private readonly items: Array<Queued<R>> = [];

  /** Queue a request; resolve with `answer()` once applied, or refuse with the error it was failed with. */
  async submit<T>(request: R, answer: () => T): Promise<T> {
    const item: Queued<R> = { request, done: false };
    this.items.push(item);
    await condition(() => item.done);
    if (item.error) refuse(item.error.type, item.error.message, item.error.details);
    return answer();
  }

  get hasPending(): boolean {
    return this.items.some((q) => !q.done);
  }

  /** The oldest request not yet applied. */
  next(): Queued<R> | undefined {
    return this.items.find((q) => !q.done);
  }

  /** True when a request of this kind was accepted (applied or not). */
  has(kind: R['kind']): boolean {
    return this.items.some((q) => q.request.kind === kind);
  }

  /** Answers every request not yet applied with this error (the case closed). */
  failPending(type: string, message: string): void {
    for (const q of this.items) {
      if (!q.done) {
        q.error = { type, message };
        q.done = true;
      }
    }
  }
}

/**
 * Working days a case spent on hold, by the date a deadline counts from: a hold moves every deadline that
 * was already running when it began.
 */
export class PauseClock<Base extends string> {
  private readonly days: Record<string, number> = {};

  get(base: Base): number {
    return this.days[base] ?? 0;
  }

  reset(base: Base): void {
    this.days[base] = 0;
  }

  /** Adds `days` to each base whose date is known and not after the hold's start. */
  add(days: number, since: string, bases: Readonly<Record<Base, string | undefined>>): void {
    for (const base of Object.keys(bases) as Base[]) {
      const date = bases[base];
      if (date !== undefined && date <= since) this.days[base] = this.get(base) + days;
    }
  }
}

/**
 * Issues a signed step's papers. Returns their ids, or null when data was missing: the request is then
 * answered with the missing fields and the step stays where it is (nothing was stored).
 */
export async function issueStepPapers(
  proxy: typeof DocumentsProxy,
  item: Queued<{ readonly kind: string }>,
  request: StepDocumentsRequest,
): Promise<string[] | null> {
  try {
    const { documents } = await proxy.issueStepDocuments(request);
    return documents.map((d) => d.id);
  } catch (err) {
    // A local activity's failure may arrive wrapped in an ActivityFailure or as the ApplicationFailure itself.
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && cause.type === FailureTypes.missingDocumentData) {
      item.error = { type: FailureTypes.missingDocumentData, message: cause.message, details: [...(cause.details ?? [])] };
      item.done = true;
      return null;
    }
    throw err;
  }
}
