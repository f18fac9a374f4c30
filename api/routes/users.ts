/** /api/v1/users (admins) and /api/v1/audit (admins). */
import { z } from 'zod';
import { listAudit } from '../../infra/db/queries/audit.js';
import { ROLES } from '../../infra/db/queries/users.js';
import type { Pool } from '../../infra/db/pool.js';
import { BODIES } from '../../workflows/org/tree.js';
import type { UserService } from '../users.js';
import { principal, type RouteDef } from '../routing.js';
import { line, parse, uuid } from '../validation.js';

const roles = z
  .array(
    z.strictObject({
      role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
      organizationId: uuid.nullable().default(null),
      body: z.enum(BODIES, { error: `must be one of ${BODIES.join(', ')}` }).nullable().default(null),
    }),
    { error: 'must be a list of roles' },
  )
  .max(50, 'must list at most 50 roles');
const password = z.string({ error: 'must be a string' }).max(200, 'must be at most 200 characters');
const email = z.email({ error: 'must be an email address' }).max(200, 'must be at most 200 characters').nullable();
export const CreateUser = z.strictObject({
  username: z
    .string({ error: 'must be a string' })
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9._-]{3,64}$/, 'must be 3–64 characters: letters a–z, digits, dot, underscore, hyphen'),
  displayName: line(200),
  email: email.optional(),
  password,
  roles,
});
const PatchUser = z
  .strictObject({ displayName: line(200), email, password, roles, active: z.boolean({ error: 'must be true or false' }) })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'must change at least one field', params: { rule: 'min' } });
const AuditQuery = z.strictObject({
  entityType: line(50).optional(),
  entityId: line(100).optional(),
  caseId: uuid.optional(),
  before: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive').optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(500, 'must be at most 500').default(100),
});
const IdParams = z.object({ id: uuid });

const tags = ['Admin'];

export function userRoutes(users: UserService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/',
      action: 'users.manage',
      doc: { summary: 'Admin: users and their roles', tags, responseDescription: '`{ items }`' },
      handler: async (_req, res) => res.json({ items: await users.list() }),
    },
    {
      method: 'post',
      path: '/',
      action: 'users.manage',
      doc: { summary: 'Admin: create a user', tags, body: CreateUser, success: 201, responseDescription: 'The new user', errors: [409, 422] },
      handler: async (req, res) => {
        const user = await users.create(principal(req), parse(CreateUser, req.body, 'body'));
        res.status(201).location(`/api/v1/users/${user.id}`).json(user);
      },
    },
    {
      method: 'patch',
      path: '/:id',
      action: 'users.manage',
      doc: { summary: 'Admin: change a user (name, email, password, roles, active)', tags, params: IdParams, body: PatchUser, errors: [409, 422] },
      handler: async (req, res) => {
        const { id } = parse(IdParams, req.params, 'path');
        res.json(await users.update(principal(req), id, parse(PatchUser, req.body, 'body')));
      },
    },
  ];
}

export function auditRoutes(pool: Pool): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/',
      action: 'audit.read',
      doc: { summary: 'Admin: the audit log', description: 'Newest first; page with `before` (an audit row id).', tags, query: AuditQuery, responseDescription: '`{ items }`' },
      handler: async (req, res) => {
        const q = parse(AuditQuery, req.query, 'query');
        res.json({ items: await listAudit(pool, { ...q, beforeId: q.before }) });
      },
    },
  ];
}
