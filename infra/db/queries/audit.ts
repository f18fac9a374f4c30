/** The append-only audit log. Callers pass the transaction client of the change being recorded. */
import type { Queryable } from '../pool.js';

export interface AuditEntry {
  readonly actorUserId: string | null;
  readonly actorIp: string | null;
  readonly action: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly caseId?: string | null;
  readonly organizationId?: string | null;
  /** Ids and outcomes only: never passwords, never a person's fields. */
  readonly details?: Record<string, unknown>;
}

export async function appendAudit(db: Queryable, e: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor_user_id, actor_ip, action, entity_type, entity_id, case_id, organization_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.actorUserId, e.actorIp, e.action, e.entityType, e.entityId, e.caseId ?? null, e.organizationId ?? null, e.details ?? {}],
  );
}

export interface AuditRow extends Required<Omit<AuditEntry, 'details'>> {
  readonly id: number;
  readonly at: string;
  readonly actorUsername: string | null;
  readonly details: Record<string, unknown>;
}

export async function listAudit(
  db: Queryable,
  f: { entityType?: string; entityId?: string; caseId?: string; beforeId?: number; limit: number },
): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT a.id, to_json(a.at) #>> '{}' AS at, a.actor_user_id AS "actorUserId", u.username AS "actorUsername",
            a.actor_ip AS "actorIp", a.action, a.entity_type AS "entityType", a.entity_id AS "entityId",
            a.case_id AS "caseId", a.organization_id AS "organizationId", a.details
       FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
      WHERE ($1::text IS NULL OR a.entity_type = $1) AND ($2::text IS NULL OR a.entity_id = $2)
        AND ($3::uuid IS NULL OR a.case_id = $3) AND ($4::bigint IS NULL OR a.id < $4)
      ORDER BY a.id DESC LIMIT $5`,
    [f.entityType ?? null, f.entityId ?? null, f.caseId ?? null, f.beforeId ?? null, f.limit],
  );
  return rows;
}
