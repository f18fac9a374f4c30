/** SQL for cases and the people they are about. One function per statement, parameterised. */
import type { Queryable } from '../pool.js';
import { chainNodeIds } from './organizations.js';

/** Orders of the case list: a key and its direction ('-' first: descending), ties broken by id. */
export const CASE_SORTS = ['-openedAt', 'openedAt', 'dueOn', '-dueOn', '-updatedAt', 'updatedAt'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];
const SORT_KEYS: Record<string, { expr: string; cast: string }> = {
  openedAt: { expr: 'c.opened_at', cast: 'timestamptz' },
  dueOn: { expr: `coalesce(c.current_step_due_on, 'infinity'::date)`, cast: 'date' },
  updatedAt: { expr: 'c.updated_at', cast: 'timestamptz' },
};

export interface CaseListFilter {
  readonly type?: string | undefined;
  readonly status?: string | undefined;
  readonly step?: string | undefined;
  /** The organization's whole subtree. */
  readonly organizationId?: string | undefined;
  /** Cases opened in this year (Vietnam time). */
  readonly year?: number | undefined;
  /** Part of the subject's name (the candidate's, or the enterprise's), accents and case ignored. */
  readonly text?: string | undefined;
  /** Open cases whose step was due before this date. */
  readonly dueBefore?: string | undefined;
  /** Open cases due in [from, to]. */
  readonly dueBetween?: { readonly from: string; readonly to: string } | undefined;
  readonly sort?: CaseSort | undefined;
  readonly limit: number;
  /** Organizations whose subtrees the caller may read, or 'all'. */
  readonly scope: readonly string[] | 'all';
  /** Keyset cursor: the sort key and id of the last row of the previous page. */
  readonly after?: { readonly key: string; readonly id: string } | undefined;
}

export interface CaseRow {
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly currentStep: string | null;
  readonly currentStepDueOn: string | null;
  readonly organizationId: string;
  readonly enterpriseId: string | null;
  readonly personId: string | null;
  readonly personName: string | null;
  readonly ruleSet: string;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly updatedAt: string;
}

const CASE_COLUMNS = `c.id, c.type, c.status, c.current_step AS "currentStep", c.current_step_due_on AS "currentStepDueOn",
  c.organization_id AS "organizationId", c.enterprise_id AS "enterpriseId",
  c.person_id AS "personId", p.full_name AS "personName", c.rule_set AS "ruleSet",
  to_json(c.opened_at) #>> '{}' AS "openedAt", to_json(c.closed_at) #>> '{}' AS "closedAt",
  to_json(c.updated_at) #>> '{}' AS "updatedAt"`;

/** The list query's SQL and parameters (the benchmark runs the same statement raw). */
export function caseListQuery(f: CaseListFilter): { text: string; values: unknown[]; sortKey: string } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    let out = sql;
    for (const v of values) {
      params.push(v);
      out = out.replace('?', `$${params.length}`);
    }
    where.push(out);
  };
  if (f.scope !== 'all') add('c.organization_id IN (SELECT id FROM organizations WHERE path && ?::uuid[])', f.scope);
  if (f.type) add('c.type = ?', f.type);
  if (f.status) add('c.status = ?', f.status);
  if (f.step) add('c.current_step = ?', f.step);
  if (f.organizationId) add('c.organization_id IN (SELECT id FROM organizations WHERE path && ARRAY[?::uuid])', f.organizationId);
  if (f.year) {
    add(`c.opened_at >= make_timestamptz(?::int, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh') AND c.opened_at < make_timestamptz(?::int + 1, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh')`, f.year, f.year);
  }
  if (f.text) {
    // Either name may match: the candidate's (admissions) or the enterprise's (new organizations).
    const like = `%${f.text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    // The matching cases first (trigram indexes on the names), then the rest of the filters and the order
    // over those: a name matches few cases, and an OR of two subqueries would scan every case instead.
    add(
      `c.id = ANY(ARRAY(SELECT m.id FROM cases m WHERE m.person_id IN (SELECT id FROM people WHERE search_name LIKE fold_name(?))
                        UNION ALL SELECT m.id FROM cases m WHERE m.enterprise_id IN (SELECT id FROM enterprises WHERE search_name LIKE fold_name(?))))`,
      like,
      like,
    );
  }
  if (f.dueBefore) add(`c.status = 'open' AND c.current_step_due_on < ?::date`, f.dueBefore);
  if (f.dueBetween) add(`c.status = 'open' AND c.current_step_due_on >= ?::date AND c.current_step_due_on <= ?::date`, f.dueBetween.from, f.dueBetween.to);
  const sort = f.sort ?? '-openedAt';
  const desc = sort.startsWith('-');
  const key = SORT_KEYS[sort.replace('-', '')]!;
  if (f.after) add(`(${key.expr}, c.id) ${desc ? '<' : '>'} (?::${key.cast}, ?::uuid)`, f.after.key, f.after.id);
  params.push(f.limit);
  const dir = desc ? 'DESC' : 'ASC';
  return {
    text: `SELECT ${CASE_COLUMNS}, (${key.expr})::text AS "sortKey"
       FROM cases c LEFT JOIN people p ON p.id = c.person_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${key.expr} ${dir}, c.id ${dir}
      LIMIT $${params.length}`,
    values: params,
    sortKey: sort,
  };
}

export async function listCases(db: Queryable, f: CaseListFilter): Promise<Array<CaseRow & { sortKey: string }>> {
  const { text, values } = caseListQuery(f);
  const { rows } = await db.query<CaseRow & { sortKey: string }>(text, values);
  return rows;
}

export async function getCase(db: Queryable, id: string): Promise<CaseRow | undefined> {
  const { rows } = await db.query<CaseRow>(
    `SELECT ${CASE_COLUMNS} FROM cases c LEFT JOIN people p ON p.id = c.person_id WHERE c.id = $1`,
    [id],
  );
  return rows[0];
}

export interface CaseDetailRow extends CaseRow {
  /** The case organization's path (root … itself), for the reader's scope check. */
  readonly organizationPath: string[];
  readonly person: { fullName: string; dateOfBirth: string } | null;
  readonly history: CaseEventRow[];
  /** The organization, its ancestors and any competent committee they name (see `chainNodes`). */
  readonly chainNodes: Array<{ id: string; kind: string; parentId: string | null; delegated: boolean; competentCommitteeId: string | null }>;
}

/**
 * Everything the case page reads, in one round trip (a prepared statement): the case, its organization's
 * path, the person, the events and the approval chain's organizations. The most frequent read of the API.
 */
export async function getCaseDetail(db: Queryable, id: string): Promise<CaseDetailRow | undefined> {
  const { rows } = await db.query<CaseDetailRow>({
    name: 'case-detail',
    text: `SELECT ${CASE_COLUMNS}, o.path AS "organizationPath",
        CASE WHEN p.id IS NULL THEN NULL ELSE json_build_object('fullName', p.full_name, 'dateOfBirth', p.date_of_birth) END AS person,
        COALESCE((SELECT json_agg(json_build_object('seq', e.seq, 'kind', e.kind, 'step', e.step,
                    'occurredAt', to_json(e.occurred_at) #>> '{}', 'data', e.data) ORDER BY e.seq)
                    FROM case_events e WHERE e.case_id = c.id), '[]'::json) AS history,
        COALESCE((SELECT json_agg(json_build_object('id', n.id, 'kind', n.kind, 'parentId', n.parent_id, 'delegated', n.delegated,
                    'competentCommitteeId', n.competent_committee_id))
           FROM organizations n
          WHERE n.id = ANY(${chainNodeIds('o.path')})), '[]'::json) AS "chainNodes"
       FROM cases c
       JOIN organizations o ON o.id = c.organization_id
       LEFT JOIN people p ON p.id = c.person_id
      WHERE c.id = $1`,
    values: [id],
  });
  return rows[0];
}

export interface CaseEventRow {
  readonly seq: number;
  readonly kind: string;
  readonly step: string | null;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

export async function getCaseEvents(db: Queryable, caseId: string): Promise<CaseEventRow[]> {
  const { rows } = await db.query<CaseEventRow>(
    `SELECT seq, kind, step, to_json(occurred_at) #>> '{}' AS "occurredAt", data
       FROM case_events WHERE case_id = $1 ORDER BY seq`,
    [caseId],
  );
  return rows;
}

export async function organizationExists(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM organizations WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

export async function insertPerson(
  db: Queryable,
  p: { fullName: string; dateOfBirth: string; organizationId?: string | null },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO people (full_name, date_of_birth, organization_id) VALUES ($1, $2, $3) RETURNING id',
    [p.fullName, p.dateOfBirth, p.organizationId ?? null],
  );
  return rows[0]!.id;
}

/** Undo of insertPerson when the case could not be started; never deletes a person a case refers to. */
export async function deleteUnreferencedPerson(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM people p WHERE p.id = $1 AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id)', [
    id,
  ]);
}

export async function getPerson(db: Queryable, id: string): Promise<{ fullName: string; dateOfBirth: string } | null> {
  const { rows } = await db.query<{ fullName: string; dateOfBirth: string }>(
    'SELECT full_name AS "fullName", date_of_birth AS "dateOfBirth" FROM people WHERE id = $1',
    [id],
  );
  return rows[0] ?? null;
}

/** Open cases whose current step is due on or after `from`, a page at a time (keyset on id). */
export async function openCasesDueFrom(
  db: Queryable,
  from: string,
  afterId: string | null,
  limit: number,
): Promise<Array<{ id: string; type: string }>> {
  const { rows } = await db.query<{ id: string; type: string }>(
    `SELECT id, type FROM cases
      WHERE status = 'open' AND current_step_due_on >= $1 AND ($2::uuid IS NULL OR id > $2::uuid)
      ORDER BY id LIMIT $3`,
    [from, afterId, limit],
  );
  return rows;
}

/** Member status of each of these people (absent: no such person). */
export async function memberStatuses(db: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; memberStatus: string }>('SELECT id, member_status AS "memberStatus" FROM people WHERE id = ANY($1::uuid[])', [ids]);
  return new Map(rows.map((r) => [r.id, r.memberStatus]));
}

/**
 * Reserves a decision number for a case's step; true when it is this case's (new, or already reserved by
 * it: a retry), false when another case holds it. Each attempt holds its own row: see keepDecisionNumber.
 */
export async function reserveDecisionNumber(db: Queryable, k: { organizationId: string; year: number; number: string; caseId: string; step: string }): Promise<boolean> {
  await db.query(
    `INSERT INTO decision_numbers (organization_id, year, number, case_id, step) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (organization_id, year, number) DO NOTHING`,
    [k.organizationId, k.year, k.number, k.caseId, k.step],
  );
  const { rows } = await db.query<{ caseId: string }>(
    'SELECT case_id AS "caseId" FROM decision_numbers WHERE organization_id = $1 AND year = $2 AND number = $3',
    [k.organizationId, k.year, k.number],
  );
  return rows[0]?.caseId === k.caseId;
}

/** After a step signed with this number: the step's other reservations (earlier or concurrent attempts) go. */
export async function keepDecisionNumber(db: Queryable, k: { organizationId: string; year: number; number: string; caseId: string; step: string }): Promise<void> {
  await db.query(
    'DELETE FROM decision_numbers WHERE case_id = $1 AND step = $2 AND NOT (organization_id = $3 AND year = $4 AND number = $5)',
    [k.caseId, k.step, k.organizationId, k.year, k.number],
  );
}

export async function releaseDecisionNumber(db: Queryable, k: { organizationId: string; year: number; number: string; caseId: string; step: string }): Promise<void> {
  await db.query('DELETE FROM decision_numbers WHERE case_id = $1 AND step = $2 AND number = $3', [k.caseId, k.step, k.number]);
}

export interface CommentRow {
  readonly id: number;
  readonly authorId: string;
  readonly authorName: string;
  readonly body: string;
  readonly createdAt: string;
}

export async function listComments(db: Queryable, caseId: string): Promise<CommentRow[]> {
  const { rows } = await db.query<CommentRow>(
    `SELECT c.id, c.author_id AS "authorId", u.display_name AS "authorName", c.body, to_json(c.created_at) #>> '{}' AS "createdAt"
       FROM case_comments c JOIN users u ON u.id = c.author_id WHERE c.case_id = $1 ORDER BY c.id`,
    [caseId],
  );
  return rows;
}

/** A comment and its audit row, in one statement's transaction. */
export async function addComment(db: Queryable, c: { caseId: string; authorId: string; body: string; ip: string | null; organizationId: string }): Promise<CommentRow> {
  const { rows } = await db.query<CommentRow>(
    `WITH inserted AS (
       INSERT INTO case_comments (case_id, author_id, body) VALUES ($1, $2, $3) RETURNING id, author_id, body, created_at
     ), audit AS (
       INSERT INTO audit_log (actor_user_id, actor_ip, action, entity_type, entity_id, case_id, organization_id, details)
       SELECT $2, $4, 'case.commented', 'case', $1::text, $1, $5, jsonb_build_object('commentId', id) FROM inserted
     )
     SELECT i.id, i.author_id AS "authorId", u.display_name AS "authorName", i.body, to_json(i.created_at) #>> '{}' AS "createdAt"
       FROM inserted i JOIN users u ON u.id = i.author_id`,
    [c.caseId, c.authorId, c.body, c.ip, c.organizationId],
  );
  return rows[0]!;
}

export async function enterpriseExists(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM enterprises WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

/** Admission cases of people working in the establishment case's enterprise, within the caller's scope. */
export async function admissionsInEnterpriseOf(db: Queryable, caseId: string, scope: readonly string[] | 'all'): Promise<CaseRow[]> {
  const { rows } = await db.query<CaseRow>(
    `SELECT ${CASE_COLUMNS}
       FROM cases c JOIN people p ON p.id = c.person_id
      WHERE c.type = 'admission'
        AND p.workplace_enterprise_id = (SELECT enterprise_id FROM cases WHERE id = $1)
        AND ($2::boolean OR c.organization_id IN (SELECT id FROM organizations WHERE path && $3::uuid[]))
      ORDER BY c.opened_at DESC LIMIT 200`,
    [caseId, scope === 'all', scope === 'all' ? [] : scope],
  );
  return rows;
}

export interface OwnerMeetingRow {
  readonly id: number;
  readonly heldOn: string;
  readonly attendees: string;
  readonly outcome: string;
  readonly note: string | null;
  readonly authorId: string;
}

export async function listOwnerMeetings(db: Queryable, caseId: string): Promise<OwnerMeetingRow[]> {
  const { rows } = await db.query<OwnerMeetingRow>(
    `SELECT id, held_on AS "heldOn", attendees, outcome, note, author_id AS "authorId" FROM owner_meetings WHERE case_id = $1 ORDER BY held_on, id`,
    [caseId],
  );
  return rows;
}

/** A meeting and its audit row in one statement. */
export async function addOwnerMeeting(
  db: Queryable,
  m: { caseId: string; heldOn: string; attendees: string; outcome: string; note?: string | undefined; authorId: string; ip: string | null; organizationId: string },
): Promise<OwnerMeetingRow> {
  const { rows } = await db.query<OwnerMeetingRow>(
    `WITH inserted AS (
       INSERT INTO owner_meetings (case_id, held_on, attendees, outcome, note, author_id) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, held_on, attendees, outcome, note, author_id
     ), audit AS (
       INSERT INTO audit_log (actor_user_id, actor_ip, action, entity_type, entity_id, case_id, organization_id, details)
       SELECT $6, $7, 'case.owner-meeting', 'case', $1::text, $1, $8, jsonb_build_object('meetingId', id, 'outcome', outcome) FROM inserted
     )
     SELECT id, held_on AS "heldOn", attendees, outcome, note, author_id AS "authorId" FROM inserted`,
    [m.caseId, m.heldOn, m.attendees, m.outcome, m.note ?? null, m.authorId, m.ip, m.organizationId],
  );
  return rows[0]!;
}
