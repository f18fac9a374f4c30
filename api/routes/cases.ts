/** /api/v1/cases: parse, call CaseService with the caller, map the result. No business rules here. */
import { z } from 'zod';
import {
  ADMISSION_STEPS,
  CASE_STATUSES,
  ESTABLISHMENT_STEP_IDS,
  type AdmissionStep,
  type EstablishmentStepData,
  type EstablishmentStepId,
  type StepData,
} from '../../workflows/definitions.js';
import { CASE_SORTS } from '../../infra/db/queries/cases.js';
import type { CaseService } from '../cases.js';
import { HttpError } from '../http-errors.js';
import { keyedUuid } from '../imports.js';
import type { DocumentService } from '../documents.js';
import { principal, type RouteDef, type RouteDoc } from '../routing.js';
import { isoDate, line, parse, uuid } from '../validation.js';

const MIN_BIRTH_YEAR = 1900;

/** The `Idempotency-Key` header of a create, if sent: 1–200 letters, digits or - _ . : */
function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header === 'string' && /^[A-Za-z0-9_.:-]{1,200}$/.test(header)) return header;
  throw new HttpError(400, 'validation_failed', 'Idempotency-Key: must be 1–200 letters, digits or - _ . : (sent once)', [
    { field: 'Idempotency-Key', rule: 'format', message: 'must be 1–200 letters, digits or - _ . :' },
  ]);
}

const CreateAdmission = z.strictObject({
  type: z.literal('admission'),
  organizationId: uuid,
  person: z.strictObject(
    { fullName: line(200), dateOfBirth: isoDate({ min: `${MIN_BIRTH_YEAR}-01-01`, max: 'today' }) },
    { error: 'must be an object with fullName and dateOfBirth' },
  ),
  // In-flight import: the steps already signed on paper, in order; each is a sign-off body with its step
  // and the day it was signed. Checked here for shape, by the workflow for the procedure.
  openedOn: isoDate({ min: '1990-01-01', max: 'today' }).optional(),
  history: z
    .array(z.looseObject({ step: z.enum(ADMISSION_STEPS, { error: 'must be a step of an admission case, such as cell-vote' }), signedOn: isoDate({ min: '1990-01-01', max: 'today' }) }), {
      error: 'must be a list of { step, signedOn, …the step’s sign-off fields }',
    })
    .max(40, 'must have at most 40 steps')
    .superRefine((items, ctx) => {
      items.forEach((item, i) => {
        const { step, signedOn: _on, ...body } = item;
        const parsed = STEP_BODIES[step].safeParse(body);
        if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [i, ...issue.path] } as z.core.$ZodRawIssue);
      });
    })
    .transform((items) =>
      items.map(({ step, signedOn, ...body }) => ({ signedOn, data: stepData(step, STEP_BODIES[step].parse(body) as Record<string, unknown>) })),
    )
    .optional(),
}).refine((b) => b.openedOn === undefined || b.history !== undefined, { message: 'is only taken with a history', path: ['openedOn'], params: { rule: 'with_history' } });
const CreateEstablishment = z.strictObject({ type: z.literal('cell-establishment'), organizationId: uuid, enterpriseId: uuid });
export const CreateCaseBody = z.discriminatedUnion('type', [CreateAdmission, CreateEstablishment], { error: 'type must be "admission" or "cell-establishment"' });

export const ListQuery = z.strictObject({
  status: z.enum(CASE_STATUSES, { error: `must be one of ${CASE_STATUSES.join(', ')}` }).optional(),
  type: z.enum(['admission', 'cell-establishment'], { error: 'must be admission or cell-establishment' }).optional(),
  step: z.enum([...ADMISSION_STEPS, ...ESTABLISHMENT_STEP_IDS], { error: 'must be a step id such as source, cell-vote or survey' }).optional(),
  organizationId: uuid.optional(),
  overdue: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
  dueWithin: z.coerce.number({ error: 'must be a number of working days' }).int('must be a whole number').min(0, 'must not be negative').max(250, 'must be at most 250').optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(200, 'must be at most 200')
    .default(50),
  year: z.coerce.number({ error: 'must be a year such as 2024' }).int('must be a whole number').min(2000, 'must be 2000 or later').max(2100, 'must be 2100 or earlier').optional(),
  q: z
    .string({ error: 'must be a string' })
    .trim()
    .min(2, 'must be at least 2 characters')
    .max(100, 'must be at most 100 characters')
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .optional(),
  sort: z.enum(CASE_SORTS, { error: `must be one of ${CASE_SORTS.join(', ')}` }).default('-openedAt'),
  after: z.string().max(200, 'must be at most 200 characters').optional(),
});

const CaseIdParams = z.object({ id: uuid });
const StepParams = z.object({ id: uuid, step: z.string().max(40) });
const AdmissionStepName = z.object({ step: z.enum(ADMISSION_STEPS, { error: 'must be a step of an admission case, such as cell-vote' }) });
const EstablishmentStepName = z.object({ step: z.enum(ESTABLISHMENT_STEP_IDS, { error: 'must be a step of a cell-establishment case, such as survey' }) });
const TransferMemberBody = z.strictObject({ personId: uuid });
const HostCellBody = z.strictObject({ organizationId: uuid });
const OwnerMeetingBody = z.strictObject({
  heldOn: isoDate({ min: '1990-01-01', max: 'today' }),
  attendees: line(1000),
  outcome: z.enum(['consented', 'declined', 'undecided'], { error: 'must be consented, declined or undecided' }),
  note: z.string({ error: 'must be a string' }).trim().max(2000, 'must be at most 2000 characters').optional(),
});
const WithdrawBody = z.strictObject({ reason: line(500) });
const HoldBody = z.strictObject({ reason: line(500) });
const TransferBody = z.strictObject({ organizationId: uuid });
const ExtendBody = z.strictObject({ step: z.enum(['decision', 'recognition-decision'], { error: 'must be decision or recognition-decision' }), reason: line(500) });
const ConsentBody = z.strictObject({ documentNo: line(100), on: isoDate({ min: '1990-01-01', max: 'today' }) });
const CommentBody = z.strictObject({ body: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters') });

const date = isoDate({ min: '1990-01-01', max: 'today' });
const count = z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(100_000, 'must be at most 100000');
const vote = z.strictObject({ heldOn: date, eligible: count, present: count, for: count, against: count }, { error: 'must be an object with heldOn, eligible, present, for, against' });
const decisionNumber = z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters');

/** Lines of a summary of opinions (5-KNĐ, 12-KNĐ): given, the step issues the summary. */
const opinions = z
  .array(
    z
      .strictObject({ source: line(200), asked: count, agree: count })
      .refine((o) => o.agree <= o.asked, { message: 'agree must not exceed asked', path: ['agree'], params: { rule: 'max' } }),
    { error: 'must be a list of { source, asked, agree }' },
  )
  .min(1, 'must have at least one line')
  .max(20, 'must have at most 20 lines');

/** The body of each step's sign-off (shape only; the procedure's rules are checked by the workflow). */
export const STEP_BODIES = {
  source: z.strictObject({ helperPersonId: uuid }),
  'awareness-course': z.strictObject({ certificateIssuedOn: date }),
  application: z.strictObject({ receivedOn: date, biographySealedOn: date }),
  verification: z.strictObject({ completedOn: date, result: z.enum(['clear', 'concerns'], { error: 'must be clear or concerns' }) }),
  introduction: z.strictObject({
    introducedOn: date,
    introducers: z
      .array(z.strictObject({ personId: uuid, coWorkingMonths: count }), { error: 'must be a list of introducers' })
      .min(1, 'must name at least one introducer')
      .max(2, 'must name at most two introducers'),
    unionResolution: z
      .strictObject({ union: z.enum(['youth-union', 'trade-union'], { error: 'must be youth-union or trade-union' }), resolutionOn: date })
      .nullable()
      .default(null),
  }),
  opinions: z.strictObject({ summarizedOn: date, opinions: opinions.optional() }),
  'cell-vote': z.strictObject({ vote }),
  'partial-appraisal': z.strictObject({ reportedOn: date, recommendation: z.enum(['admit', 'reject'], { error: 'must be admit or reject' }) }),
  'committee-vote': z.strictObject({ vote }),
  decision: z.strictObject({ decided: z.enum(['admit', 'reject'], { error: 'must be admit or reject' }), number: decisionNumber, issuedOn: date, receivedByCellOn: date }),
  ceremony: z.strictObject({ heldOn: date, helperPersonId: uuid }),
  probation: z.strictObject({ newMemberCourseOn: date }),
  'recognition-review': z.strictObject({ selfReviewOn: date, helperAssessmentOn: date, opinionsOn: date, opinions: opinions.optional() }),
  'recognition-cell-vote': z.strictObject({ vote, proposal: z.enum(['recognize', 'strike-off'], { error: 'must be recognize or strike-off' }).default('recognize') }),
  'recognition-committee-vote': z.strictObject({ vote }),
  'recognition-decision': z.strictObject({ decided: z.enum(['recognize', 'strike-off'], { error: 'must be recognize or strike-off' }), number: decisionNumber, issuedOn: date }),
} satisfies Record<AdmissionStep, z.ZodType>;

const members = z.strictObject({ official: count, probationary: count, attachedElsewhere: count });
/** The body of each cell-establishment sign-off. */
export const ESTABLISHMENT_BODIES = {
  survey: z.strictObject({
    surveyedOn: date,
    workforce: count,
    tradeUnion: z.boolean({ error: 'must be true or false' }),
    youthUnion: z.boolean({ error: 'must be true or false' }),
    ownerAttitude: z.enum(['supportive', 'neutral', 'opposed'], { error: 'must be supportive, neutral or opposed' }),
    reportedMembers: members,
  }),
  'owner-consent': z.discriminatedUnion(
    'outcome',
    [
      z.strictObject({ outcome: z.literal('consented'), consentOn: date, document: line(300) }),
      z.strictObject({ outcome: z.literal('declined'), declinedOn: date, revisitOn: isoDate({ min: '1990-01-01' }) }),
    ],
    { error: 'outcome must be consented or declined' },
  ),
  'member-transfer': z.strictObject({ completedOn: date }),
  proposal: z.strictObject({
    proposedOn: date,
    name: line(300),
    symbol: z.string({ error: 'must be a string' }).trim().regex(/^[\p{L}\p{N}-]{1,30}$/u, 'must be letters, digits and hyphens, e.g. CBSB'),
    kind: z.enum(['grassroots-cell', 'grassroots-committee'], { error: 'must be grassroots-cell or grassroots-committee' }),
    leadership: z.enum(['secretary', 'committee'], { error: 'must be secretary or committee' }),
  }),
  decision: z.strictObject({ establishmentNumber: decisionNumber, appointmentNumber: decisionNumber, issuedOn: date, appointeePersonId: uuid }),
  announcement: z.strictObject({ heldOn: date }),
} satisfies Record<EstablishmentStepId, z.ZodType>;

// For the OpenAPI document only, derived from the schemas above: the handler picks the body by the case's
// type and step; the document lists every step's body, titled (copies via .meta: the originals are untouched).
const SignOffBodyDoc = z.union([
  ...Object.entries(STEP_BODIES).map(([step, body]) => body.meta({ title: `${step} (admission)` })),
  ...Object.entries(ESTABLISHMENT_BODIES).map(([step, body]) => body.meta({ title: `${step} (cell establishment)` })),
]);
const SignOffParamsDoc = StepParams.extend({
  step: z.enum([...new Set([...AdmissionStepName.shape.step.options, ...EstablishmentStepName.shape.step.options])] as [string, ...string[]]),
});
const tags = ['Cases'];

/** A sign-off body as the workflow takes it; the server fills what it knows better (the candidate's age at the vote, the introducers' status). */
export function stepData(step: AdmissionStep, body: Record<string, unknown>): StepData {
  const data = { step, ...body, ...(step === 'introduction' ? { introducers: (body.introducers as Array<object>).map((i) => ({ ...i, official: false })) } : {}) };
  return (step === 'cell-vote' ? { ...data, candidateAgeMonths: 0 } : data) as StepData;
}

export function caseRoutes(cases: CaseService, documents: DocumentService): RouteDef[] {
  const id = (params: unknown) => parse(CaseIdParams, params, 'path').id;
  const caseAction = (
    path: string,
    action: RouteDef['action'],
    doc: Omit<RouteDoc, 'params' | 'tags'>,
    run: (req: Parameters<RouteDef['handler']>[0], caseId: string) => Promise<unknown>,
  ): RouteDef => ({
    method: 'post',
    path,
    action,
    doc: { tags, params: CaseIdParams, errors: [409, 422], responseDescription: 'The case after the change', ...doc },
    handler: async (req, res) => res.json(await run(req, id(req.params))),
  });
  return [
    {
      method: 'post',
      path: '/',
      action: 'cases.create',
      doc: {
        summary: 'Open a case (admission or cell establishment)',
        description:
          'Answers once the case is in the read model, with a `Location` header. With an `Idempotency-Key` header (1–200 letters, digits, `-_.:`; ' +
          "per user), a retried request opens nothing new: it answers 200 with the case the key opened (header `Idempotent-Replayed: true`), 409 " +
          '`in_progress` while the first is still being carried out, 422 `idempotency_key_reused` when the key opened a different case.',
        tags,
        body: CreateCaseBody,
        success: 201,
        responseDescription: 'The new case',
        errors: [422],
      },
      handler: async (req, res) => {
        const body = parse(CreateCaseBody, req.body, 'body');
        const p = principal(req);
        // A client that lost the answer retries with the same key: the key (per user) fixes the case id, so
        // the workflow id is taken at most once, and a retry finds the case the first attempt opened.
        const key = idempotencyKey(req.headers['idempotency-key']);
        const caseId = key === undefined ? undefined : keyedUuid(`idempotency|${p.userId}|${key}`);
        if (caseId !== undefined) {
          const earlier = await cases.existingCase(p, caseId);
          if (earlier) {
            const sameRequest = earlier.type === body.type && earlier.organizationId === body.organizationId;
            if (!sameRequest) {
              throw new HttpError(422, 'idempotency_key_reused', 'Idempotency-Key: already opened a different case; use a new key for a new request', [
                { field: 'Idempotency-Key', rule: 'same_request', message: 'already opened a different case' },
              ]);
            }
            res.status(200).location(`/api/v1/cases/${caseId}`).set('Idempotent-Replayed', 'true').json(await cases.status(p, caseId));
            return;
          }
        }
        try {
          const snapshot =
            body.type === 'admission'
              ? await cases.openAdmission(p, { organizationId: body.organizationId, person: body.person, openedOn: body.openedOn, history: body.history, ...(caseId ? { caseId } : {}) })
              : await cases.openEstablishment(p, { organizationId: body.organizationId, enterpriseId: body.enterpriseId, ...(caseId ? { caseId } : {}) });
          res.status(201).location(`/api/v1/cases/${snapshot.caseId}`).json(snapshot);
        } catch (err) {
          if (caseId !== undefined && err instanceof HttpError && err.code === 'already_started') {
            throw new HttpError(409, 'in_progress', 'Idempotency-Key: a request with this key is still being carried out; retry in a moment');
          }
          throw err;
        }
      },
    },
    {
      method: 'get',
      path: '/',
      action: 'cases.read',
      doc: {
        summary: 'List and search cases',
        description: "In the caller's scope. `q` searches names without accents; keyset paging: pass the answer's `nextCursor` as `after` (with the same `sort`).",
        tags,
        query: ListQuery,
        responseDescription: '`{ items, nextCursor }`',
      },
      handler: async (req, res) => {
        const { q: text, ...query } = parse(ListQuery, req.query, 'query');
        res.json(await cases.list(principal(req), { ...query, text }));
      },
    },
    {
      method: 'get',
      path: '/:id',
      action: 'cases.read',
      doc: { summary: 'One case with its person and history', tags, params: CaseIdParams },
      handler: async (req, res) => res.json(await cases.get(principal(req), id(req.params))),
    },
    {
      method: 'get',
      path: '/:id/status',
      action: 'cases.read',
      doc: { summary: "The workflow's view: step, due date, approval chain, facts", tags, params: CaseIdParams },
      handler: async (req, res) => res.json(await cases.status(principal(req), id(req.params))),
    },
    {
      method: 'get',
      path: '/:id/documents',
      action: 'cases.read',
      doc: { summary: "The case's documents", tags: ['Cases', 'Documents'], params: CaseIdParams, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await documents.list(principal(req), id(req.params)) }),
    },
    {
      method: 'get',
      path: '/:id/comments',
      action: 'cases.read',
      doc: { summary: 'Staff comments on the case', tags, params: CaseIdParams, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await cases.comments(principal(req), id(req.params)) }),
    },
    {
      method: 'post',
      path: '/:id/steps/:step',
      action: 'cases.sign',
      doc: {
        summary: 'Sign off the open step',
        description: [
          "The body is the one of `step` for the case's type (admission or cell establishment); each alternative is titled by its step.",
          '409 when the case is at another step, closed or on hold; 422 with the broken rule; 403 when the caller is not the body the step names.',
        ].join(' '),
        tags,
        params: SignOffParamsDoc,
        body: SignOffBodyDoc,
        responseDescription: 'The case after the sign-off',
        errors: [409, 422],
      },
      handler: async (req, res) => {
        const { id: caseId, step: stepName } = parse(StepParams, req.params, 'path');
        const p = principal(req);
        if ((await cases.caseType(p, caseId)) === 'cell-establishment') {
          const { step: est } = parse(EstablishmentStepName, { step: stepName }, 'path');
          const body = parse(ESTABLISHMENT_BODIES[est] as z.ZodType<Record<string, unknown>>, req.body, 'body');
          res.json(await cases.signEstablishment(p, caseId, { step: est, ...body } as EstablishmentStepData));
          return;
        }
        const { step } = parse(AdmissionStepName, { step: stepName }, 'path');
        const body = parse(STEP_BODIES[step] as z.ZodType<Record<string, unknown>>, req.body, 'body');
        res.json(await cases.sign(principal(req), caseId, stepData(step, body)));
      },
    },
    caseAction('/:id/member-transfers', 'cases.drive', { summary: "Cell establishment: record a member's transfer into the enterprise", body: TransferMemberBody }, (req, caseId) =>
      cases.recordMemberTransfer(principal(req), caseId, parse(TransferMemberBody, req.body, 'body').personId),
    ),
    caseAction('/:id/host-cell', 'cases.drive', { summary: 'Cell establishment: attach the members to a host cell meanwhile', body: HostCellBody }, (req, caseId) =>
      cases.attachHostCell(principal(req), caseId, parse(HostCellBody, req.body, 'body').organizationId),
    ),
    {
      method: 'get',
      path: '/:id/owner-meetings',
      action: 'cases.read',
      doc: { summary: "Cell establishment: persuasion meetings with the enterprise's owner", tags, params: CaseIdParams, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await cases.ownerMeetings(principal(req), id(req.params)) }),
    },
    {
      method: 'post',
      path: '/:id/owner-meetings',
      action: 'cases.drive',
      doc: { summary: 'Cell establishment: record a persuasion meeting', tags, params: CaseIdParams, body: OwnerMeetingBody, success: 201, errors: [409, 422] },
      handler: async (req, res) => res.status(201).json(await cases.addOwnerMeeting(principal(req), id(req.params), parse(OwnerMeetingBody, req.body, 'body'))),
    },
    caseAction('/:id/withdraw', 'cases.drive', { summary: 'Withdraw (close) the case', body: WithdrawBody }, (req, caseId) =>
      cases.withdraw(principal(req), caseId, parse(WithdrawBody, req.body, 'body').reason),
    ),
    caseAction('/:id/hold', 'cases.drive', { summary: 'Put the case on hold (pauses the deadline clock)', body: HoldBody }, (req, caseId) =>
      cases.hold(principal(req), caseId, parse(HoldBody, req.body, 'body').reason),
    ),
    caseAction('/:id/resume', 'cases.drive', { summary: 'Resume a case on hold (the due date moves by the working days paused)' }, (req, caseId) =>
      cases.resume(principal(req), caseId),
    ),
    caseAction('/:id/transfer', 'cases.drive', { summary: 'Move the case to another cell', body: TransferBody }, (req, caseId) =>
      cases.transfer(principal(req), caseId, parse(TransferBody, req.body, 'body').organizationId),
    ),
    caseAction('/:id/extend-deadline', 'cases.drive', { summary: 'Extend a decision deadline by 30 working days (once)', body: ExtendBody }, (req, caseId) => {
      const b = parse(ExtendBody, req.body, 'body');
      return cases.extendDeadline(principal(req), caseId, b.step, b.reason);
    }),
    caseAction('/:id/provincial-consent', 'cases.drive', { summary: 'Record the provincial consent an over-60 candidate needs', body: ConsentBody }, (req, caseId) => {
      const b = parse(ConsentBody, req.body, 'body');
      return cases.recordProvincialConsent(principal(req), caseId, b.documentNo, b.on);
    }),
    {
      method: 'post',
      path: '/:id/comments',
      action: 'cases.drive',
      doc: { summary: 'Add a staff comment', tags, params: CaseIdParams, body: CommentBody, success: 201 },
      handler: async (req, res) => res.status(201).json(await cases.addComment(principal(req), id(req.params), parse(CommentBody, req.body, 'body').body)),
    },
  ];
}
