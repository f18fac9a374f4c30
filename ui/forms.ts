/**
 * The sign-off forms of the staff UI as data: which inputs each step's form shows, and how a submitted
 * form (flat `name=value` pairs, dotted names for nested fields) becomes the JSON body the API's schemas
 * parse. The schemas, the service and the workflow then check it exactly as they check an API call.
 */
import type { AdmissionStep, EstablishmentStepId } from '../workflows/definitions.js';

export type FieldKind = 'date' | 'number' | 'text' | 'select' | 'member' | 'checkbox';

export interface FormField {
  /** Dotted path in the body: `vote.for`, `introducers.0.personId`. Also the input's name. */
  readonly name: string;
  readonly kind: FieldKind;
  /** For selects: the values (labels come from the locale file, `options.<value>`). */
  readonly options?: readonly string[];
  readonly optional?: boolean;
  /** Filled with today's date / this value when the form opens. */
  readonly defaultToday?: boolean;
  readonly defaultValue?: string;
}

const d = (name: string, extra: Partial<FormField> = {}): FormField => ({ name, kind: 'date', defaultToday: true, ...extra });
const n = (name: string): FormField => ({ name, kind: 'number' });
const voteFields: FormField[] = [d('vote.heldOn'), n('vote.eligible'), n('vote.present'), n('vote.for'), n('vote.against')];

export const ADMISSION_FORMS: Readonly<Record<AdmissionStep, readonly FormField[]>> = {
  source: [{ name: 'helperPersonId', kind: 'member' }],
  'awareness-course': [d('certificateIssuedOn')],
  application: [d('receivedOn'), d('biographySealedOn')],
  verification: [d('completedOn'), { name: 'result', kind: 'select', options: ['clear', 'concerns'] }],
  introduction: [
    d('introducedOn'),
    { name: 'introducers.0.personId', kind: 'member' },
    { name: 'introducers.0.coWorkingMonths', kind: 'number' },
    { name: 'introducers.1.personId', kind: 'member', optional: true },
    { name: 'introducers.1.coWorkingMonths', kind: 'number', optional: true },
    { name: 'unionResolution.union', kind: 'select', options: ['', 'youth-union', 'trade-union'], optional: true },
    d('unionResolution.resolutionOn', { optional: true, defaultToday: false }),
  ],
  opinions: [d('summarizedOn')],
  'cell-vote': voteFields,
  'partial-appraisal': [d('reportedOn'), { name: 'recommendation', kind: 'select', options: ['admit', 'reject'] }],
  'committee-vote': voteFields,
  decision: [
    { name: 'decided', kind: 'select', options: ['admit', 'reject'] },
    { name: 'number', kind: 'text' },
    d('issuedOn'),
    d('receivedByCellOn'),
  ],
  ceremony: [d('heldOn'), { name: 'helperPersonId', kind: 'member' }],
  probation: [d('newMemberCourseOn')],
  'recognition-review': [d('selfReviewOn'), d('helperAssessmentOn'), d('opinionsOn')],
  'recognition-cell-vote': [...voteFields, { name: 'proposal', kind: 'select', options: ['recognize', 'strike-off'] }],
  'recognition-committee-vote': voteFields,
  'recognition-decision': [{ name: 'decided', kind: 'select', options: ['recognize', 'strike-off'] }, { name: 'number', kind: 'text' }, d('issuedOn')],
};

export const ESTABLISHMENT_FORMS: Readonly<Record<EstablishmentStepId, readonly FormField[]>> = {
  survey: [
    d('surveyedOn'),
    n('workforce'),
    { name: 'tradeUnion', kind: 'checkbox' },
    { name: 'youthUnion', kind: 'checkbox' },
    { name: 'ownerAttitude', kind: 'select', options: ['supportive', 'neutral', 'opposed'] },
    n('reportedMembers.official'),
    n('reportedMembers.probationary'),
    n('reportedMembers.attachedElsewhere'),
  ],
  'owner-consent': [
    { name: 'outcome', kind: 'select', options: ['consented', 'declined'] },
    d('consentOn', { optional: true }),
    { name: 'document', kind: 'text', optional: true },
    d('declinedOn', { optional: true, defaultToday: false }),
    { name: 'revisitOn', kind: 'date', optional: true },
  ],
  'member-transfer': [d('completedOn')],
  proposal: [
    d('proposedOn'),
    { name: 'name', kind: 'text' },
    { name: 'symbol', kind: 'text' },
    { name: 'kind', kind: 'select', options: ['grassroots-cell', 'grassroots-committee'] },
    { name: 'leadership', kind: 'select', options: ['secretary', 'committee'] },
  ],
  decision: [{ name: 'establishmentNumber', kind: 'text' }, { name: 'appointmentNumber', kind: 'text' }, d('issuedOn'), { name: 'appointeePersonId', kind: 'member' }],
  announcement: [d('heldOn')],
};

/** Steps whose form holds a vote: the page computes the 2/3 rule as the counts are typed. */
export const VOTE_STEPS: ReadonlySet<string> = new Set(['cell-vote', 'committee-vote', 'recognition-cell-vote', 'recognition-committee-vote']);

/**
 * A submitted form as the API's JSON body: dotted names nest, numbers become numbers (a non-number stays a
 * string so the schema names the field), checkboxes booleans, empty optional inputs are left out (and a
 * group left wholly empty, such as an unused second introducer, disappears).
 */
export function formToBody(fields: readonly FormField[], form: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = form[f.name];
    const text = typeof raw === 'string' ? raw.trim() : Array.isArray(raw) ? String(raw.at(-1) ?? '').trim() : '';
    let value: unknown;
    if (f.kind === 'checkbox') value = text === 'on' || text === 'true';
    else if (text === '') {
      if (f.optional) continue;
      value = undefined; // required: the schema says so, naming the field
    } else if (f.kind === 'number') value = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    else value = text;
    setPath(body, f.name.split('.'), value);
  }
  return compactArrays(body) as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const nextIsIndex = /^\d+$/.test(path[i + 1]!);
    node[key] ??= nextIsIndex ? [] : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** Arrays from indexed names lose their holes (an unused second row). */
function compactArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined && x !== null).map(compactArrays);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compactArrays(x)]));
  return v;
}

const MESSAGE_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/worked with the candidate/, 'coWorkingMonths'],
  [/official member|is the candidate/, 'personId'],
];

/**
 * Which input a message from the API or the workflow is about. Validation errors name their field; rule
 * messages from the workflow start with it ("vote.present (9) cannot exceed …", "introducers.1 is not …").
 */
export function fieldOfMessage(fields: readonly FormField[], field: string | undefined, message: string): string | undefined {
  const names = fields.map((f) => f.name);
  if (field && names.includes(field)) return field;
  if (field) {
    const prefixed = names.find((n) => n.startsWith(`${field}.`));
    if (prefixed) return prefixed;
  }
  const lead = /^([A-Za-z][\w]*(?:\.[\w]+)*)/.exec(message)?.[1];
  if (!lead) return undefined;
  // A message about a group ("introducers.1 has worked …") belongs to the input of that group it is about.
  const hint = MESSAGE_HINTS.find(([re]) => re.test(message))?.[1];
  return names.find((n) => n === lead) ?? (hint && names.find((n) => n === `${lead}.${hint}`)) ?? names.find((n) => n.startsWith(`${lead}.`));
}
