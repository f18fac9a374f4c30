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

/** Steps close to the counted event: open cases there, due within a period, are its forecast. */
export const LATE_STEPS: Record<string, readonly string[]> = {
  admission: ['partial-appraisal', 'committee-vote', 'decision'],
  'cell-establishment': ['proposal', 'decision'],
};

/** What of a case the counters depend on. */
export interface CountedState {
  readonly organizationId: string;
  /** The organization and those above it (every counter is a subtree total). */
  readonly path: readonly string[];
  readonly type: string;
  readonly status: string;
  readonly step: string | null;
  readonly dueOn: string | null;
}

/**
 * The case's counted state, its row locked until the transaction ends (one writer per case at a time), and
 * its organization's row shared: a move of that organization (which updates the row) waits for the event,
 * or the event for the move, so totals never go to the ancestors the move is taking them from.
 */
export async function lockCountedState(db: Queryable, caseId: string): Promise<CountedState | undefined> {
  const { rows } = await db.query<CountedState>({
    name: 'counted-state-lock',
    text: `SELECT c.organization_id AS "organizationId", o.path, c.type, c.status, c.current_step AS step, c.current_step_due_on AS "dueOn"
             FROM cases c JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1 FOR UPDATE OF c FOR SHARE OF o`,
    values: [caseId],
  });
  return rows[0];
}

const isOpen = (s: CountedState | undefined): s is CountedState & { step: string } => Boolean(s && s.status === 'open' && s.step);

/** Adds rows (`n` may be negative) to a counter table in one statement, in key order (no deadlocks). */
async function addCounts(db: Queryable, table: 'pipeline_counts' | 'due_counts' | 'due_months' | 'report_counts' | 'report_months', keys: readonly string[], casts: readonly string[], rows: Map<string, unknown[]>): Promise<void> {
  const entries = [...rows.entries()].filter(([, v]) => v.at(-1) !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!entries.length) return;
  const columns = [...keys, 'n'];
  const arrays = columns.map((_, i) => entries.map(([, v]) => v[i]));
  const aliases = columns.map((_, i) => `c${i}`);
  await db.query({
    name: `${table}-add`,
    text: `INSERT INTO ${table} AS t (${columns.join(', ')})
           SELECT ${aliases.join(', ')} FROM unnest(${[...casts, 'int'].map((c, i) => `$${i + 1}::${c}[]`).join(', ')}) WITH ORDINALITY AS x(${aliases.join(', ')}, i) ORDER BY i
           ON CONFLICT (${keys.join(', ')}) DO UPDATE SET n = t.n + EXCLUDED.n`,
    values: arrays,
  });
}

/**
 * Moves the case's contribution to the funnel and the due-date counts from `before` to `after` (either may
 * be absent: a case not yet open, or closed), at its organization and every one above it.
 */
export async function moveCounted(db: Queryable, before: CountedState | undefined, after: CountedState | undefined): Promise<void> {
  const pipeline = new Map<string, unknown[]>();
  const due = new Map<string, unknown[]>();
  const dueMonths = new Map<string, unknown[]>();
  const add = (s: CountedState | undefined, n: number) => {
    if (!isOpen(s)) return;
    const late = LATE_STEPS[s.type]?.includes(s.step) ?? false;
    for (const org of s.path) {
      const p = `${org}|${s.type}|${s.step}`;
      pipeline.set(p, [org, s.type, s.step, ((pipeline.get(p)?.[3] as number | undefined) ?? 0) + n]);
      if (s.dueOn) {
        const d = `${org}|${s.type}|${late}|${s.dueOn}`;
        due.set(d, [org, s.type, late, s.dueOn, ((due.get(d)?.[4] as number | undefined) ?? 0) + n]);
        const month = `${s.dueOn.slice(0, 7)}-01`;
        const m = `${org}|${s.type}|${late}|${month}`;
        dueMonths.set(m, [org, s.type, late, month, ((dueMonths.get(m)?.[4] as number | undefined) ?? 0) + n]);
      }
    }
  };
  add(before, -1);
  add(after, 1);
  await addCounts(db, 'pipeline_counts', ['organization_id', 'type', 'step'], ['uuid', 'text', 'text'], pipeline);
  await addCounts(db, 'due_counts', ['organization_id', 'type', 'late', 'due_on'], ['uuid', 'text', 'boolean', 'date'], due);
  await addCounts(db, 'due_months', ['organization_id', 'type', 'late', 'month'], ['uuid', 'text', 'boolean', 'date'], dueMonths);
}

/** A counted event, on its day and month, at its organization and every one above it. */
export async function countEvent(db: Queryable, path: readonly string[], fact: { kind: CountedEvent; day: string }): Promise<void> {
  const month = `${fact.day.slice(0, 7)}-01`;
  await addCounts(db, 'report_counts', ['organization_id', 'kind', 'day'], ['uuid', 'text', 'date'], new Map(path.map((o) => [o, [o, fact.kind, fact.day, 1]])));
  await addCounts(db, 'report_months', ['organization_id', 'kind', 'month'], ['uuid', 'text', 'date'], new Map(path.map((o) => [o, [o, fact.kind, month, 1]])));
}

/**
 * An organization moved in the tree: its totals (its whole subtree's) leave the organizations that were
 * above it and join those above it now. Run in the move's transaction.
 */
export async function moveSubtreeCounters(db: Queryable, organizationId: string, oldAbove: readonly string[], newAbove: readonly string[]): Promise<void> {
  const tables = [
    { table: 'report_counts', keys: ['kind', 'day'] },
    { table: 'report_months', keys: ['kind', 'month'] },
    { table: 'pipeline_counts', keys: ['type', 'step'] },
    { table: 'due_counts', keys: ['type', 'late', 'due_on'] },
    { table: 'due_months', keys: ['type', 'late', 'month'] },
  ];
  for (const { table, keys } of tables) {
    await db.query(
      `INSERT INTO ${table} AS t (organization_id, ${keys.join(', ')}, n)
       SELECT a.org, ${keys.map((k) => `s.${k}`).join(', ')}, sum(s.n * a.sign)
         FROM ${table} s
         CROSS JOIN (SELECT unnest($2::uuid[]) AS org, -1 AS sign UNION ALL SELECT unnest($3::uuid[]), 1) a
        WHERE s.organization_id = $1
        GROUP BY a.org, ${keys.map((k) => `s.${k}`).join(', ')}
        ORDER BY 1, ${keys.map((_, i) => i + 2).join(', ')}
       ON CONFLICT (organization_id, ${keys.join(', ')}) DO UPDATE SET n = t.n + EXCLUDED.n`,
      [organizationId, oldAbove, newAbove],
    );
  }
}

// ---- the consistency check ------------------------------------------------------------------------------

export interface CounterDifference {
  readonly table: 'report_counts' | 'report_months' | 'pipeline_counts' | 'due_counts' | 'due_months';
  /** organization|kind|day (or month), organization|type|step, organization|type|late|due date (or month). */
  readonly key: string;
  readonly stored: number;
  readonly recounted: number;
}

const STORED = `
  SELECT 'report_counts' AS tbl, concat_ws('|', organization_id, kind, day) AS key, n FROM report_counts WHERE n <> 0
  UNION ALL SELECT 'report_months', concat_ws('|', organization_id, kind, month), n FROM report_months WHERE n <> 0
  UNION ALL SELECT 'pipeline_counts', concat_ws('|', organization_id, type, step), n FROM pipeline_counts WHERE n <> 0
  UNION ALL SELECT 'due_counts', concat_ws('|', organization_id, type, late, due_on), n FROM due_counts WHERE n <> 0
  UNION ALL SELECT 'due_months', concat_ws('|', organization_id, type, late, month), n FROM due_months WHERE n <> 0`;

// counter_recount() (migration 0010) is the independent recount: SQL over case_events, not this module.
const RECOUNT = `SELECT tbl, concat_ws('|', organization_id, k1, CASE WHEN k2 IN ('true', 'false') THEN left(k2, 1) ELSE k2 END, k3) AS key, n FROM counter_recount()`;

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
  await db.query('LOCK TABLE report_counts, report_months, pipeline_counts, due_counts, due_months IN EXCLUSIVE MODE');
  await db.query('TRUNCATE report_counts, report_months, pipeline_counts, due_counts, due_months');
  await db.query(`CREATE TEMP TABLE recount ON COMMIT DROP AS SELECT * FROM counter_recount()`);
  await db.query(`INSERT INTO report_counts (organization_id, kind, day, n) SELECT organization_id, k1, k2::date, n FROM recount WHERE tbl = 'report_counts'`);
  await db.query(`INSERT INTO report_months (organization_id, kind, month, n) SELECT organization_id, k1, k2::date, n FROM recount WHERE tbl = 'report_months'`);
  await db.query(`INSERT INTO pipeline_counts (organization_id, type, step, n) SELECT organization_id, k1, k2, n FROM recount WHERE tbl = 'pipeline_counts'`);
  await db.query(`INSERT INTO due_counts (organization_id, type, late, due_on, n) SELECT organization_id, k1, k2::boolean, k3::date, n FROM recount WHERE tbl = 'due_counts'`);
  await db.query(`INSERT INTO due_months (organization_id, type, late, month, n) SELECT organization_id, k1, k2::boolean, k3::date, n FROM recount WHERE tbl = 'due_months'`);
}
