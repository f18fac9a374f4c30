/** /api/v1/cases: parse, call CaseService with the caller, map the result. No business rules here. */
import { z } from 'zod';
import { ADMISSION_STEPS, CASE_STATUSES, type AdmissionStep, type StepData } from '../../workflows/definitions.js';
import type { CaseService } from '../cases.js';
import { principal, type RouteDef } from '../routing.js';
import { isoDate, line, parse, uuid } from '../validation.js';

const MIN_BIRTH_YEAR = 1900;

const CreateCaseBody = z.strictObject({
  type: z.enum(['admission'], { error: 'must be "admission"' }),
  organizationId: uuid,
  person: z.strictObject(
    { fullName: line(200), dateOfBirth: isoDate({ min: `${MIN_BIRTH_YEAR}-01-01`, max: 'today' }) },
    { error: 'must be an object with fullName and dateOfBirth' },
  ),
});

const ListQuery = z.strictObject({
  status: z.enum(CASE_STATUSES, { error: `must be one of ${CASE_STATUSES.join(', ')}` }).optional(),
  step: z.enum(ADMISSION_STEPS, { error: 'must be a step id such as source or cell-vote' }).optional(),
  organizationId: uuid.optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(200, 'must be at most 200')
    .default(50),
  after: z.string().max(200, 'must be at most 200 characters').optional(),
});

const CaseIdParams = z.object({ id: uuid });
const StepParams = z.object({ id: uuid, step: z.enum(ADMISSION_STEPS, { error: 'must be a step id such as cell-vote' }) });
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

/** The body of each step's sign-off (shape only; the procedure's rules are checked by the workflow). */
const STEP_BODIES = {
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
  opinions: z.strictObject({ summarizedOn: date }),
  'cell-vote': z.strictObject({ vote }),
  'partial-appraisal': z.strictObject({ reportedOn: date, recommendation: z.enum(['admit', 'reject'], { error: 'must be admit or reject' }) }),
  'committee-vote': z.strictObject({ vote }),
  decision: z.strictObject({ decided: z.enum(['admit', 'reject'], { error: 'must be admit or reject' }), number: decisionNumber, issuedOn: date, receivedByCellOn: date }),
  ceremony: z.strictObject({ heldOn: date, helperPersonId: uuid }),
  probation: z.strictObject({ newMemberCourseOn: date }),
  'recognition-review': z.strictObject({ selfReviewOn: date, helperAssessmentOn: date, opinionsOn: date }),
  'recognition-cell-vote': z.strictObject({ vote, proposal: z.enum(['recognize', 'strike-off'], { error: 'must be recognize or strike-off' }).default('recognize') }),
  'recognition-committee-vote': z.strictObject({ vote }),
  'recognition-decision': z.strictObject({ decided: z.enum(['recognize', 'strike-off'], { error: 'must be recognize or strike-off' }), number: decisionNumber, issuedOn: date }),
} satisfies Record<AdmissionStep, z.ZodType>;

export function caseRoutes(cases: CaseService): RouteDef[] {
  const id = (params: unknown) => parse(CaseIdParams, params, 'path').id;
  const caseAction = (path: string, action: RouteDef['action'], run: (req: Parameters<RouteDef['handler']>[0], caseId: string) => Promise<unknown>): RouteDef => ({
    method: 'post',
    path,
    action,
    handler: async (req, res) => res.json(await run(req, id(req.params))),
  });
  return [
    {
      method: 'post',
      path: '/',
      action: 'cases.create',
      handler: async (req, res) => {
        const body = parse(CreateCaseBody, req.body, 'body');
        const snapshot = await cases.openAdmission(principal(req), { organizationId: body.organizationId, person: body.person });
        res.status(201).location(`/api/v1/cases/${snapshot.caseId}`).json(snapshot);
      },
    },
    {
      method: 'get',
      path: '/',
      action: 'cases.read',
      handler: async (req, res) => res.json(await cases.list(principal(req), parse(ListQuery, req.query, 'query'))),
    },
    { method: 'get', path: '/:id', action: 'cases.read', handler: async (req, res) => res.json(await cases.get(principal(req), id(req.params))) },
    { method: 'get', path: '/:id/status', action: 'cases.read', handler: async (req, res) => res.json(await cases.status(principal(req), id(req.params))) },
    { method: 'get', path: '/:id/comments', action: 'cases.read', handler: async (req, res) => res.json({ items: await cases.comments(principal(req), id(req.params)) }) },
    {
      method: 'post',
      path: '/:id/steps/:step',
      action: 'cases.sign',
      handler: async (req, res) => {
        const { id: caseId, step } = parse(StepParams, req.params, 'path');
        const body = parse(STEP_BODIES[step] as z.ZodType<Record<string, unknown>>, req.body, 'body');
        const data = { step, ...body, ...(step === 'introduction' ? { introducers: (body.introducers as Array<object>).map((i) => ({ ...i, official: false })) } : {}) };
        // The server fills what it knows better: the candidate's age at the vote, the introducers' status.
        res.json(await cases.sign(principal(req), caseId, (step === 'cell-vote' ? { ...data, candidateAgeMonths: 0 } : data) as StepData));
      },
    },
    caseAction('/:id/withdraw', 'cases.drive', (req, caseId) => cases.withdraw(principal(req), caseId, parse(WithdrawBody, req.body, 'body').reason)),
    caseAction('/:id/hold', 'cases.drive', (req, caseId) => cases.hold(principal(req), caseId, parse(HoldBody, req.body, 'body').reason)),
    caseAction('/:id/resume', 'cases.drive', (req, caseId) => cases.resume(principal(req), caseId)),
    caseAction('/:id/transfer', 'cases.drive', (req, caseId) => cases.transfer(principal(req), caseId, parse(TransferBody, req.body, 'body').organizationId)),
    caseAction('/:id/extend-deadline', 'cases.drive', (req, caseId) => {
      const b = parse(ExtendBody, req.body, 'body');
      return cases.extendDeadline(principal(req), caseId, b.step, b.reason);
    }),
    caseAction('/:id/provincial-consent', 'cases.drive', (req, caseId) => {
      const b = parse(ConsentBody, req.body, 'body');
      return cases.recordProvincialConsent(principal(req), caseId, b.documentNo, b.on);
    }),
    {
      method: 'post',
      path: '/:id/comments',
      action: 'cases.drive',
      handler: async (req, res) => res.status(201).json(await cases.addComment(principal(req), id(req.params), parse(CommentBody, req.body, 'body').body)),
    },
  ];
}
