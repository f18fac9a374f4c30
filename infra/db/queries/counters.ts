/**
 * Counter tables for reports and dashboards (report_counts, pipeline_counts, due_counts): changed by the
 * read-model activity in the transaction that records the event, and recounted from case_events by the
 * consistency check. Reports read only these, so they cost the same at 10 thousand or 1 million cases.
 */
import type { Queryable } from '../pool.js';

/** The events reports count, each on the date it bears (not the day it was entered). */
export const COUNTED_EVENTS = {
  'admission-decision': { type: 'admission', step: 'decision', outcome: 'admitted', dateField: 'issuedOn' },
  'admission-ceremony': { type: 'admission', step: 'ceremony', outcome: 'held', dateField: 'heldOn' },
  'recognition-decision': { type: 'admission', step: 'recognition-decision', outcome: 'recognized', dateField: 'issuedOn' },
  'establishment-decision': { type: 'cell-establishment', step: 'decision', outcome: 'established', dateField: 'issuedOn' },
  'establishment-announcement': { type: 'cell-establishment', step: 'announcement', outcome: 'announced', dateField: 'heldOn' },
} as const;
export type CountedEvent = keyof typeof COUNTED_EVENTS;
export const COUNTED_EVENT_KINDS = Object.keys(COUNTED_EVENTS) as CountedEvent[];

/** What a completed step counts as, if anything, and on which day. */
export function countedFact(type: string, step: string, data: Readonly<Record<string, unknown>>): { kind: CountedEvent; day: string } | null {
  for (const kind of COUNTED_EVENT_KINDS) {
    const rule = COUNTED_EVENTS[kind];
    if (rule.type !== type || rule.step !== step || data.outcome !== rule.outcome) continue;
    const day = data[rule.dateField];
    return typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) ? { kind, day } : null;
  }
  return null;
}

/** What of a case the counters depend on. */
export interface CountedState {
  readonly organizationId: string;
  readonly type: string;
  readonly status: string;
  readonly step: string | null;
  readonly dueOn: string | null;
}

/** The case's counted state, its row locked until the transaction ends (one writer per case at a time). */
export async function lockCountedState(db: Queryable, caseId: string): Promise<CountedState | undefined> {
  const { rows } = await db.query<CountedState>({
    name: 'counted-state-lock',
    text: `SELECT organization_id AS "organizationId", type, status, current_step AS step, current_step_due_on AS "dueOn"
             FROM cases WHERE id = $1 FOR UPDATE`,
    values: [caseId],
  });
  return rows[0];
}

const open = (s: CountedState | undefined): s is CountedState & { step: string } => Boolean(s && s.status === 'open' && s.step);

/**
 * Moves the case's contribution to the funnel and the due-date counts from `before` to `after` (either may
 * be absent: a case not yet open, or closed). Rows are written in key order, so two transactions moving
 * cases in opposite directions cannot deadlock.
 */
export async function moveCounted(db: Queryable, before: CountedState | undefined, after: CountedState | undefined): Promise<void> {
  const pipeline = new Map<string, { org: string; type: string; step: string; n: number }>();
  const due = new Map<string, { org: string; type: string; step: string; dueOn: string; n: number }>();
  const add = (s: CountedState | undefined, n: number) => {
    if (!open(s)) return;
    const p = `${s.organizationId}|${s.type}|${s.step}`;
    pipeline.set(p, { org: s.organizationId, type: s.type, step: s.step, n: (pipeline.get(p)?.n ?? 0) + n });
    if (s.dueOn) {
      const d = `${p}|${s.dueOn}`;
      due.set(d, { org: s.organizationId, type: s.type, step: s.step, dueOn: s.dueOn, n: (due.get(d)?.n ?? 0) + n });
    }
  };
  add(before, -1);
  add(after, 1);
  const p = [...pipeline.entries()].filter(([, v]) => v.n !== 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  const d = [...due.entries()].filter(([, v]) => v.n !== 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  if (p.length) {
    await db.query({
      name: 'pipeline-counts-add',
      text: `INSERT INTO pipeline_counts AS t (organization_id, type, step, n)
             SELECT o, ty, s, n FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS x(o, ty, s, n, i) ORDER BY i
             ON CONFLICT (organization_id, type, step) DO UPDATE SET n = t.n + EXCLUDED.n`,
      values: [p.map((x) => x.org), p.map((x) => x.type), p.map((x) => x.step), p.map((x) => x.n)],
    });
  }
  if (d.length) {
    await db.query({
      name: 'due-counts-add',
      text: `INSERT INTO due_counts AS t (organization_id, type, step, due_on, n)
             SELECT o, ty, s, du, n FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::int[]) WITH ORDINALITY AS x(o, ty, s, du, n, i) ORDER BY i
             ON CONFLICT (organization_id, type, step, due_on) DO UPDATE SET n = t.n + EXCLUDED.n`,
      values: [d.map((x) => x.org), d.map((x) => x.type), d.map((x) => x.step), d.map((x) => x.dueOn), d.map((x) => x.n)],
    });
  }
}

export async function countEvent(db: Queryable, organizationId: string, fact: { kind: CountedEvent; day: string }): Promise<void> {
  await db.query({
    name: 'report-counts-add',
    text: `INSERT INTO report_counts AS t (organization_id, kind, day, n) VALUES ($1, $2, $3, 1)
           ON CONFLICT (organization_id, kind, day) DO UPDATE SET n = t.n + 1`,
    values: [organizationId, fact.kind, fact.day],
  });
}

// ---- the consistency check ------------------------------------------------------------------------------

/** The organization each event happened at: the last transfer before it, else where the case opened. */
const EVENT_ORG = `
  coalesce((SELECT (t.data ->> 'to')::uuid FROM case_events t
             WHERE t.case_id = e.case_id AND t.kind = 'case-noted' AND t.data ->> 'note' = 'transfer' AND t.seq < e.seq
             ORDER BY t.seq DESC LIMIT 1),
           (SELECT (o.data ->> 'organizationId')::uuid FROM case_events o WHERE o.case_id = e.case_id AND o.kind = 'case-opened'),
           (SELECT a.organization_id FROM audit_log a WHERE a.case_id = e.case_id AND a.action = 'case.opened' ORDER BY a.id LIMIT 1))`;

const COUNTED_CASE = COUNTED_EVENT_KINDS.map((k) => {
  const r = COUNTED_EVENTS[k];
  return `WHEN c.type = '${r.type}' AND e.step = '${r.step}' AND e.data ->> 'outcome' = '${r.outcome}' THEN jsonb_build_array('${k}', e.data ->> '${r.dateField}')`;
}).join('\n');

/** The three counter tables recomputed from case_events alone, as (table, key, n) rows. */
const RECOUNT = `
  WITH facts AS (
    SELECT ${EVENT_ORG} AS org, CASE ${COUNTED_CASE} END AS f
      FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.kind = 'step-completed'
  ), state AS (
    SELECT c.id, c.type,
           (SELECT e.step FROM case_events e WHERE e.case_id = c.id AND e.kind IN ('case-opened', 'step-entered', 'step-due-changed') ORDER BY e.seq DESC LIMIT 1) AS step,
           (SELECT CASE WHEN e.kind IN ('step-entered', 'step-due-changed') THEN (e.data ->> 'dueOn')::date END FROM case_events e
             WHERE e.case_id = c.id AND (e.kind IN ('case-opened', 'step-entered', 'step-due-changed') OR (e.kind = 'case-noted' AND e.data ->> 'note' = 'hold'))
             ORDER BY e.seq DESC LIMIT 1) AS due_on,
           (SELECT ${EVENT_ORG} FROM (SELECT c.id AS case_id, 2147483647 AS seq) e) AS org
      FROM cases c
     WHERE NOT EXISTS (SELECT 1 FROM case_events x WHERE x.case_id = c.id AND x.kind = 'case-closed')
  )
  SELECT 'report_counts' AS tbl, concat_ws('|', org, f ->> 0, f ->> 1) AS key, count(*)::int AS n FROM facts WHERE f IS NOT NULL AND f ->> 1 IS NOT NULL GROUP BY 2
  UNION ALL
  SELECT 'pipeline_counts', concat_ws('|', org, type, step), count(*)::int FROM state WHERE step IS NOT NULL GROUP BY 2
  UNION ALL
  SELECT 'due_counts', concat_ws('|', org, type, step, due_on), count(*)::int FROM state WHERE step IS NOT NULL AND due_on IS NOT NULL GROUP BY 2`;

const STORED = `
  SELECT 'report_counts' AS tbl, concat_ws('|', organization_id, kind, day) AS key, n FROM report_counts WHERE n <> 0
  UNION ALL SELECT 'pipeline_counts', concat_ws('|', organization_id, type, step), n FROM pipeline_counts WHERE n <> 0
  UNION ALL SELECT 'due_counts', concat_ws('|', organization_id, type, step, due_on), n FROM due_counts WHERE n <> 0`;

export interface CounterDifference {
  readonly table: 'report_counts' | 'pipeline_counts' | 'due_counts';
  /** organization|kind|day, organization|type|step, or organization|type|step|due date. */
  readonly key: string;
  readonly stored: number;
  readonly recounted: number;
}

/** Every counter whose stored value differs from a recount from the events (empty: consistent). */
export async function counterDifferences(db: Queryable): Promise<CounterDifference[]> {
  const { rows } = await db.query<CounterDifference>(
    `WITH recount AS (${RECOUNT}), stored AS (${STORED})
     SELECT coalesce(s.tbl, r.tbl) AS "table", coalesce(s.key, r.key) AS key, coalesce(s.n, 0) AS stored, coalesce(r.n, 0) AS recounted
       FROM stored s FULL JOIN recount r ON r.tbl = s.tbl AND r.key = s.key
      WHERE coalesce(s.n, 0) <> coalesce(r.n, 0)
      ORDER BY 1, 2`,
  );
  return rows;
}

/** Replaces the counters by the recount (run inside a transaction; the check command's --fix). */
export async function rebuildCounters(db: Queryable): Promise<void> {
  await db.query('LOCK TABLE report_counts, pipeline_counts, due_counts IN EXCLUSIVE MODE');
  await db.query('DELETE FROM report_counts');
  await db.query('DELETE FROM pipeline_counts');
  await db.query('DELETE FROM due_counts');
  await db.query(`WITH recount AS (${RECOUNT}), parts AS (SELECT tbl, string_to_array(key, '|') AS k, n FROM recount)
    , a AS (INSERT INTO report_counts (organization_id, kind, day, n) SELECT k[1]::uuid, k[2], k[3]::date, n FROM parts WHERE tbl = 'report_counts')
    , b AS (INSERT INTO pipeline_counts (organization_id, type, step, n) SELECT k[1]::uuid, k[2], k[3], n FROM parts WHERE tbl = 'pipeline_counts')
    INSERT INTO due_counts (organization_id, type, step, due_on, n) SELECT k[1]::uuid, k[2], k[3], k[4]::date, n FROM parts WHERE tbl = 'due_counts'`);
}
