/** /api/v1/organizations: the tree (scoped reads; admins change it). */
import { z } from 'zod';
import { ORG_KINDS } from '../../workflows/org/tree.js';
import type { OrganizationService } from '../organizations.js';
import { principal, type RouteDef } from '../routing.js';
import { isoDate, line, parse, uuid } from '../validation.js';

const count = z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(100_000, 'must be at most 100000');
const fields = {
  name: line(300),
  kind: z.enum(ORG_KINDS, { error: `must be one of ${ORG_KINDS.join(', ')}` }),
  parentId: uuid.nullable(),
  symbol: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(30, 'must be at most 30 characters')
    .regex(/^[\p{L}\p{N}-]+$/u, 'must be letters, digits and hyphens, e.g. ĐUKKT')
    .nullable(),
  place: line(100).nullable(),
  enterpriseId: uuid.nullable(),
  competentCommitteeId: uuid.nullable(),
  delegated: z.boolean({ error: 'must be true or false' }),
  officialMembers: count,
  probationaryMembers: count,
  committeeMembers: count,
  workWeek: z.enum(['mon-fri', 'mon-sat'], { error: 'must be mon-fri or mon-sat' }),
  status: z.enum(['active', 'dissolved'], { error: 'must be active or dissolved' }),
  dissolvedOn: isoDate({ min: '1930-01-01', max: 'today' }).nullable(),
};
const CreateBody = z.strictObject(fields).partial().required({ name: true, kind: true });
const PatchBody = z.strictObject(fields).partial().refine((b) => Object.keys(b).length > 0, { message: 'must change at least one field', params: { rule: 'min' } });
const IdParams = z.object({ id: uuid });
const tags = ['Organizations'];

export function organizationRoutes(orgs: OrganizationService): RouteDef[] {
  const id = (params: unknown) => parse(IdParams, params, 'path').id;
  return [
    {
      method: 'get',
      path: '/',
      action: 'organizations.read',
      doc: { summary: "The organization tree in the caller's scope", tags, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await orgs.list(principal(req)) }),
    },
    {
      method: 'get',
      path: '/:id',
      action: 'organizations.read',
      doc: { summary: 'One organization', tags, params: IdParams },
      handler: async (req, res) => res.json(await orgs.get(principal(req), id(req.params))),
    },
    {
      method: 'get',
      path: '/:id/history',
      action: 'organizations.read',
      doc: { summary: "The organization's history of changes", tags, params: IdParams, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await orgs.history(principal(req), id(req.params)) }),
    },
    {
      method: 'get',
      path: '/:id/approval-chain',
      action: 'organizations.read',
      doc: { summary: "A cell's approval chain (cell → partial → grassroots → competent committee)", tags, params: IdParams },
      handler: async (req, res) => res.json(await orgs.chain(principal(req), id(req.params))),
    },
    {
      method: 'post',
      path: '/',
      action: 'organizations.write',
      doc: { summary: 'Admin: create an organization', tags, body: CreateBody, success: 201, responseDescription: 'The new organization', errors: [409, 422] },
      handler: async (req, res) => {
        const org = await orgs.create(principal(req), parse(CreateBody, req.body, 'body'));
        res.status(201).location(`/api/v1/organizations/${org.id}`).json(org);
      },
    },
    {
      method: 'patch',
      path: '/:id',
      action: 'organizations.write',
      doc: {
        summary: 'Admin: change, move or dissolve an organization',
        description: 'Move with `parentId`, dissolve with `status` and `dissolvedOn`; the history is kept.',
        tags,
        params: IdParams,
        body: PatchBody,
        errors: [409, 422],
      },
      handler: async (req, res) => {
        const orgId = id(req.params);
        res.json(await orgs.update(principal(req), orgId, parse(PatchBody, req.body, 'body')));
      },
    },
  ];
}
