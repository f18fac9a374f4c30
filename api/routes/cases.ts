/** /api/v1/cases: parse, call CaseService with the caller, map the result. No business rules here. */
import { z } from 'zod';
import { ADMISSION_STEPS, CASE_STATUSES } from '../../workflows/definitions.js';
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
const AssignHelperBody = z.strictObject({ helperPersonId: uuid });
const WithdrawBody = z.strictObject({ reason: line(500) });
const AwarenessCourseBody = z.strictObject({ certificateIssuedOn: isoDate({ min: '1990-01-01', max: 'today' }) });

export function caseRoutes(cases: CaseService): RouteDef[] {
  const id = (params: unknown) => parse(CaseIdParams, params, 'path').id;
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
    {
      method: 'get',
      path: '/:id',
      action: 'cases.read',
      handler: async (req, res) => res.json(await cases.get(principal(req), id(req.params))),
    },
    {
      method: 'post',
      path: '/:id/steps/source',
      action: 'cases.sign',
      handler: async (req, res) => {
        const caseId = id(req.params);
        const body = parse(AssignHelperBody, req.body, 'body');
        res.json(await cases.assignHelper(principal(req), caseId, body.helperPersonId));
      },
    },
    {
      method: 'post',
      path: '/:id/steps/awareness-course',
      action: 'cases.drive',
      handler: async (req, res) => {
        const caseId = id(req.params);
        const body = parse(AwarenessCourseBody, req.body, 'body');
        res.json(await cases.recordAwarenessCourse(principal(req), caseId, body.certificateIssuedOn));
      },
    },
    {
      method: 'post',
      path: '/:id/withdraw',
      action: 'cases.drive',
      handler: async (req, res) => {
        const caseId = id(req.params);
        const body = parse(WithdrawBody, req.body, 'body');
        res.json(await cases.withdraw(principal(req), caseId, body.reason));
      },
    },
  ];
}
