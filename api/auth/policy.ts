/**
 * Who may do what, in one place. Routes name an action; this module decides from the caller's roles and the
 * resource's place in the tree. Reads outside the caller's scope answer as if the thing did not exist.
 */
import type { RoleGrant } from '../../infra/db/queries/users.js';
import type { ChainLink } from '../../workflows/org/tree.js';

export interface Principal {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly RoleGrant[];
  /** How the request proved who it is. */
  readonly via: 'session' | 'token';
  readonly ip: string | null;
}

/** Every action a route can name. The authorization matrix test covers each route's action. */
export type Action =
  | 'public'
  | 'self'
  | 'calendar.read'
  | 'calendar.write'
  | 'organizations.read'
  | 'organizations.write'
  | 'enterprises.read'
  | 'enterprises.write'
  | 'people.read'
  | 'people.write'
  | 'cases.read'
  | 'cases.create'
  | 'cases.drive'
  | 'cases.sign'
  | 'users.manage'
  | 'audit.read'
  | 'reports.read'
  | 'targets.write';

export const isAdmin = (p: Principal): boolean => p.roles.some((r) => r.role === 'admin');

/** Organization ids whose subtrees the caller may read, or 'all'. */
export function readScope(p: Principal): readonly string[] | 'all' {
  if (isAdmin(p)) return 'all';
  return [...new Set(p.roles.map((r) => r.organizationId).filter((id): id is string => id !== null))];
}

/** `path`: the organization's ids from the root down to itself. */
export const canRead = (p: Principal, path: readonly string[]): boolean => {
  const scope = readScope(p);
  return scope === 'all' || scope.some((id) => path.includes(id));
};

/** Organizers drive cases and keep records in their subtree; admins everywhere. */
export const canManage = (p: Principal, path: readonly string[]): boolean =>
  isAdmin(p) || p.roles.some((r) => r.role === 'organizer' && r.organizationId !== null && path.includes(r.organizationId));

/** Only an approver of exactly the body the step names, for that case's organization, signs it. */
export const canSign = (p: Principal, link: ChainLink): boolean =>
  p.roles.some((r) => r.role === 'approver' && r.body === link.body && r.organizationId === link.organizationId);

export const canWriteEnterprises = (p: Principal): boolean => isAdmin(p) || p.roles.some((r) => r.role === 'organizer');

/** Targets are set by organizers (of the organization or above it) and admins. */
export const canSetTargets = canWriteEnterprises;
