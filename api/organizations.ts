/**
 * The organization tree: reads scoped to the caller's subtrees; changes (admins) validated against the
 * tree's shape and written with their history and an audit row in one transaction.
 */
import type { Pool, PoolClient } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { moveSubtreeCounters } from '../infra/db/queries/counters.js';
import * as q from '../infra/db/queries/organizations.js';
import { approvalChain, parentProblem, TreeError, type ApprovalChain, type OrgKind } from '../workflows/org/tree.js';
import { canRead, readScope, type Principal } from './auth/policy.js';
import { HttpError, notFound } from './http-errors.js';

export type OrganizationInput = Partial<q.OrganizationFields>;

export interface OrganizationService {
  list(p: Principal): Promise<q.OrganizationRow[]>;
  get(p: Principal, id: string): Promise<q.OrganizationRow>;
  history(p: Principal, id: string): Promise<unknown[]>;
  chain(p: Principal, id: string): Promise<ApprovalChain>;
  create(p: Principal, input: OrganizationInput & Pick<q.OrganizationFields, 'name' | 'kind'>): Promise<q.OrganizationRow>;
  update(p: Principal, id: string, patch: OrganizationInput): Promise<q.OrganizationRow>;
}

const unprocessable = (field: string, rule: string, message: string) =>
  new HttpError(422, 'rule_violated', `${field}: ${message}`, [{ field, rule, message }]);

export function createOrganizationService(deps: { pool: Pool }): OrganizationService {
  const { pool } = deps;

  async function visible(p: Principal, id: string) {
    const org = await q.getOrganization(pool, id);
    if (!org || !canRead(p, org.path)) throw notFound('The organization');
    return org;
  }

  /** Checks a new or changed organization against the tree; returns the parent's path. */
  async function checkPlacement(db: PoolClient, f: q.OrganizationFields, selfId: string | null): Promise<string[]> {
    let parentPath: string[] = [];
    let parentKind: OrgKind | null = null;
    if (f.parentId) {
      const parent = await q.getOrganization(db, f.parentId);
      if (!parent) throw unprocessable('parentId', 'exists', 'does not name an existing organization');
      if (parent.status !== 'active' && f.status === 'active') throw unprocessable('parentId', 'active', 'names a dissolved organization');
      if (selfId && parent.path.includes(selfId)) {
        throw unprocessable('parentId', 'cycle', 'is the organization itself or one of its descendants: the tree would have a cycle');
      }
      parentPath = parent.path;
      parentKind = parent.kind;
    }
    const problem = parentProblem(f.kind, parentKind);
    if (problem) throw unprocessable('parentId', 'parent_kind', problem);
    if (f.symbol && f.status === 'active' && (await q.symbolTaken(db, f.symbol, selfId))) {
      throw new HttpError(409, 'conflict', `symbol: ${f.symbol} is already the symbol of another active organization`, [
        { field: 'symbol', rule: 'unique', message: 'is already used by another active organization' },
      ]);
    }
    if (f.competentCommitteeId) {
      const c = await q.getOrganization(db, f.competentCommitteeId);
      if (!c) throw unprocessable('competentCommitteeId', 'exists', 'does not name an existing organization');
      if (c.kind !== 'upper-committee' && c.kind !== 'grassroots-committee') {
        throw unprocessable('competentCommitteeId', 'kind', `must be an upper or grassroots committee, not a ${c.kind}`);
      }
      if (c.status !== 'active') throw unprocessable('competentCommitteeId', 'active', 'names a dissolved committee');
      if (!parentPath.includes(c.id)) throw unprocessable('competentCommitteeId', 'ancestor', 'must be a committee above this organization');
    }
    if (f.status === 'dissolved' && !f.dissolvedOn) throw unprocessable('dissolvedOn', 'required', 'is required to dissolve an organization');
    if (f.status === 'active' && f.dissolvedOn) throw unprocessable('dissolvedOn', 'none', 'must be empty for an active organization');
    if (selfId) {
      const { rows: children } = await db.query<{ kind: OrgKind }>(`SELECT DISTINCT kind FROM organizations WHERE parent_id = $1 AND status = 'active'`, [selfId]);
      for (const child of children) {
        const problem = parentProblem(child.kind, f.kind);
        if (problem) throw unprocessable('kind', 'children', `its ${child.kind} organizations could not stay under it: ${problem}`);
      }
    }
    if (f.delegated && f.kind !== 'grassroots-committee') {
      throw unprocessable('delegated', 'kind', 'only a grassroots committee can be delegated to decide admissions');
    }
    if (f.enterpriseId) {
      const { rowCount } = await db.query('SELECT 1 FROM enterprises WHERE id = $1', [f.enterpriseId]);
      if (!rowCount) throw unprocessable('enterpriseId', 'exists', 'does not name an existing enterprise');
    }
    return parentPath;
  }

  const audit = (db: PoolClient, p: Principal, action: string, org: q.OrganizationRow, details: Record<string, unknown> = {}) =>
    appendAudit(db, { actorUserId: p.userId, actorIp: p.ip, action, entityType: 'organization', entityId: org.id, organizationId: org.id, details });

  return {
    list: (p) => q.listOrganizations(pool, readScope(p)),
    get: visible,
    async history(p, id) {
      await visible(p, id);
      return q.organizationHistory(pool, id);
    },
    async chain(p, id) {
      await visible(p, id);
      const nodes = new Map((await q.chainNodes(pool, id)).map((n) => [n.id, n]));
      try {
        return approvalChain(id, (n) => nodes.get(n));
      } catch (err) {
        if (err instanceof TreeError) throw unprocessable('id', err.rule, err.message);
        throw err;
      }
    },

    create: (p, input) =>
      withTransaction(pool, async (db) => {
        const f: q.OrganizationFields = { ...q.ORGANIZATION_DEFAULTS, ...input };
        const parentPath = await checkPlacement(db, f, null);
        const org = await q.insertOrganization(db, f, parentPath);
        await q.insertOrganizationHistory(db, { organizationId: org.id, actorUserId: p.userId, change: 'created', before: null, after: org });
        await audit(db, p, 'organization.created', org);
        return org;
      }),

    update: (p, id, patch) =>
      withTransaction(pool, async (db) => {
        await db.query('SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE', [id]);
        const before = await q.getOrganization(db, id);
        if (!before || !canRead(p, before.path)) throw notFound('The organization');
        const { id: _id, path: _path, createdAt: _c, updatedAt: _u, ...current } = before;
        // Reactivating clears the dissolution date unless the caller sets one (which is then refused).
        const reactivated = patch.status === 'active' && before.status === 'dissolved' && patch.dissolvedOn === undefined;
        const f: q.OrganizationFields = { ...current, ...patch, ...(reactivated ? { dissolvedOn: null } : {}) };
        const moved = f.parentId !== before.parentId;
        const dissolving = f.status === 'dissolved' && before.status === 'active';
        if (before.status === 'dissolved' && f.status === 'dissolved' && Object.keys(patch).some((k) => k !== 'dissolvedOn')) {
          throw unprocessable('status', 'dissolved', 'a dissolved organization cannot be changed');
        }
        if (dissolving) {
          if ((await q.countActiveChildren(db, id)) > 0) {
            throw unprocessable('status', 'children', 'move or dissolve its active organizations first');
          }
          const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE organization_id = $1 AND status = 'open'`, [id]);
          if (rows[0]!.n > 0) throw unprocessable('status', 'open_cases', `transfer or close its ${rows[0]!.n} open case(s) first`);
        }
        const parentPath = await checkPlacement(db, f, id);
        await q.updateOrganization(db, id, f);
        if (moved) {
          await q.rewriteSubtreePaths(db, id, parentPath);
          // Report counters are subtree totals: they follow the organization to its new place.
          await moveSubtreeCounters(db, id, before.path.slice(0, -1), parentPath);
        }
        const after = (await q.getOrganization(db, id))!;
        const change = dissolving ? 'dissolved' : moved ? 'moved' : 'updated';
        await q.insertOrganizationHistory(db, { organizationId: id, actorUserId: p.userId, change, before, after });
        await audit(db, p, `organization.${change}`, after, { fields: Object.keys(patch) });
        return after;
      }),
  };
}
