/**
 * Rules for setting up a party organization in an enterprise (domain.md §2.1), pure: shared by the
 * cell-establishment workflow (to come, issue #6) and the API.
 */
import { assertDate, DECISION_NUMBER, RuleError } from './admission-rules.js';
import type { EstablishmentFacts, EstablishmentStepData, EstablishmentStepId } from './definitions.js';
import type { OrgKind } from './org/tree.js';

export const ESTABLISHMENT_STEP_CATALOG: ReadonlyArray<{
  readonly id: EstablishmentStepId;
  readonly label: { readonly vi: string; readonly en: string };
  readonly workingDays: number;
  readonly documents: readonly string[];
}> = [
  { id: 'survey', label: { vi: 'Khảo sát doanh nghiệp', en: 'Enterprise survey' }, workingDays: 20, documents: ['survey-report'] },
  { id: 'owner-consent', label: { vi: 'Vận động chủ doanh nghiệp đồng thuận', en: 'Owner consent' }, workingDays: 60, documents: ['owner-meeting-minutes'] },
  { id: 'member-transfer', label: { vi: 'Chuyển sinh hoạt đảng của đảng viên', en: 'Member transfers' }, workingDays: 60, documents: ['transfer-list'] },
  { id: 'proposal', label: { vi: 'Tờ trình thành lập', en: 'Proposal' }, workingDays: 10, documents: ['to-trinh'] },
  { id: 'decision', label: { vi: 'Quyết định thành lập và chỉ định', en: 'Establishment and appointment decisions' }, workingDays: 20, documents: ['establishment-decision', 'appointment-decision'] },
  { id: 'announcement', label: { vi: 'Lễ công bố quyết định', en: 'Announcement ceremony' }, workingDays: 30, documents: ['announcement-minutes'] },
];

export const ESTABLISHMENT_RULES = {
  /** A party organization needs at least three official members (Statute art. 21.2). */
  minOfficialMembers: 3,
  /** From this many members a cell elects a committee (chi ủy); below it, a secretary (art. 24). */
  committeeFromMembers: 9,
  /** From this many members the organization is a grassroots committee (đảng bộ cơ sở), else a cell. */
  grassrootsCommitteeFromMembers: 30,
} as const;

export interface EstablishmentShape {
  /** The kind of organization to create. */
  readonly kind: Extract<OrgKind, 'grassroots-cell' | 'grassroots-committee'>;
  /** Who leads it at first: a secretary (fewer than 9 members) or a committee. */
  readonly leadership: 'secretary' | 'committee';
  readonly label: { readonly vi: string; readonly en: string };
}

/**
 * What a new organization with these members becomes: fewer than 30 members → grassroots cell (chi bộ cơ
 * sở), else grassroots committee (đảng bộ cơ sở); fewer than 9 official members → a secretary, else a
 * committee. Members count official and probationary; leadership counts official members (who elect).
 */
export function establishmentShape(m: { readonly official: number; readonly probationary: number }): EstablishmentShape {
  for (const [k, v] of Object.entries(m)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${k} must be a whole number ≥ 0, got ${v}`);
  }
  const members = m.official + m.probationary;
  const kind = members >= ESTABLISHMENT_RULES.grassrootsCommitteeFromMembers ? 'grassroots-committee' : 'grassroots-cell';
  const leadership = m.official >= ESTABLISHMENT_RULES.committeeFromMembers ? 'committee' : 'secretary';
  return {
    kind,
    leadership,
    label:
      kind === 'grassroots-committee'
        ? { vi: 'Đảng bộ cơ sở, chỉ định Ban chấp hành', en: 'Grassroots committee with an appointed executive committee' }
        : leadership === 'committee'
          ? { vi: 'Chi bộ cơ sở, chỉ định chi ủy', en: 'Grassroots cell with an appointed cell committee' }
          : { vi: 'Chi bộ cơ sở, chỉ định bí thư', en: 'Grassroots cell with an appointed secretary' },
  };
}

/** Why an organization cannot be proposed yet, or undefined when it can. */
export function proposalProblem(m: { readonly official: number }): string | undefined {
  if (m.official < ESTABLISHMENT_RULES.minOfficialMembers) {
    return `${m.official} official member(s) work here: at least ${ESTABLISHMENT_RULES.minOfficialMembers} are needed; attach them to a host cell until admissions or transfers bring the count up`;
  }
  return undefined;
}

const fail = (message: string): never => {
  throw new RuleError(message);
};

/** The rules of each establishment step's sign-off (synchronous: run in the update validator). */
export function assertEstablishmentData(d: EstablishmentStepData, ctx: { readonly today: string; readonly facts: EstablishmentFacts }): void {
  const { today, facts } = ctx;
  switch (d.step) {
    case 'survey': {
      assertDate(d.surveyedOn, 'surveyedOn', today);
      if (!Number.isInteger(d.workforce) || d.workforce < 0) fail('workforce must be a whole number ≥ 0');
      const m = d.reportedMembers;
      for (const k of ['official', 'probationary', 'attachedElsewhere'] as const) {
        if (!Number.isInteger(m?.[k]) || m[k] < 0) fail(`reportedMembers.${k} must be a whole number ≥ 0`);
      }
      if (m.official + m.probationary > d.workforce) fail('more party members reported than people working there');
      return;
    }
    case 'owner-consent':
      if (d.outcome === 'consented') {
        assertDate(d.consentOn, 'consentOn', today);
        if (typeof d.document !== 'string' || !d.document.trim()) fail('document (the written consent or the minutes) is required');
      } else {
        assertDate(d.declinedOn, 'declinedOn', today);
        if (typeof d.revisitOn !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d.revisitOn) || d.revisitOn <= today) fail('revisitOn must be a date after today');
      }
      return;
    case 'member-transfer': {
      assertDate(d.completedOn, 'completedOn', today);
      const problem = proposalProblem(facts.members);
      if (problem) fail(problem);
      return;
    }
    case 'proposal': {
      assertDate(d.proposedOn, 'proposedOn', today);
      const problem = proposalProblem(facts.members);
      if (problem) fail(problem);
      const shape = establishmentShape(facts.members);
      if (d.kind !== shape.kind) {
        fail(`with ${facts.members.official + facts.members.probationary} members the organization is a ${shape.kind} (a grassroots committee from ${ESTABLISHMENT_RULES.grassrootsCommitteeFromMembers}), not a ${d.kind}`);
      }
      if (d.leadership !== shape.leadership) {
        fail(`with ${facts.members.official} official members it is led by a ${shape.leadership} (a committee from ${ESTABLISHMENT_RULES.committeeFromMembers}), not a ${d.leadership}`);
      }
      if (typeof d.name !== 'string' || !d.name.trim()) fail('name is required');
      if (typeof d.symbol !== 'string' || !/^[\p{L}\p{N}-]{1,30}$/u.test(d.symbol)) fail('symbol must be letters, digits and hyphens (at most 30)');
      return;
    }
    case 'decision':
      for (const k of ['establishmentNumber', 'appointmentNumber'] as const) {
        if (typeof d[k] !== 'string' || !DECISION_NUMBER.test(d[k])) fail(`${k} must look like 12-QĐ/ĐUKKT`);
      }
      if (d.establishmentNumber === d.appointmentNumber) fail('the establishment and appointment decisions have different numbers');
      assertDate(d.issuedOn, 'issuedOn', today);
      return;
    case 'announcement':
      assertDate(d.heldOn, 'heldOn', today);
      if (facts.decisionOn && d.heldOn < facts.decisionOn) fail('the announcement cannot come before the decision');
      return;
  }
}
