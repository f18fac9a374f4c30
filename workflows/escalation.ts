/**
 * The escalation ladder of an open step (DESIGN.md §5): rungs at offsets in working days from the due date,
 * each mailing its recipients once. The workflow keeps one timer for the next rung; a sign-off moves to a
 * new step (the old step's remaining rungs are dropped), a hold stops the ladder and a resume restarts it
 * from the moved due date. Recipients are resolved by the activity when the rung fires.
 */
import { patched } from '@temporalio/workflow';
import { toDayNumber, type IsoDate } from './calendar/dates.js';
import { vietnamDate } from './calendar/work-calendar.js';
import type { CaseType } from './definitions.js';
import type { Deadlines } from './deadlines.js';
import type { ChainLink } from './org/tree.js';
import { escalation, escalationPolicy } from './proxies.js';

/** Who a rung mails: the step's actor, the organization's secretary, the upper organizing board, the standing committee. */
export type RungRecipient = 'actor' | 'secretary' | 'organizing-board' | 'standing-committee';

export interface Rung {
  readonly name: string;
  /** Working days from the due date (negative: before it). */
  readonly offsetWorkingDays: number;
  readonly to: readonly RungRecipient[];
}

export const DEFAULT_LADDER: readonly Rung[] = [
  { name: 'reminder', offsetWorkingDays: -5, to: ['actor'] },
  { name: 'level-1', offsetWorkingDays: 0, to: ['actor', 'secretary'] },
  { name: 'level-2', offsetWorkingDays: 5, to: ['organizing-board'] },
  { name: 'level-3', offsetWorkingDays: 15, to: ['standing-committee'] },
];

/** Ladders by step ('*': the case type's default); loaded once per case by an activity. */
export type LadderPolicy = Readonly<Record<string, readonly Rung[]>>;

/** What the escalation activity gets: ids, step, dates (no personal data: it stays in the history). */
export interface EscalationRequest {
  readonly caseId: string;
  readonly caseType: CaseType;
  readonly step: string;
  /** The step's entry in the case (a step entered twice has two ladders). */
  readonly stepKey: string;
  readonly rung: Rung;
  readonly dueOn: IsoDate;
  readonly firedOn: IsoDate;
  /** Working days past the due date on `firedOn` (0 at or before it). */
  readonly daysOverdue: number;
  /** The body that signs the step; null: the organizing staff of the case's organization. */
  readonly actor: ChainLink | null;
}

/** What an escalation (or digest) run stored; the outbox relay delivers it (see `email_outbox.status`). */
export interface EscalationResult {
  readonly recipients: number;
  /** Messages this run added to the outbox (0 when an earlier attempt stored them). */
  readonly stored: number;
  /** 'local': no SMTP server; the messages stay in the outbox. */
  readonly delivery: 'smtp' | 'local';
}

/** The earlier of two optional wake-up times. */
export const earliest = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** Rungs fire at 08:00 in Vietnam (UTC+7) on their working day. */
export const RUNG_HOUR_UTC = 1;
const rungTime = (date: IsoDate) => toDayNumber(date) * 86_400_000 + RUNG_HOUR_UTC * 3_600_000;

interface Planned {
  readonly rung: Rung;
  readonly on: IsoDate;
  readonly atMs: number;
}

export class Ladder {
  private policy: LadderPolicy | undefined;
  private plan: Planned[] = [];
  private key = '';
  private step = '';
  private dueOn: IsoDate | null = null;
  /** Rungs fired, by step entry: a recomputed plan (calendar change, resume) never fires one twice. */
  private readonly fired = new Set<string>();

  constructor(
    private readonly deadlines: Deadlines,
    private readonly loadPolicy: () => Promise<LadderPolicy>,
  ) {}

  /** Plans the rungs of the open step from its due date (null due date, or on hold: no rungs). */
  async schedule(stepKey: string, step: string, dueOn: IsoDate | null): Promise<void> {
    this.key = stepKey;
    this.step = step;
    this.dueOn = dueOn;
    this.plan = [];
    if (!dueOn) return;
    this.policy ??= await this.loadPolicy();
    const rungs = this.policy[step] ?? this.policy['*'] ?? DEFAULT_LADDER;
    for (const rung of rungs) {
      if (this.fired.has(`${stepKey}:${rung.name}`)) continue;
      const on = await this.deadlines.shift(dueOn, rung.offsetWorkingDays);
      this.plan.push({ rung, on, atMs: rungTime(on) });
    }
    this.plan.sort((a, b) => a.atMs - b.atMs);
  }

  /** Stops the ladder (hold, closed case) until the next `schedule`. */
  clear(): void {
    this.plan = [];
  }

  /** When the next rung is due, or undefined. */
  get nextAtMs(): number | undefined {
    return this.plan[0]?.atMs;
  }

  /**
   * The rungs due at `nowMs`, removed from the plan and marked fired. Several at once (a worker down for
   * days, a resume long after the due date) are all returned, each once.
   */
  take(nowMs: number): Array<{ rung: Rung; stepKey: string; step: string; dueOn: IsoDate; on: IsoDate }> {
    const due = this.plan.filter((p) => p.atMs <= nowMs);
    this.plan = this.plan.filter((p) => p.atMs > nowMs);
    return due.map((p) => {
      this.fired.add(`${this.key}:${p.rung.name}`);
      return { rung: p.rung, stepKey: this.key, step: this.step, dueOn: this.dueOn!, on: p.on };
    });
  }
}

/** The patch that brought ladders to running cases: cases started before it get them from their next due date on. */
export const LADDER_PATCH = 'escalation-ladder';

/**
 * A case's ladder as the workflow drives it: `update` when the open step or its due date changes, `wakeAt`
 * in the wait loop, `fireDue` when the wait timed out. Sends run beside the case (a mail server that is down
 * delays the emails, never the sign-offs) and are awaited before the workflow returns.
 */
export class CaseEscalations {
  private readonly ladder: Ladder;
  private readonly sends: Array<Promise<unknown>> = [];

  constructor(
    private readonly caseId: string,
    private readonly caseType: CaseType,
    private readonly deadlines: Deadlines,
    private readonly actorOf: (step: string) => ChainLink | null,
  ) {
    this.ladder = new Ladder(deadlines, () => escalationPolicy.loadEscalationPolicy(caseType));
  }

  async update(stepKey: string, step: string | null, dueOn: IsoDate | null): Promise<void> {
    if (!patched(LADDER_PATCH)) return;
    if (step === null) this.ladder.clear();
    else await this.ladder.schedule(stepKey, step, dueOn);
  }

  /** When to wake for the next rung; undefined while on hold or with no rung left. */
  wakeAt(onHold: boolean): number | undefined {
    if (onHold || !patched(LADDER_PATCH)) return undefined;
    return this.ladder.nextAtMs;
  }

  /**
   * Fires the rung due now; true when one fired (the caller goes back to waiting). When several are due at
   * once (a ladder planned late: a step entered already overdue, a case that was running before ladders
   * existed) only the highest is sent, with the days overdue as of today; the lower ones are skipped.
   */
  async fireDue(): Promise<boolean> {
    const due = this.ladder.take(Date.now());
    const r = due.at(-1);
    if (!r) return false;
    const today = vietnamDate(Date.now());
    const daysOverdue = today > r.dueOn ? await this.deadlines.workingDaysBetween(r.dueOn, today) : 0;
    const request: EscalationRequest = {
      caseId: this.caseId,
      caseType: this.caseType,
      step: r.step,
      stepKey: r.stepKey,
      rung: r.rung,
      dueOn: r.dueOn,
      firedOn: today,
      daysOverdue,
      actor: this.actorOf(r.step),
    };
    // A refusal that retrying cannot fix (the case vanished from the read model), or a send given up after
    // ESCALATION_SENDS's limit, must not fail the case; the outbox keeps what happened.
    this.sends.push(escalation.escalateStep(request).catch(() => undefined));
    return true;
  }

  async finished(): Promise<void> {
    await Promise.all(this.sends);
  }
}
