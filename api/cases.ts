/**
 * CaseService: the only module that talks to the Temporal client. Routes call it with validated input and
 * the caller; it applies the access policy, starts and updates workflows, and reads the Postgres read model.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Pool } from '../infra/db/pool.js';
import * as q from '../infra/db/queries/cases.js';
import { chainNodes, getOrganization } from '../infra/db/queries/organizations.js';
import { approvalChain, TreeError, type ApprovalChain, type OrgNode } from '../workflows/org/tree.js';
import {
  awaitCaseRecordedUpdate,
  calendarChangedSignal,
  caseStatusQuery,
  caseWorkflowId,
  CURRENT_RULE_SET,
  extendDeadlineUpdate,
  holdCaseUpdate,
  recordProvincialConsentUpdate,
  resumeCaseUpdate,
  signStepUpdate,
  transferCaseUpdate,
  withdrawCaseUpdate,
  type ActorRef,
  type AdmissionInput,
  type CaseSnapshot,
  type CaseType,
  type CaseView,
  type EstablishmentStepData,
  type SignActor,
  type ImportedStep,
  type StepData,
  attachHostCellUpdate,
  establishmentStatusQuery,
  recordMemberTransferUpdate,
  signEstablishmentStepUpdate,
  WORKFLOW_TYPES,
} from '../workflows/definitions.js';
import { signerLink } from '../workflows/admission-rules.js';
import { STEP_META } from '../workflows/steps.js';
import { ageInFullMonths } from '../workflows/calendar/dates.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import { cachedWorkCalendar } from '../infra/db/queries/calendar.js';
import type { admissionWorkflow } from '../workflows/admission.js';
import type { cellEstablishmentWorkflow } from '../workflows/establishment.js';
import { canManage, canRead, canSign, readScope, type Principal } from './auth/policy.js';
import { fromTemporalError, HttpError, notFound } from './http-errors.js';
import { isCalendarDate } from './validation.js';
import { DEFAULT_WRITE_CONCURRENCY, gateWrites, type WriteLoad } from './write-gate.js';

export interface OpenAdmissionInput {
  readonly organizationId: string;
  readonly person: { readonly fullName: string; readonly dateOfBirth: string };
  /** A case id derived from a key (an import's row, an Idempotency-Key), so a retry cannot start it twice. */
  readonly caseId?: string;
  /** In-flight import: the day the case was opened on paper, and the steps signed since (in order). */
  readonly openedOn?: string | undefined;
  readonly history?: ReadonlyArray<{ readonly signedOn: string; readonly data: StepData }> | undefined;
}

export interface CaseDetail extends q.CaseRow {
  readonly person: { readonly fullName: string; readonly dateOfBirth: string } | null;
  readonly history: q.CaseEventRow[];
  readonly approvalChain: ApprovalChain | null;
  /** Establishment cases: the admission cases of people working in the enterprise. */
  readonly relatedAdmissions?: q.CaseRow[];
}

export interface CaseListPage {
  readonly items: Array<q.CaseRow & { readonly daysOverdue: number }>;
  /** Pass as `after` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface CaseListQuery extends Omit<q.CaseListFilter, 'after' | 'scope' | 'dueBefore' | 'dueBetween'> {
  readonly after?: string | undefined;
  /** Only open cases past their step's due date. */
  readonly overdue?: boolean | undefined;
  /** Only open cases due within this many working days from today. */
  readonly dueWithin?: number | undefined;
}

export interface OpenEstablishmentInput {
  /** The upper committee that handles the case; the new organization is created under it. */
  readonly organizationId: string;
  readonly enterpriseId: string;
  /** Imports only (not the API): a case id derived from the row, so a re-import cannot start it twice. */
  readonly caseId?: string;
}

export interface OwnerMeetingInput {
  readonly heldOn: string;
  readonly attendees: string;
  readonly outcome: 'consented' | 'declined' | 'undecided';
  readonly note?: string | undefined;
}

export interface CaseService {
  openAdmission(p: Principal, input: OpenAdmissionInput): Promise<CaseView>;
  openEstablishment(p: Principal, input: OpenEstablishmentInput): Promise<CaseView>;
  /** The case's type, if the caller may see it (404 otherwise). */
  caseType(p: Principal, caseId: string): Promise<CaseType>;
  signEstablishment(p: Principal, caseId: string, data: EstablishmentStepData): Promise<CaseView>;
  recordMemberTransfer(p: Principal, caseId: string, personId: string): Promise<CaseView>;
  attachHostCell(p: Principal, caseId: string, organizationId: string): Promise<CaseView>;
  ownerMeetings(p: Principal, caseId: string): Promise<q.OwnerMeetingRow[]>;
  addOwnerMeeting(p: Principal, caseId: string, m: OwnerMeetingInput): Promise<q.OwnerMeetingRow>;
  /** Sign the open step with its data (the API fills what it knows better than the caller: age, introducers' status). */
  sign(p: Principal, caseId: string, data: StepData): Promise<CaseSnapshot>;
  withdraw(p: Principal, caseId: string, reason: string): Promise<CaseView>;
  hold(p: Principal, caseId: string, reason: string): Promise<CaseView>;
  resume(p: Principal, caseId: string): Promise<CaseView>;
  transfer(p: Principal, caseId: string, organizationId: string): Promise<CaseSnapshot>;
  extendDeadline(p: Principal, caseId: string, step: 'decision' | 'recognition-decision', reason: string): Promise<CaseSnapshot>;
  recordProvincialConsent(p: Principal, caseId: string, documentNo: string, on: string): Promise<CaseSnapshot>;
  /** The workflow's own view (steps, due dates, chain, facts). */
  status(p: Principal, caseId: string): Promise<CaseView>;
  comments(p: Principal, caseId: string): Promise<q.CommentRow[]>;
  addComment(p: Principal, caseId: string, body: string): Promise<q.CommentRow>;
  list(p: Principal, query: CaseListQuery): Promise<CaseListPage>;
  get(p: Principal, caseId: string): Promise<CaseDetail>;
  /** The case's type and organization if it exists and the caller may see it (an idempotent create's retry). */
  existingCase(p: Principal, caseId: string): Promise<{ type: string; organizationId: string } | undefined>;
  /** Tell every open case due on or after `from` that the calendar changed; returns how many were told. */
  notifyCalendarChanged(from: string): Promise<number>;
  /** The write gate's load (operations that drive a workflow: running, waiting), for the metrics. */
  writeLoad?(): WriteLoad;
}

const actorOf = (p: Principal): ActorRef => ({ userId: p.userId, ip: p.ip });

/** The service's operations that start or update a workflow: they pass the write gate (api/write-gate.ts). */
const WORKFLOW_WRITES = [
  'openAdmission',
  'openEstablishment',
  'signEstablishment',
  'recordMemberTransfer',
  'attachHostCell',
  'sign',
  'withdraw',
  'hold',
  'resume',
  'transfer',
  'extendDeadline',
  'recordProvincialConsent',
] as const satisfies ReadonlyArray<keyof CaseService>;

export function createCaseService(deps: { client: Client; pool: Pool; taskQueue: string; writeConcurrency?: number | undefined }): CaseService {
  const { client, pool } = deps;

  /** Run a Temporal call, turning client errors into HTTP errors. */
  async function temporal<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromTemporalError(err) ?? err;
    }
  }

  async function chainOf(organizationId: string): Promise<ApprovalChain | null> {
    return chainFrom(organizationId, await chainNodes(pool, organizationId));
  }

  function chainFrom(organizationId: string, list: readonly OrgNode[]): ApprovalChain | null {
    const nodes = new Map(list.map((n) => [n.id, n]));
    try {
      return approvalChain(organizationId, (id) => nodes.get(id));
    } catch (err) {
      if (err instanceof TreeError) return null;
      throw err;
    }
  }

  /** The case, if the caller may see it; otherwise 404 exactly as for a case that does not exist. */
  async function visibleCase(p: Principal, caseId: string) {
    const row = await q.getCase(pool, caseId);
    const org = row && (await getOrganization(pool, row.organizationId));
    if (!row || !org || !canRead(p, org.path)) throw notFound('The case');
    return { row, org };
  }

  /** For steps staff drive (not sign-offs): organizers of the case's subtree and admins. */
  async function drivable(p: Principal, caseId: string) {
    const found = await visibleCase(p, caseId);
    if (!canManage(p, found.org.path)) throw new HttpError(403, 'forbidden', 'Only the organizing staff of this organization can do this');
    return found;
  }

  const handleOf = (row: q.CaseRow) => client.workflow.getHandle(caseWorkflowId(row.type as CaseType, row.id));

  /** The staff's signer identity for a sign-off: ids, staff of the case's subtree, the bodies they sign for. */
  const signActor = (p: Principal, staff: boolean): SignActor => ({
    ...actorOf(p),
    staff,
    bodies: p.roles.filter((r) => r.role === 'approver' && r.body && r.organizationId).map((r) => ({ body: r.body!, organizationId: r.organizationId! })),
  });

  async function establishmentCase(p: Principal, caseId: string) {
    const found = await drivable(p, caseId);
    if (found.row.type !== 'cell-establishment') throw new HttpError(422, 'rule_violated', 'this is not a cell-establishment case');
    return found;
  }

  /** An update to a case's workflow; a closed case (its workflow has ended) answers 409, not 404. */
  async function update<T>(row: q.CaseRow, fn: (handle: ReturnType<typeof handleOf>) => Promise<T>): Promise<T> {
    try {
      return await temporal(() => fn(handleOf(row)));
    } catch (err) {
      if (err instanceof HttpError && err.status === 404 && row.status !== 'open') {
        throw new HttpError(409, 'case_closed', `the case is ${row.status}`);
      }
      throw err;
    }
  }

  /** What the server knows better than the caller: the candidate's age at the vote, the introducers' status. */
  async function enrich(row: q.CaseRow, data: StepData): Promise<StepData> {
    if (data.step === 'cell-vote') {
      const person = row.personId ? await q.getPerson(pool, row.personId) : null;
      if (!person) throw new HttpError(422, 'rule_violated', 'the case has no candidate record to check the age against');
      return { ...data, candidateAgeMonths: ageInFullMonths(person.dateOfBirth, data.vote.heldOn) };
    }
    if (data.step === 'introduction') {
      const statuses = await q.memberStatuses(pool, data.introducers.map((i) => i.personId));
      const introducers = data.introducers.map((i, n) => {
        if (!statuses.has(i.personId)) {
          throw new HttpError(422, 'unknown_reference', `introducers.${n}.personId: no person has the id ${i.personId}`, [
            { field: `introducers.${n}.personId`, rule: 'exists', message: 'does not name an existing person' },
          ]);
        }
        return { ...i, official: statuses.get(i.personId) === 'full' };
      });
      return { ...data, introducers };
    }
    if (data.step === 'decision' || data.step === 'recognition-decision') {
      // One spelling per number: "12-QD/ĐUKKT" and "12-QĐ/ĐUKKT" are the same decision number.
      return { ...data, number: normalizeDecisionNumber(data.number) };
    }
    return data;
  }

  type Reservation = Parameters<typeof q.reserveDecisionNumber>[1];
  const releaseNumbers = async (held: readonly Reservation[]) => {
    for (const r of held) await q.releaseDecisionNumber(pool, r).catch(() => undefined);
  };
  /**
   * Reserves decision numbers (unique per issuing body and year) in order; one already another case's
   * releases those reserved here and answers 409 naming its field.
   */
  async function reserveNumbers(wanted: ReadonlyArray<{ readonly reservation: Reservation; readonly field: string }>): Promise<Reservation[]> {
    const held: Reservation[] = [];
    for (const { reservation: r, field } of wanted) {
      if (!(await q.reserveDecisionNumber(pool, r))) {
        await releaseNumbers(held);
        throw new HttpError(409, 'conflict', `${field}: ${r.number} is already used by another decision of this body in ${r.year}`, [
          { field, rule: 'unique', message: 'is already used by another decision of this body that year' },
        ]);
      }
      held.push(r);
    }
    return held;
  }
  /**
   * A sign-off that carries decision numbers: they are reserved (each attempt its own row), the update sent,
   * and then the winner's numbers kept — the step's other reservations dropped — or, when the update failed,
   * this attempt's released. Two sign-offs of one step at once: one wins, the other's number is free again.
   */
  async function withNumbers<T>(wanted: ReadonlyArray<{ readonly reservation: Reservation; readonly field: string }>, run: () => Promise<T>): Promise<T> {
    const held = await reserveNumbers(wanted);
    let result: T;
    try {
      result = await run();
    } catch (err) {
      await releaseNumbers(held);
      throw err;
    }
    for (const r of held) await q.keepDecisionNumber(pool, r);
    return result;
  }


  const service: CaseService = {
    async openAdmission(p, input) {
      const org = await getOrganization(pool, input.organizationId);
      if (!org || !canRead(p, org.path)) {
        throw new HttpError(422, 'unknown_reference', `organizationId: no organization has the id ${input.organizationId}`, [
          { field: 'organizationId', rule: 'exists', message: 'does not name an existing organization' },
        ]);
      }
      if (!canManage(p, org.path)) throw new HttpError(403, 'forbidden', 'Only the organizing staff of this organization can open its cases');
      if (org.status !== 'active' || !(await chainOf(org.id))) {
        throw new HttpError(422, 'rule_violated', `organizationId: cases are opened in an active cell or grassroots cell, not a ${org.status} ${org.kind}`, [
          { field: 'organizationId', rule: 'cell', message: 'must be an active cell or grassroots cell' },
        ]);
      }
      // The person is reference data and is stored first (committed): the workflow's activity refers to it.
      const chain = (await chainOf(org.id))!;
      if (input.history?.length) {
        // A paper history carries the decisions of the committee that decides: its staff (or an admin) brings it in.
        const competent = await getOrganization(pool, chain.competent.organizationId);
        if (!competent || !canManage(p, competent.path)) {
          throw new HttpError(403, 'forbidden', 'history: a case with its paper history is imported by the organizing staff of the committee that decides admissions for this cell');
        }
      }
      const personId = await q.insertPerson(pool, { ...input.person, organizationId: org.id });
      const caseId = input.caseId ?? randomUUID();
      // An imported history: filled in as a live sign-off is, its decision numbers reserved like theirs.
      let reservations: Reservation[] = [];
      let history: ImportedStep[] | undefined;
      try {
        if (input.history?.length) {
          history = [];
          for (const h of input.history) history.push({ signedOn: h.signedOn, data: await enrich({ personId } as q.CaseRow, h.data) });
          reservations = await reserveNumbers(
            history.flatMap(({ data }, i) =>
              data.step === 'decision' || data.step === 'recognition-decision'
                ? [{ reservation: { organizationId: chain.competent.organizationId, year: Number(data.issuedOn.slice(0, 4)), number: data.number, caseId, step: data.step }, field: `history.${i}.number` }]
                : [],
            ),
          );
        }
      } catch (err) {
        await q.deleteUnreferencedPerson(pool, personId).catch(() => undefined);
        throw err;
      }
      const args: [AdmissionInput] = [
        {
          caseId,
          organizationId: org.id,
          personId,
          ruleSet: CURRENT_RULE_SET,
          openedBy: actorOf(p),
          chain,
          workWeek: org.workWeek,
          ...(history ? { history, ...(input.openedOn ? { openedOn: input.openedOn } : {}) } : {}),
        },
      ];
      const start = new WithStartWorkflowOperation<typeof admissionWorkflow>('admissionWorkflow', {
        workflowId: caseWorkflowId('admission', caseId),
        taskQueue: deps.taskQueue,
        args,
        workflowIdConflictPolicy: 'FAIL',
      });
      try {
        // Update-with-start: the response comes once the case is in the read model, so a following GET finds it.
        return await temporal(() => client.workflow.executeUpdateWithStart(awaitCaseRecordedUpdate, { startWorkflowOperation: start }));
      } catch (err) {
        const started = await start.workflowHandle().then(
          () => true,
          () => false,
        );
        // An imported history the workflow refused (its own answer, naming history.N) leaves nothing: no
        // case, no person, no numbers. Any other failure may leave a running workflow: keep what it needs.
        const refused = history !== undefined && err instanceof HttpError && err.status === 422 && /^history\.\d+/.test(err.message) && !(await q.getCase(pool, caseId));
        if (!started || refused) {
          await q.deleteUnreferencedPerson(pool, personId).catch(() => undefined);
          await releaseNumbers(reservations);
        }
        const known = err instanceof HttpError ? err : undefined;
        const index = known && /^history\.(\d+)/.exec(known.message)?.[1];
        if (known && index !== undefined) throw new HttpError(422, known.code, known.message, [{ field: `history.${index}`, rule: 'procedure', message: known.message.replace(/^history\.\d+ ?/, '') }]);
        throw err;
      }
    },

    async sign(p, caseId, data) {
      const { row, org } = await visibleCase(p, caseId);
      if (row.type !== 'admission') throw new HttpError(422, 'rule_violated', `step ${data.step} belongs to admission cases; this is a ${row.type} case`);
      // The chain the workflow holds decides who signs (it is re-derived on transfer); v1 cases: the tree.
      const live = await temporal(() => handleOf(row).query(caseStatusQuery)).catch(() => undefined);
      const chain = live?.chain ?? (await chainOf(org.id));
      const meta = STEP_META[data.step];
      const link = chain && signerLink(chain, meta.signer);
      if (meta.signer !== 'staff' && !link) {
        throw new HttpError(422, 'rule_violated', `${meta.label.en}: this organization's chain has no ${meta.signer} to sign it`);
      }
      const staff = canManage(p, org.path);
      const allowed = link ? canSign(p, link) : staff || (chain !== null && canSign(p, chain.cell));
      if (!allowed) {
        throw new HttpError(403, 'forbidden', link ? `${meta.label.en} is signed by the ${link.body} of organization ${link.organizationId}` : `${meta.label.en} is recorded by the organizing staff or the cell`);
      }
      const enriched = await enrich(row, data);
      const actor = signActor(p, staff);
      // A decision number is reserved before the decision is sent, and released if the workflow refuses it.
      return withNumbers(
        (enriched.step === 'decision' || enriched.step === 'recognition-decision') && chain
          ? [{ reservation: { organizationId: chain.competent.organizationId, year: Number(enriched.issuedOn.slice(0, 4)), number: enriched.number, caseId, step: enriched.step }, field: 'number' }]
          : [],
        () => update(row, (h) => h.executeUpdate(signStepUpdate, { args: [{ data: enriched, actor }] })),
      );
    },

    async withdraw(p, caseId, reason) {
      const { row } = await drivable(p, caseId);
      return update(row, (h) => h.executeUpdate(withdrawCaseUpdate, { args: [{ reason, actor: actorOf(p) }] }));
    },
    async hold(p, caseId, reason) {
      const { row } = await drivable(p, caseId);
      return update(row, (h) => h.executeUpdate(holdCaseUpdate, { args: [{ reason, actor: actorOf(p) }] }));
    },
    async resume(p, caseId) {
      const { row } = await drivable(p, caseId);
      return update(row, (h) => h.executeUpdate(resumeCaseUpdate, { args: [{ actor: actorOf(p) }] }));
    },
    async transfer(p, caseId, organizationId) {
      const { row } = await drivable(p, caseId);
      const target = await getOrganization(pool, organizationId);
      if (!target || !canRead(p, target.path)) {
        throw new HttpError(422, 'unknown_reference', `organizationId: no organization has the id ${organizationId}`, [
          { field: 'organizationId', rule: 'exists', message: 'does not name an existing organization' },
        ]);
      }
      if (!canManage(p, target.path)) throw new HttpError(403, 'forbidden', 'Only staff of both organizations can transfer a case');
      const chain = target.status === 'active' ? await chainOf(target.id) : null;
      if (!chain) {
        throw new HttpError(422, 'rule_violated', 'organizationId: cases move to an active cell or grassroots cell', [
          { field: 'organizationId', rule: 'cell', message: 'must be an active cell or grassroots cell' },
        ]);
      }
      return update(row, (h) => h.executeUpdate(transferCaseUpdate, { args: [{ organizationId, chain, actor: actorOf(p) }] }));
    },
    async extendDeadline(p, caseId, step, reason) {
      const { row } = await drivable(p, caseId);
      return update(row, (h) => h.executeUpdate(extendDeadlineUpdate, { args: [{ step, reason, actor: actorOf(p) }] }));
    },
    async recordProvincialConsent(p, caseId, documentNo, on) {
      const { row } = await drivable(p, caseId);
      return update(row, (h) => h.executeUpdate(recordProvincialConsentUpdate, { args: [{ documentNo, on, actor: actorOf(p) }] }));
    },
    async status(p, caseId) {
      const { row } = await visibleCase(p, caseId);
      return temporal((): Promise<CaseView> => (row.type === 'admission' ? handleOf(row).query(caseStatusQuery) : handleOf(row).query(establishmentStatusQuery)));
    },

    async caseType(p, caseId) {
      return (await visibleCase(p, caseId)).row.type as CaseType;
    },

    async openEstablishment(p, input) {
      const org = await getOrganization(pool, input.organizationId);
      if (!org || !canRead(p, org.path)) {
        throw new HttpError(422, 'unknown_reference', `organizationId: no organization has the id ${input.organizationId}`, [
          { field: 'organizationId', rule: 'exists', message: 'does not name an existing organization' },
        ]);
      }
      if (!canManage(p, org.path)) throw new HttpError(403, 'forbidden', 'Only the organizing staff of this organization can open its cases');
      if (org.kind !== 'upper-committee' || org.status !== 'active') {
        throw new HttpError(422, 'rule_violated', 'organizationId: a new organization is set up by an active upper committee', [
          { field: 'organizationId', rule: 'upper_committee', message: 'must be an active upper committee' },
        ]);
      }
      if (!(await q.enterpriseExists(pool, input.enterpriseId))) {
        throw new HttpError(422, 'unknown_reference', `enterpriseId: no enterprise has the id ${input.enterpriseId}`, [
          { field: 'enterpriseId', rule: 'exists', message: 'does not name an existing enterprise' },
        ]);
      }
      const caseId = input.caseId ?? randomUUID();
      const start = new WithStartWorkflowOperation<typeof cellEstablishmentWorkflow>(WORKFLOW_TYPES['cell-establishment'], {
        workflowId: caseWorkflowId('cell-establishment', caseId),
        taskQueue: deps.taskQueue,
        args: [
          {
            caseId,
            enterpriseId: input.enterpriseId,
            organizationId: org.id,
            deciding: { body: 'standing-committee', organizationId: org.id },
            ruleSet: CURRENT_RULE_SET,
            openedBy: actorOf(p),
            workWeek: org.workWeek,
          },
        ],
        workflowIdConflictPolicy: 'FAIL',
      });
      return temporal(() => client.workflow.executeUpdateWithStart(awaitCaseRecordedUpdate, { startWorkflowOperation: start }));
    },

    async signEstablishment(p, caseId, data) {
      const { row, org } = await visibleCase(p, caseId);
      if (row.type !== 'cell-establishment') throw new HttpError(422, 'rule_violated', `step ${data.step} belongs to cell-establishment cases`);
      const staff = canManage(p, org.path);
      const deciding = { body: 'standing-committee' as const, organizationId: org.id };
      const allowed = data.step === 'decision' ? canSign(p, deciding) : staff;
      if (!allowed) {
        throw new HttpError(403, 'forbidden', data.step === 'decision' ? `the decision is signed by the standing committee of ${org.id}` : 'this step is recorded by the organizing staff');
      }
      const normalized = data.step === 'decision' ? { ...data, establishmentNumber: normalizeDecisionNumber(data.establishmentNumber), appointmentNumber: normalizeDecisionNumber(data.appointmentNumber) } : data;
      return withNumbers(
        normalized.step === 'decision'
          ? (['establishmentNumber', 'appointmentNumber'] as const).map((field) => ({
              reservation: {
                organizationId: org.id,
                year: Number(normalized.issuedOn.slice(0, 4)),
                number: normalized[field],
                caseId,
                step: field === 'establishmentNumber' ? 'establishment-decision' : 'appointment-decision',
              },
              field,
            }))
          : [],
        () => update(row, (h) => h.executeUpdate(signEstablishmentStepUpdate, { args: [{ data: normalized, actor: signActor(p, staff) }] })),
      );
    },

    async recordMemberTransfer(p, caseId, personId) {
      const { row } = await establishmentCase(p, caseId);
      const statuses = await q.memberStatuses(pool, [personId]);
      const status = statuses.get(personId);
      if (!status) {
        throw new HttpError(422, 'unknown_reference', `personId: no person has the id ${personId}`, [{ field: 'personId', rule: 'exists', message: 'does not name an existing person' }]);
      }
      if (status !== 'full' && status !== 'probationary') {
        throw new HttpError(422, 'rule_violated', 'personId: only party members transfer their membership', [{ field: 'personId', rule: 'member', message: 'is not a party member' }]);
      }
      return update(row, (h) => h.executeUpdate(recordMemberTransferUpdate, { args: [{ personId, actor: actorOf(p) }] }));
    },

    async attachHostCell(p, caseId, organizationId) {
      const { row } = await establishmentCase(p, caseId);
      const host = await getOrganization(pool, organizationId);
      if (!host || !canRead(p, host.path) || host.status !== 'active' || (host.kind !== 'cell' && host.kind !== 'grassroots-cell')) {
        throw new HttpError(422, 'rule_violated', 'organizationId: must be an active cell in your scope', [{ field: 'organizationId', rule: 'cell', message: 'must be an active cell in your scope' }]);
      }
      return update(row, (h) => h.executeUpdate(attachHostCellUpdate, { args: [{ organizationId, actor: actorOf(p) }] }));
    },

    async ownerMeetings(p, caseId) {
      await visibleCase(p, caseId);
      return q.listOwnerMeetings(pool, caseId);
    },

    async addOwnerMeeting(p, caseId, m) {
      const { row } = await establishmentCase(p, caseId);
      return q.addOwnerMeeting(pool, { ...m, caseId, authorId: p.userId, ip: p.ip, organizationId: row.organizationId });
    },
    async comments(p, caseId) {
      await visibleCase(p, caseId);
      return q.listComments(pool, caseId);
    },
    async addComment(p, caseId, body) {
      const { row } = await drivable(p, caseId);
      return q.addComment(pool, { caseId, authorId: p.userId, body, ip: p.ip, organizationId: row.organizationId });
    },

    async notifyCalendarChanged(from) {
      let told = 0;
      let after: string | null = null;
      for (;;) {
        const page = await q.openCasesDueFrom(pool, from, after, 200);
        if (page.length === 0) return told;
        // A case that closed meanwhile has nothing to recompute: ignore "not found".
        const results = await Promise.allSettled(
          page.map((c) => client.workflow.getHandle(caseWorkflowId(c.type as 'admission', c.id)).signal(calendarChangedSignal)),
        );
        told += results.filter((r) => r.status === 'fulfilled').length;
        after = page.at(-1)!.id;
      }
    },

    async list(p, query) {
      const sort = query.sort ?? '-openedAt';
      const after = query.after === undefined ? undefined : decodeCursor(query.after, sort);
      const calendar = await cachedWorkCalendar(pool);
      const today = vietnamDate(Date.now());
      const { overdue, dueWithin, ...filters } = query;
      const rows = await q.listCases(pool, {
        ...filters,
        sort,
        after,
        scope: readScope(p),
        limit: query.limit + 1,
        dueBefore: overdue ? today : undefined,
        dueBetween: dueWithin === undefined ? undefined : { from: today, to: calendar.addWorkingDays(today, dueWithin) },
      });
      // Working days past the due date today (0 when not yet due or no due date).
      const items = rows
        .slice(0, query.limit)
        .map((r) => listItem(r, r.status === 'open' && r.currentStepDueOn && r.currentStepDueOn < today ? calendar.workingDaysBetween(r.currentStepDueOn, today) : 0));
      const last = rows[query.limit - 1];
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(sort, last.sortKey, last.id) : null };
    },

    async existingCase(p, caseId) {
      const found = await visibleCase(p, caseId).catch((err: unknown) => {
        if (err instanceof HttpError && err.status === 404) return undefined;
        throw err;
      });
      return found && { type: found.row.type, organizationId: found.row.organizationId };
    },

    async get(p, caseId) {
      // One round trip for the case page (the API's most frequent read); the scope check as in visibleCase.
      const detail = await q.getCaseDetail(pool, caseId);
      if (!detail || !canRead(p, detail.organizationPath)) throw notFound('The case');
      const { organizationPath: _path, chainNodes: nodes, person, history, ...row } = detail;
      const related = row.type === 'cell-establishment' ? await q.admissionsInEnterpriseOf(pool, caseId, readScope(p)) : undefined;
      return { ...row, person, history, approvalChain: row.type === 'admission' ? chainFrom(row.organizationId, nodes as OrgNode[]) : null, ...(related ? { relatedAdmissions: related } : {}) };
    },
  };
  return gateWrites(service, WORKFLOW_WRITES, deps.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY);
}

/**
 * A row of the case list as the API answers it, made field by field. Copied with a spread instead
 * (`{ ...row, daysOverdue }`), the rows of a page left objects that V8's minor collections copied and
 * promoted — some 2 MB per scavenge of the list route, each scavenge 3–6× longer, weighing on its p95
 * (bench:reports). The type makes sure no column is left out.
 */
function listItem(r: q.CaseRow, daysOverdue: number): q.CaseRow & { readonly daysOverdue: number } {
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    currentStep: r.currentStep,
    currentStepDueOn: r.currentStepDueOn,
    organizationId: r.organizationId,
    enterpriseId: r.enterpriseId,
    personId: r.personId,
    personName: r.personName,
    ruleSet: r.ruleSet,
    openedAt: r.openedAt,
    closedAt: r.closedAt,
    updatedAt: r.updatedAt,
    daysOverdue,
  };
}

/** A page cursor: the order it belongs to, the last row's sort key and id (opaque to clients). */
function encodeCursor(sort: q.CaseSort, key: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, key, id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: q.CaseSort): { key: string; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const [s, key, id] = Array.isArray(parsed) ? parsed : [];
  // A date, or a timestamp as Postgres prints it; anything else would fail the cast (a forged cursor).
  const keyOk =
    typeof key === 'string' &&
    (key === 'infinity' || (/^\d{4}-\d{2}-\d{2}( \d{2}:[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-4])(:[0-5]\d)?)?$/.test(key) && isCalendarDate(key.slice(0, 10)) && Number(key.slice(11, 13) || 0) < 24));
  if (typeof s === 'string' && keyOk && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) {
    if (s !== sort) {
      throw new HttpError(400, 'validation_failed', `after: belongs to the order ${s}, not ${sort}: start again from the first page`, [
        { field: 'after', rule: 'cursor_sort', message: `belongs to the order ${s}, not ${sort}` },
      ]);
    }
    return { key, id };
  }
  throw new HttpError(400, 'validation_failed', 'after: is not a cursor returned by this API', [
    { field: 'after', rule: 'cursor', message: 'is not a cursor returned by this API' },
  ]);
}

/** Upper case, Đ for D in the QĐ part, no spaces: the stored form of a decision number. */
export function normalizeDecisionNumber(n: string): string {
  return n.trim().replace(/\s+/g, '').toUpperCase().replace(/-QD\//, '-QĐ/');
}
