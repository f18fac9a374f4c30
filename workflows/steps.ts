/**
 * The admission steps as data (DESIGN.md §4), shared by the workflow, the API and the UI: labels, who signs,
 * the default deadline and the documents of each step. Step ids are stable API and database values.
 */
import type { AdmissionStep } from './definitions.js';

/**
 * Who signs a step: a body of the case's approval chain, or `staff` (the organizing staff of the case's
 * subtree, or the cell's approver) for the practical steps that collect papers.
 */
export type StepSigner = 'staff' | 'cell' | 'partialCommittee' | 'grassrootsCommittee' | 'competent';

/** From which date a deadline counts (the date itself not counted). */
export type DeadlineFrom = 'entered' | 'cell-resolution' | 'decision-received' | 'probation-end' | 'recognition-resolution';

export type StepKind = 'task' | 'vote' | 'decision' | 'wait';

export interface StepMeta {
  readonly id: AdmissionStep;
  readonly label: { readonly vi: string; readonly en: string };
  readonly kind: StepKind;
  readonly signer: StepSigner;
  /** Working days from `from`; undefined: no due date (or a calendar period, see probation). */
  readonly deadline?: { readonly workingDays: number; readonly from: DeadlineFrom };
  readonly documents: readonly string[];
}

export const ADMISSION_STEP_CATALOG: readonly StepMeta[] = [
  { id: 'source', label: { vi: 'Tạo nguồn, phân công đảng viên giúp đỡ', en: 'Source; helper member assigned' }, kind: 'task', signer: 'staff', documents: [] },
  { id: 'awareness-course', label: { vi: 'Lớp bồi dưỡng nhận thức về Đảng', en: 'Party-awareness course' }, kind: 'task', signer: 'staff', documents: ['CN-NTVĐ'] },
  { id: 'application', label: { vi: 'Đơn và lý lịch người xin vào Đảng', en: 'Application and biography' }, kind: 'task', signer: 'staff', deadline: { workingDays: 20, from: 'entered' }, documents: ['1-KNĐ', '2-KNĐ'] },
  { id: 'verification', label: { vi: 'Thẩm tra lý lịch', en: 'Background verification' }, kind: 'task', signer: 'staff', deadline: { workingDays: 30, from: 'entered' }, documents: ['verification-letters'] },
  { id: 'introduction', label: { vi: 'Giới thiệu người vào Đảng', en: 'Introductions' }, kind: 'task', signer: 'staff', deadline: { workingDays: 20, from: 'entered' }, documents: ['3-KNĐ', '4-KNĐ', '4A-KNĐ'] },
  { id: 'opinions', label: { vi: 'Ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú', en: 'Opinions of mass organizations and residence cell' }, kind: 'task', signer: 'staff', deadline: { workingDays: 20, from: 'entered' }, documents: ['5-KNĐ'] },
  { id: 'cell-vote', label: { vi: 'Chi bộ xét, đề nghị kết nạp', en: 'Cell vote' }, kind: 'vote', signer: 'cell', deadline: { workingDays: 30, from: 'entered' }, documents: ['6-KNĐ'] },
  { id: 'partial-appraisal', label: { vi: 'Đảng ủy bộ phận thẩm định', en: 'Partial committee appraisal' }, kind: 'decision', signer: 'partialCommittee', deadline: { workingDays: 15, from: 'entered' }, documents: ['7-KNĐ'] },
  { id: 'committee-vote', label: { vi: 'Đảng ủy cơ sở xét, đề nghị kết nạp', en: 'Grassroots committee vote' }, kind: 'vote', signer: 'grassrootsCommittee', deadline: { workingDays: 20, from: 'entered' }, documents: ['8-KNĐ'] },
  { id: 'decision', label: { vi: 'Quyết định kết nạp đảng viên', en: 'Admission decision' }, kind: 'decision', signer: 'competent', deadline: { workingDays: 60, from: 'cell-resolution' }, documents: ['9-KNĐ'] },
  { id: 'ceremony', label: { vi: 'Lễ kết nạp đảng viên', en: 'Admission ceremony' }, kind: 'task', signer: 'staff', deadline: { workingDays: 30, from: 'decision-received' }, documents: ['ceremony-minutes'] },
  { id: 'probation', label: { vi: 'Thời kỳ dự bị (12 tháng)', en: 'Probation (12 months)' }, kind: 'wait', signer: 'staff', documents: [] },
  { id: 'recognition-review', label: { vi: 'Tự kiểm điểm, nhận xét của đảng viên giúp đỡ và đoàn thể', en: 'Self-review, helper assessment, opinions' }, kind: 'task', signer: 'staff', deadline: { workingDays: 10, from: 'probation-end' }, documents: ['10-KNĐ', '11-KNĐ', '12-KNĐ'] },
  { id: 'recognition-cell-vote', label: { vi: 'Chi bộ xét, đề nghị công nhận đảng viên chính thức', en: 'Cell recognition vote' }, kind: 'vote', signer: 'cell', deadline: { workingDays: 30, from: 'probation-end' }, documents: ['13-KNĐ'] },
  { id: 'recognition-committee-vote', label: { vi: 'Đảng ủy cơ sở xét, đề nghị công nhận', en: 'Grassroots committee recognition vote' }, kind: 'vote', signer: 'grassrootsCommittee', deadline: { workingDays: 20, from: 'entered' }, documents: ['14-KNĐ', '15-KNĐ'] },
  { id: 'recognition-decision', label: { vi: 'Quyết định công nhận đảng viên chính thức', en: 'Recognition decision' }, kind: 'decision', signer: 'competent', deadline: { workingDays: 30, from: 'recognition-resolution' }, documents: ['16-KNĐ'] },
];

export const STEP_META: Readonly<Record<AdmissionStep, StepMeta>> = Object.fromEntries(ADMISSION_STEP_CATALOG.map((s) => [s.id, s])) as Record<
  AdmissionStep,
  StepMeta
>;

/** Rules of the procedure (domain.md §1), named. */
export const RULES = {
  /** Age at the cell vote, in full months (QĐ 294 art. 1). */
  minAgeMonths: 18 * 12,
  maxAgeMonths: 60 * 12,
  /** The awareness-course certificate (CN-NTVĐ) is valid 60 months at the cell vote. */
  certificateValidMonths: 60,
  /** A file older than this at the cell vote redoes introductions and opinions. */
  fileValidMonths: 12,
  /** Introducers have worked with the candidate at least this long. */
  introducerCoWorkingMonths: 12,
  probationMonths: 12,
  /** After this many failed recognition votes the competent committee decides. */
  maxRecognitionVotes: 3,
  /** A recorded extension adds this many working days to a decision's deadline. */
  decisionExtensionWorkingDays: 30,
} as const;

/** The vote threshold: at least two thirds of the eligible official members vote for. */
export const votePasses = (v: { readonly eligible: number; readonly for: number }): boolean => 3 * v.for >= 2 * v.eligible;
