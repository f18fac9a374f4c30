/**
 * The read model: a projection of every case into Postgres for lists, filters and dashboards.
 * Each event is written once, keyed by (case_id, seq); the projection onto `cases` happens in the same
 * transaction and only when the event row was new, so a retried activity changes nothing.
 */
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { countEvent, countedFact, lockCountedState, moveCounted } from '../infra/db/queries/counters.js';
import type { Client } from '@temporalio/client';
import { caseWorkflowId, memberCountChangedSignal, type CaseEvent } from '../workflows/definitions.js';

export function caseRecordActivities(deps: { pool: Pool; client?: Client | undefined }) {
  const api = {
    /** The events of one transition, in order; each is written once (its own idempotent transaction). */
    async recordCaseEvents(events: CaseEvent[]): Promise<{ written: number }> {
      let written = 0;
      for (const event of events) if ((await api.recordCaseEvent(event)).written) written += 1;
      return { written };
    },

    /**
     * The person's membership as decisions make it: probationary from the admission decision (its date is
     * the party-age date), full from the end of probation, or struck off. Idempotent: it sets values.
     */
    async recordMembership(m: {
      caseId: string;
      personId: string;
      memberStatus: 'probationary' | 'full' | 'struck-off';
      admittedOn?: string;
      fullMemberOn?: string;
    }): Promise<void> {
      await deps.pool.query(
        `UPDATE people SET member_status = $2, admitted_on = coalesce($3, admitted_on), full_member_on = coalesce($4, full_member_on),
                           updated_at = now()
          WHERE id = $1`,
        [m.personId, m.memberStatus, m.admittedOn ?? null, m.fullMemberOn ?? null],
      );
      // An establishment case waiting for members in the person's enterprise counts them again.
      if (deps.client) {
        const { rows } = await deps.pool.query<{ id: string }>(
          `SELECT c.id FROM cases c JOIN people p ON p.workplace_enterprise_id = c.enterprise_id
            WHERE p.id = $1 AND c.type = 'cell-establishment' AND c.status = 'open'`,
          [m.personId],
        );
        for (const r of rows) {
          await deps.client.workflow
            .getHandle(caseWorkflowId('cell-establishment', r.id))
            .signal(memberCountChangedSignal)
            .catch(() => undefined); // closed meanwhile: nothing to count
        }
      }
    },

    /** Party members working in the enterprise or transferred in for it, by status. */
    async countEnterpriseMembers(q: { enterpriseId: string; personIds: string[] }): Promise<{ official: number; probationary: number }> {
      const { rows } = await deps.pool.query<{ official: number; probationary: number }>(
        `SELECT count(*) FILTER (WHERE member_status = 'full')::int AS official,
                count(*) FILTER (WHERE member_status = 'probationary')::int AS probationary
           FROM people WHERE workplace_enterprise_id = $1 OR id = ANY($2::uuid[])`,
        [q.enterpriseId, q.personIds],
      );
      return rows[0]!;
    },

    /**
     * Creates the established organization in the tree, once per case (a retry finds the one it made), with
     * its history and an audit row in the same transaction.
     */
    async createEstablishedOrganization(o: {
      caseId: string;
      parentId: string;
      enterpriseId: string;
      name: string;
      symbol: string;
      kind: 'grassroots-cell' | 'grassroots-committee';
      officialMembers: number;
      probationaryMembers: number;
      establishedOn: string;
    }): Promise<{ organizationId: string }> {
      return withTransaction(deps.pool, async (db) => {
        const existing = await db.query<{ id: string }>('SELECT id FROM organizations WHERE establishment_case_id = $1', [o.caseId]);
        if (existing.rows[0]) return { organizationId: existing.rows[0].id };
        const parent = await db.query<{ path: string[] }>('SELECT path FROM organizations WHERE id = $1', [o.parentId]);
        const taken = await db.query(`SELECT 1 FROM organizations WHERE lower(symbol) = lower($1) AND status = 'active'`, [o.symbol]);
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO organizations (name, kind, parent_id, symbol, enterprise_id, official_members, probationary_members,
                                      establishment_case_id, established_on, path)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ARRAY[]::uuid[]) RETURNING id`,
          [o.name, o.kind, o.parentId, taken.rowCount ? null : o.symbol, o.enterpriseId, o.officialMembers, o.probationaryMembers, o.caseId, o.establishedOn],
        );
        const id = rows[0]!.id;
        await db.query('UPDATE organizations SET path = $2::uuid[] || id WHERE id = $1', [id, parent.rows[0]?.path ?? []]);
        await db.query(
          `INSERT INTO organization_history (organization_id, actor_user_id, change, before, after)
           SELECT id, NULL, 'created', NULL, to_jsonb(o) FROM organizations o WHERE id = $1`,
          [id],
        );
        await appendAudit(db, {
          actorUserId: null,
          actorIp: null,
          action: 'organization.established',
          entityType: 'organization',
          entityId: id,
          caseId: o.caseId,
          organizationId: id,
          details: { establishedOn: o.establishedOn, symbolTaken: Boolean(taken.rowCount) },
        });
        return { organizationId: id };
      });
    },

    async recordCaseEvent(event: CaseEvent): Promise<{ written: boolean }> {
      return withTransaction(deps.pool, async (db) => {
        if (event.kind === 'case-opened') {
          await db.query(
            `INSERT INTO cases (id, type, workflow_id, organization_id, person_id, status, current_step, rule_set,
                                opened_at, updated_at, last_seq, enterprise_id)
             VALUES ($1, $2, $3, $4, $5, 'open', NULL, $6, $7, $7, 0, $8)
             ON CONFLICT (id) DO NOTHING`,
            [event.caseId, event.type, event.workflowId, event.organizationId, event.personId, event.ruleSet, event.at, event.enterpriseId ?? null],
          );
        }
        const { step, data } = eventColumns(event);
        const inserted = await db.query(
          `INSERT INTO case_events (case_id, seq, kind, step, occurred_at, data)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (case_id, seq) DO NOTHING`,
          [event.caseId, event.seq, event.kind, step, event.at, data],
        );
        if (inserted.rowCount === 0) return { written: false };
        // The counters move in this transaction, from the case's state before the event to after it.
        const before = event.kind === 'case-opened' ? undefined : await lockCountedState(db, event.caseId);
        // The audit row shares the event's transaction: one per event, however often the activity retries.
        if (event.kind === 'case-opened' || event.kind === 'step-completed' || event.kind === 'case-closed' || event.kind === 'case-noted') {
          await appendAudit(db, {
            actorUserId: event.actor?.userId ?? null,
            actorIp: event.actor?.ip ?? null,
            action:
              event.kind === 'case-opened'
                ? 'case.opened'
                : event.kind === 'step-completed'
                  ? 'case.step-signed'
                  : event.kind === 'case-noted'
                    ? `case.${event.note}`
                    : 'case.closed',
            entityType: 'case',
            entityId: event.caseId,
            caseId: event.caseId,
            organizationId: event.kind === 'case-opened' ? event.organizationId : (event.kind === 'case-noted' ? event.organizationId : null) ?? null,
            details: { seq: event.seq, ...(event.kind === 'case-closed' ? { status: event.status } : { step: event.step }) },
          });
        }

        switch (event.kind) {
          case 'case-opened':
            await db.query(
              `UPDATE cases SET current_step = $2, current_step_due_on = NULL, updated_at = $3, last_seq = $4
               WHERE id = $1 AND last_seq < $4`,
              [event.caseId, event.step, event.at, event.seq],
            );
            break;
          case 'step-entered':
          case 'step-due-changed':
            await db.query(
              `UPDATE cases SET current_step = $2, current_step_due_on = $3, updated_at = $4, last_seq = $5
               WHERE id = $1 AND last_seq < $5`,
              [event.caseId, event.step, event.dueOn ?? null, event.at, event.seq],
            );
            break;
          case 'step-completed':
            await db.query(`UPDATE cases SET updated_at = $2, last_seq = $3 WHERE id = $1 AND last_seq < $3`, [
              event.caseId,
              event.at,
              event.seq,
            ]);
            break;
          case 'case-noted':
            // A transfer moves the case to its new organization; other notes only touch the timestamps.
            // A hold stops the clock: no due date until the resume records the moved one.
            await db.query(
              `UPDATE cases SET organization_id = coalesce($4, organization_id), updated_at = $2, last_seq = $3,
                                current_step_due_on = CASE WHEN $5 THEN NULL ELSE current_step_due_on END
               WHERE id = $1 AND last_seq < $3`,
              [event.caseId, event.at, event.seq, event.organizationId ?? null, event.note === 'hold'],
            );
            break;
          case 'case-closed':
            await db.query(
              `UPDATE cases SET status = $2, current_step = NULL, current_step_due_on = NULL, closed_at = $3, updated_at = $3,
                                last_seq = $4
               WHERE id = $1 AND last_seq < $4`,
              [event.caseId, event.status, event.at, event.seq],
            );
            break;
        }
        const after = await lockCountedState(db, event.caseId);
        await moveCounted(db, before, after);
        if (event.kind === 'step-completed' && after) {
          const fact = countedFact(after.type, event.step, event.data);
          // Counted where the case was when it happened (a later transfer does not move past results).
          if (fact) await countEvent(db, (before ?? after).path, fact);
        }
        return { written: true };
      });
    },
  };
  return api;
}

function eventColumns(event: CaseEvent): { step: string | null; data: Record<string, unknown> } {
  switch (event.kind) {
    case 'case-opened':
      return { step: event.step, data: { ruleSet: event.ruleSet, organizationId: event.organizationId } };
    case 'step-entered':
    case 'step-due-changed':
      return { step: event.step, data: { dueOn: event.dueOn ?? null } };
    case 'step-completed':
      return { step: event.step, data: { ...event.data } };
    case 'case-noted':
      return { step: event.step, data: { note: event.note, ...event.data } };
    case 'case-closed':
      return { step: null, data: { status: event.status, reason: event.reason } };
  }
}
