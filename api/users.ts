/** Users and their roles (admins only). Passwords are hashed here and never logged, returned or audited. */
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { getOrganization } from '../infra/db/queries/organizations.js';
import * as q from '../infra/db/queries/users.js';
import { bodyOf } from '../workflows/org/tree.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './auth/passwords.js';
import type { Principal } from './auth/policy.js';
import { HttpError, notFound, type FieldError } from './http-errors.js';

export interface UserInput {
  readonly username: string;
  readonly displayName: string;
  readonly email?: string | null | undefined;
  readonly password: string;
  readonly roles: readonly q.RoleGrant[];
}

export type UserPatch = Partial<Omit<UserInput, 'username'>> & { readonly active?: boolean | undefined };

export interface UserService {
  list(): Promise<q.UserRow[]>;
  create(p: Principal, input: UserInput): Promise<q.UserRow>;
  update(p: Principal, id: string, patch: UserPatch): Promise<q.UserRow>;
}

/** Role grants must fit the tree: organizers and viewers name an organization; approvers a body it has. */
export async function roleProblems(pool: Pool, roles: readonly q.RoleGrant[]): Promise<FieldError[]> {
  const problems: FieldError[] = [];
  const seen = new Map<string, number>();
  for (const [i, r] of roles.entries()) {
    const at = (f: string) => `roles.${i}.${f}`;
    const key = `${r.role}|${r.organizationId}|${r.body}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push({ field: `roles.${i}`, rule: 'unique', message: `repeats roles.${first}` });
    seen.set(key, i);
    if (r.role === 'admin') {
      if (r.organizationId !== null) problems.push({ field: at('organizationId'), rule: 'none', message: 'must be null for admin (admins see everything)' });
      if (r.body !== null) problems.push({ field: at('body'), rule: 'none', message: 'must be null for admin (admins sign nothing)' });
      continue;
    }
    if (r.organizationId === null) {
      problems.push({ field: at('organizationId'), rule: 'required', message: `is required for ${r.role}` });
      continue;
    }
    const org = await getOrganization(pool, r.organizationId);
    if (!org) {
      problems.push({ field: at('organizationId'), rule: 'exists', message: 'does not name an existing organization' });
      continue;
    }
    if (r.role === 'approver') {
      if (r.body === null) problems.push({ field: at('body'), rule: 'required', message: 'is required for approver' });
      else if (bodyOf(org.kind) !== r.body) {
        problems.push({ field: at('body'), rule: 'matches_kind', message: `a ${org.kind} signs as ${bodyOf(org.kind)}, not ${r.body}` });
      }
    } else if (r.body !== null) {
      problems.push({ field: at('body'), rule: 'none', message: `must be null for ${r.role}` });
    }
  }
  return problems;
}

export function createUserService(deps: { pool: Pool }): UserService {
  const { pool } = deps;
  const checkRoles = async (roles: readonly q.RoleGrant[]) => {
    const problems = await roleProblems(pool, roles);
    if (problems.length) throw new HttpError(422, 'rule_violated', `Invalid roles: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
  };
  const checkPassword = (password: string | undefined) => {
    if (password !== undefined && [...password].length < MIN_PASSWORD_LENGTH) {
      throw new HttpError(400, 'validation_failed', `password: must be at least ${MIN_PASSWORD_LENGTH} characters`, [
        { field: 'password', rule: 'min', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` },
      ]);
    }
  };

  return {
    list: () => q.listUsers(pool),
    async create(p, input) {
      checkPassword(input.password);
      await checkRoles(input.roles);
      const passwordHash = await hashPassword(input.password);
      const id = await withTransaction(pool, async (db) => {
        const existing = await q.findCredentials(db, input.username);
        if (existing) {
          throw new HttpError(409, 'conflict', `username: ${input.username} is taken`, [{ field: 'username', rule: 'unique', message: 'is taken' }]);
        }
        const userId = await q.insertUser(db, { username: input.username, displayName: input.displayName, email: input.email ?? null, passwordHash });
        await q.replaceRoles(db, userId, input.roles);
        await appendAudit(db, {
          actorUserId: p.userId,
          actorIp: p.ip,
          action: 'user.created',
          entityType: 'user',
          entityId: userId,
          details: { roles: input.roles },
        });
        return userId;
      });
      q.forgetPrincipals();
      return (await q.getUser(pool, id))!;
    },
    async update(p, id, patch) {
      checkPassword(patch.password);
      if (patch.roles) await checkRoles(patch.roles);
      const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      await withTransaction(pool, async (db) => {
        if (!(await q.getUser(db, id))) throw notFound('The user');
        await q.updateUser(db, id, { displayName: patch.displayName, email: patch.email, active: patch.active, passwordHash });
        if (patch.roles) await q.replaceRoles(db, id, patch.roles);
        const fields = Object.keys(patch).map((k) => (k === 'password' ? 'password (changed)' : k));
        await appendAudit(db, { actorUserId: p.userId, actorIp: p.ip, action: 'user.updated', entityType: 'user', entityId: id, details: { fields } });
      });
      q.forgetPrincipals();
      return (await q.getUser(pool, id))!;
    },
  };
}
