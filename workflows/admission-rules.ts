/**
 * The rules a sign-off must satisfy, per step (domain.md §1). Pure and synchronous: run inside the update
 * validators (a failure rejects only that update, with the rule in the message) and unit-testable alone.
 */
import { addMonths, isIsoDate } from './calendar/dates.js';
import type { CaseFacts, SignActor, StepData, VoteCount } from './definitions.js';
import type { ApprovalChain, ChainLink } from './org/tree.js';
import { RULES, votePasses, type StepSigner } from './steps.js';

export class RuleError extends Error {
  override name = 'RuleError';
}

const fail = (message: string): never => {
  throw new RuleError(message);
};

export function assertDate(value: unknown, name: string, today: string): asserts value is string {
  if (!isIsoDate(value)) fail(`${name} must be a date YYYY-MM-DD`);
  if ((value as string) > today) fail(`${name} ${value as string} is in the future`);
}

/** The chain link that signs a step, or null when the step is done by staff. */
export function signerLink(chain: ApprovalChain, signer: StepSigner): ChainLink | null {
  switch (signer) {
    case 'staff':
      return null;
    case 'cell':
      return chain.cell;
    case 'partialCommittee':
      return chain.partialCommittee;
    case 'grassrootsCommittee':
      return chain.grassrootsCommittee;
    case 'competent':
      return chain.competent;
  }
}

/** The caller is the body the step names for this case (staff steps: the organizing staff or the cell). */
export function assertSigner(actor: SignActor, chain: ApprovalChain, signer: StepSigner, stepLabel: string): void {
  const link = signerLink(chain, signer);
  const actsFor = (l: ChainLink) => actor.bodies.some((b) => b.body === l.body && b.organizationId === l.organizationId);
  if (signer !== 'staff' && link === null) fail(`${stepLabel}: this organization's chain has no ${signer} to sign it`);
  if (link === null) {
    if (!actor.staff && !actsFor(chain.cell)) fail(`${stepLabel} is recorded by the organizing staff or the cell`);
    return;
  }
  if (!actsFor(link)) fail(`${stepLabel} is signed by the ${link.body} of organization ${link.organizationId}`);
}

export function assertVote(v: VoteCount, today: string, notBefore?: string): void {
  assertDate(v.heldOn, 'vote.heldOn', today);
  if (notBefore && v.heldOn < notBefore) fail(`vote.heldOn ${v.heldOn} is before ${notBefore}`);
  for (const k of ['eligible', 'present', 'for', 'against'] as const) {
    if (!Number.isInteger(v[k]) || v[k] < 0) fail(`vote.${k} must be a whole number ≥ 0`);
  }
  if (v.eligible < 1) fail('vote.eligible must be at least 1');
  if (v.present > v.eligible) fail(`vote.present (${v.present}) cannot exceed vote.eligible (${v.eligible})`);
  if (v.for + v.against > v.present) fail(`vote.for + vote.against (${v.for + v.against}) cannot exceed vote.present (${v.present})`);
}

export interface RuleContext {
  readonly today: string;
  readonly facts: CaseFacts;
  readonly candidatePersonId: string;
  /** The candidate is over 60 at the cell vote (only possible with a provincial consent before the decision). */
  readonly over60: boolean;
}

/** Checks the data of a sign-off against the rules of its step; throws RuleError naming the rule. */
export function assertStepData(d: StepData, ctx: RuleContext): void {
  const { today, facts } = ctx;
  switch (d.step) {
    case 'source':
      if (typeof d.helperPersonId !== 'string' || d.helperPersonId === ctx.candidatePersonId) fail('the helper must be another person (an official member)');
      return;
    case 'awareness-course': {
      assertDate(d.certificateIssuedOn, 'certificateIssuedOn', today);
      const expires = addMonths(d.certificateIssuedOn, RULES.certificateValidMonths);
      if (expires <= today) {
        fail(`the certificate issued on ${d.certificateIssuedOn} expired on ${expires} (valid ${RULES.certificateValidMonths} months): the candidate must retake the course`);
      }
      return;
    }
    case 'application':
      assertDate(d.receivedOn, 'receivedOn', today);
      assertDate(d.biographySealedOn, 'biographySealedOn', today);
      // HD 06-2025 §3: the application is written before the biography, and pages are sealed before verification.
      if (d.biographySealedOn < d.receivedOn) fail('biographySealedOn must not be before receivedOn (the application comes first)');
      return;
    case 'verification':
      assertDate(d.completedOn, 'completedOn', today);
      if (facts.applicationOn && d.completedOn < facts.applicationOn) fail('completedOn must not be before the application was received');
      return;
    case 'introduction': {
      assertDate(d.introducedOn, 'introducedOn', today);
      const members = d.introducers ?? [];
      for (const [i, m] of members.entries()) {
        if (m.personId === ctx.candidatePersonId) fail(`introducers.${i} is the candidate: a candidate cannot introduce themself`);
        if (!m.official) fail(`introducers.${i} is not an official member: introducers must be official (full) members`);
        if (!(m.coWorkingMonths >= RULES.introducerCoWorkingMonths)) {
          fail(`introducers.${i} has worked with the candidate ${m.coWorkingMonths} months: at least ${RULES.introducerCoWorkingMonths} are required`);
        }
      }
      if (new Set(members.map((m) => m.personId)).size !== members.length) fail('the same introducer is listed twice');
      const withUnion = d.unionResolution !== null && d.unionResolution !== undefined;
      if (withUnion) assertDate(d.unionResolution!.resolutionOn, 'unionResolution.resolutionOn', today);
      if (withUnion ? members.length !== 1 : members.length !== 2) {
        fail('the introduction needs two official members, or a youth-union / trade-union resolution and one official member');
      }
      return;
    }
    case 'opinions':
      assertDate(d.summarizedOn, 'summarizedOn', today);
      return;
    case 'cell-vote': {
      assertVote(d.vote, today);
      const age = d.candidateAgeMonths;
      if (!Number.isInteger(age)) fail('candidateAgeMonths must be a whole number');
      if (age < RULES.minAgeMonths) fail(`the candidate is ${Math.floor(age / 12)} years ${age % 12} months old at the vote: at least 18 full years are required`);
      // A certificate 60 months old at the vote is accepted here: the workflow sends the case back to the course.
      if (facts.lastFailedCellVoteOn && d.vote.heldOn <= facts.lastFailedCellVoteOn) fail(`a new vote must be held after the failed vote of ${facts.lastFailedCellVoteOn}`);
      return;
    }
    case 'partial-appraisal':
      assertDate(d.reportedOn, 'reportedOn', today);
      return;
    case 'committee-vote':
      assertVote(d.vote, today, facts.cellResolutionOn);
      return;
    case 'decision':
      assertDecision(d.number, d.issuedOn, today, facts.cellResolutionOn);
      assertDate(d.receivedByCellOn, 'receivedByCellOn', today);
      if (d.receivedByCellOn < d.issuedOn) fail('receivedByCellOn must not be before issuedOn');
      if (d.decided === 'admit' && ctx.over60 && !facts.provincialConsent) {
        fail('the candidate is over 60: the provincial standing committee’s written consent must be recorded before the decision');
      }
      if (d.decided === 'admit' && ctx.over60 && facts.provincialConsent && facts.provincialConsent.on > d.issuedOn) {
        fail(`the provincial consent of ${facts.provincialConsent.on} must come before the decision of ${d.issuedOn}`);
      }
      return;
    case 'ceremony':
      assertDate(d.heldOn, 'heldOn', today);
      if (facts.decisionReceivedOn && d.heldOn < facts.decisionReceivedOn) fail('the ceremony cannot be held before the cell received the decision');
      if (d.helperPersonId === ctx.candidatePersonId) fail('the helper must be another (official) member');
      return;
    case 'probation':
      assertDate(d.newMemberCourseOn, 'newMemberCourseOn', today);
      if (facts.ceremonyOn && d.newMemberCourseOn < facts.ceremonyOn) fail('the new-member course is taken during probation, after the ceremony');
      return;
    case 'recognition-review':
      for (const k of ['selfReviewOn', 'helperAssessmentOn', 'opinionsOn'] as const) assertDate(d[k], k, today);
      return;
    case 'recognition-cell-vote':
      assertVote(d.vote, today);
      if (facts.lastFailedRecognitionVoteOn && d.vote.heldOn <= facts.lastFailedRecognitionVoteOn) {
        fail(`a new vote must be held after the failed vote of ${facts.lastFailedRecognitionVoteOn}`);
      }
      // The resolution is dated after the 12 months of probation (QĐ 294 art. 5).
      if (facts.probationEndsOn && d.vote.heldOn <= facts.probationEndsOn) fail(`the recognition vote must be held after the probation ended on ${facts.probationEndsOn}`);
      if (!facts.newMemberCourseOn) fail('the new-member course certificate must be recorded before the recognition vote');
      return;
    case 'recognition-committee-vote':
      assertVote(d.vote, today, facts.recognitionResolutionOn);
      return;
    case 'recognition-decision':
      assertDecision(d.number, d.issuedOn, today, facts.recognitionResolutionOn ?? facts.probationEndsOn);
      return;
  }
}

/** A decision number: a number, QĐ, and the issuing body's symbol (12-QĐ/ĐUKKT). */
export const DECISION_NUMBER = /^\d{1,6}-(QĐ|QD)\/[\p{L}\p{N}-]{1,30}$/u;

function assertDecision(number: string, issuedOn: string, today: string, notBefore: string | undefined): void {
  if (typeof number !== 'string' || !DECISION_NUMBER.test(number)) {
    fail('number must look like 12-QĐ/ĐUKKT (a number, QĐ, and the issuing body’s symbol)');
  }
  assertDate(issuedOn, 'issuedOn', today);
  if (notBefore && issuedOn < notBefore) fail(`issuedOn ${issuedOn} is before the resolution it decides on (${notBefore})`);
}

export { votePasses };
