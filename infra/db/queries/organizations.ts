/** SQL for the organization tree. */
import type { OrgKind, OrgNode } from '../../../workflows/org/tree.js';
import type { Queryable } from '../pool.js';

export interface OrganizationRow {
  readonly id: string;
  readonly name: string;
  readonly kind: OrgKind;
  readonly parentId: string | null;
  readonly symbol: string | null;
  /** On the place-and-date line of its documents; null: the nearest ancestor's. */
  readonly place: string | null;
  readonly enterpriseId: string | null;
  readonly competentCommitteeId: string | null;
  readonly delegated: boolean;
  readonly officialMembers: number;
  readonly probationaryMembers: number;
  readonly committeeMembers: number;
  readonly workWeek: 'mon-fri' | 'mon-sat';
  readonly status: 'active' | 'dissolved';
  readonly dissolvedOn: string | null;
  readonly path: string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type OrganizationFields = Omit<OrganizationRow, 'id' | 'path' | 'createdAt' | 'updatedAt'>;

/** What a new organization gets for each field the caller leaves out. */
export const ORGANIZATION_DEFAULTS: Omit<OrganizationFields, 'name' | 'kind'> = {
  parentId: null,
  symbol: null,
  place: null,
  enterpriseId: null,
  competentCommitteeId: null,
  delegated: false,
  officialMembers: 0,
  probationaryMembers: 0,
  committeeMembers: 0,
  workWeek: 'mon-fri',
  status: 'active',
  dissolvedOn: null,
};

const COLUMNS = `o.id, o.name, o.kind, o.parent_id AS "parentId", o.symbol, o.place, o.enterprise_id AS "enterpriseId",
  o.competent_committee_id AS "competentCommitteeId", o.delegated, o.official_members AS "officialMembers",
  o.probationary_members AS "probationaryMembers", o.committee_members AS "committeeMembers",
  o.work_week AS "workWeek", o.status, o.dissolved_on AS "dissolvedOn", o.path,
  to_json(o.created_at) #>> '{}' AS "createdAt", to_json(o.updated_at) #>> '{}' AS "updatedAt"`;

/** `scope`: ids of organizations whose subtrees the caller may see, or 'all'. */
export async function listOrganizations(db: Queryable, scope: readonly string[] | 'all'): Promise<OrganizationRow[]> {
  const { rows } = await db.query<OrganizationRow>(
    `SELECT ${COLUMNS} FROM organizations o WHERE $1::boolean OR o.path && $2::uuid[] ORDER BY array_length(o.path, 1), o.name`,
    [scope === 'all', scope === 'all' ? [] : scope],
  );
  return rows;
}

export async function getOrganization(db: Queryable, id: string): Promise<OrganizationRow | undefined> {
  const { rows } = await db.query<OrganizationRow>(`SELECT ${COLUMNS} FROM organizations o WHERE o.id = $1`, [id]);
  return rows[0];
}

/**
 * SQL: the ids the approval chain of an organization with this `path` reads: the path (the organization and its
 * ancestors) and any competent committee they name. Index lookups only. Shared by `chainNodes` and the case page.
 */
export const chainNodeIds = (path: string) =>
  `${path} || ARRAY(SELECT a.competent_committee_id FROM organizations a WHERE a.id = ANY(${path}) AND a.competent_committee_id IS NOT NULL)`;

/** The organization, its ancestors and any competent committee they name: all the approval chain reads. */
export async function chainNodes(db: Queryable, id: string): Promise<OrgNode[]> {
  const { rows } = await db.query<OrgNode>(
    `SELECT n.id, n.kind, n.parent_id AS "parentId", n.delegated, n.competent_committee_id AS "competentCommitteeId"
       FROM organizations o JOIN organizations n ON n.id = ANY(${chainNodeIds('o.path')})
      WHERE o.id = $1`,
    [id],
  );
  return rows;
}

export async function symbolTaken(db: Queryable, symbol: string, exceptId: string | null): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM organizations WHERE lower(symbol) = lower($1) AND status = 'active' AND ($2::uuid IS NULL OR id <> $2)`,
    [symbol, exceptId],
  );
  return (rowCount ?? 0) > 0;
}

export async function insertOrganization(db: Queryable, f: OrganizationFields, parentPath: readonly string[]): Promise<OrganizationRow> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO organizations (name, kind, parent_id, symbol, enterprise_id, competent_committee_id, delegated,
                                official_members, probationary_members, committee_members, work_week, status, dissolved_on, place, path)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, ARRAY[]::uuid[])
     RETURNING id`,
    [f.name, f.kind, f.parentId, f.symbol, f.enterpriseId, f.competentCommitteeId, f.delegated, f.officialMembers,
      f.probationaryMembers, f.committeeMembers, f.workWeek, f.status, f.dissolvedOn, f.place],
  );
  const id = rows[0]!.id;
  await db.query('UPDATE organizations SET path = $2::uuid[] || id WHERE id = $1', [id, parentPath]);
  return (await getOrganization(db, id))!;
}

export async function updateOrganization(db: Queryable, id: string, f: OrganizationFields): Promise<void> {
  await db.query(
    `UPDATE organizations SET name = $2, kind = $3, parent_id = $4, symbol = $5, enterprise_id = $6, competent_committee_id = $7,
            delegated = $8, official_members = $9, probationary_members = $10, committee_members = $11, work_week = $12,
            status = $13, dissolved_on = $14, place = $15, updated_at = now()
      WHERE id = $1`,
    [id, f.name, f.kind, f.parentId, f.symbol, f.enterpriseId, f.competentCommitteeId, f.delegated, f.officialMembers,
      f.probationaryMembers, f.committeeMembers, f.workWeek, f.status, f.dissolvedOn, f.place],
  );
}

/** After a move: every path through `id` gets the new parent's path as its prefix. */
export async function rewriteSubtreePaths(db: Queryable, id: string, parentPath: readonly string[]): Promise<void> {
  await db.query(
    `UPDATE organizations SET path = $2::uuid[] || path[array_position(path, $1::uuid):] WHERE path @> ARRAY[$1::uuid]`,
    [id, parentPath],
  );
}

export async function countActiveChildren(db: Queryable, id: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM organizations WHERE parent_id = $1 AND status = 'active'`, [id]);
  return rows[0]!.n;
}

export async function insertOrganizationHistory(
  db: Queryable,
  h: { organizationId: string; actorUserId: string | null; change: 'created' | 'updated' | 'moved' | 'dissolved'; before: unknown; after: unknown },
): Promise<void> {
  await db.query(
    'INSERT INTO organization_history (organization_id, actor_user_id, change, before, after) VALUES ($1, $2, $3, $4, $5)',
    [h.organizationId, h.actorUserId, h.change, h.before === null ? null : JSON.stringify(h.before), JSON.stringify(h.after)],
  );
}

export async function organizationHistory(db: Queryable, id: string) {
  const { rows } = await db.query(
    `SELECT to_json(at) #>> '{}' AS at, actor_user_id AS "actorUserId", change, before, after
       FROM organization_history WHERE organization_id = $1 ORDER BY id`,
    [id],
  );
  return rows;
}
