/** /api/v1/cases: parse, call CaseService, map the result. No business rules here. */
import { Router } from 'express';
import { z } from 'zod';
import { ADMISSION_STEPS, CASE_STATUSES } from '../../workflows/definitions.js';
import type { CaseService } from '../cases.js';
import { notFound } from '../http-errors.js';
import { isoDate, line, parse, uuid } from '../validation.js';

const MIN_BIRTH_YEAR = 1900;

const CreateCaseBody = z.strictObject({
  type: z.enum(['admission'], { error: 'must be "admission"' }),
  organizationId: uuid,
  person: z.strictObject(
    {
      fullName: line(200),
      dateOfBirth: isoDate({ min: `${MIN_BIRTH_YEAR}-01-01`, max: 'today' }),
    },
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

export function casesRouter(cases: CaseService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = parse(CreateCaseBody, req.body, 'body');
    const snapshot = await cases.openAdmission({ organizationId: body.organizationId, person: body.person });
    res.status(201).location(`/api/v1/cases/${snapshot.caseId}`).json(snapshot);
  });

  router.get('/', async (req, res) => {
    const query = parse(ListQuery, req.query, 'query');
    res.json(await cases.list(query));
  });

  router.get('/:id', async (req, res) => {
    const { id } = parse(CaseIdParams, req.params, 'path');
    const detail = await cases.get(id);
    if (!detail) throw notFound('The case');
    res.json(detail);
  });

  router.post('/:id/steps/source', async (req, res) => {
    const { id } = parse(CaseIdParams, req.params, 'path');
    const body = parse(AssignHelperBody, req.body, 'body');
    res.json(await cases.assignHelper(id, body.helperPersonId));
  });

  router.post('/:id/steps/awareness-course', async (req, res) => {
    const { id } = parse(CaseIdParams, req.params, 'path');
    const body = parse(AwarenessCourseBody, req.body, 'body');
    res.json(await cases.recordAwarenessCourse(id, body.certificateIssuedOn));
  });

  router.post('/:id/withdraw', async (req, res) => {
    const { id } = parse(CaseIdParams, req.params, 'path');
    const body = parse(WithdrawBody, req.body, 'body');
    res.json(await cases.withdraw(id, body.reason));
  });

  return router;
}
