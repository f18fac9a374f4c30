/**
 * Targets (chỉ tiêu) and progress reports. Reports read only the counter tables (report_counts,
 * pipeline_counts, due_counts) and the org tree, so they cost the same whatever the number of cases.
 */
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { LATE_STEPS, type CountedEvent } from '../infra/db/queries/counters.js';
import { getOrganization } from '../infra/db/queries/organizations.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import { canManage, canRead, readScope, type Principal } from './auth/policy.js';
import { HttpError, notFound } from './http-errors.js';

export type TargetKind = 'admissions' | 'organizations';

export interface TargetInput {
  readonly organizationId: string;
  readonly year: number;
  readonly kind: TargetKind;
  readonly mode: 'absolute' | 'rate';
  /** A number of events, or a percent of `baseMembers`. */
  readonly value: number;
  /** Rate targets: members at the start of the year (default: the subtree's members now). */
  readonly baseMembers?: number | undefined;
}

export interface TargetRow extends Required<Omit<TargetInput, 'baseMembers'>> {
  readonly baseMembers: number | null;
  /** The target as a number of events (a rate applied to its base, rounded up). */
  readonly count: number;
  readonly updatedAt: string;
}

/** The period of a report: a named part of a year, or explicit dates. */
export type PeriodSpec = { readonly year: number; readonly period: NamedPeriod } | { readonly from: string; readonly to: string };
export const NAMED_PERIODS = ['year', 'h1', 'h2', '9m', 'q1', 'q2', 'q3', 'q4', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11', 'm12'] as const;
export type NamedPeriod = (typeof NAMED_PERIODS)[number];

export interface ReportOptions {
  readonly organizationId: string;
  readonly period: PeriodSpec;
  /** Count events dated up to this day (default: today, or the period's end if earlier). */
  readonly asOf?: string | undefined;
  readonly admissionsCountOn?: 'decision' | 'ceremony' | undefined;
  readonly organizationsCountOn?: 'decision' | 'announcement' | undefined;
}

export interface Progress {
  readonly counted: number;
  /** The year's target for the subtree (its own, else its children's summed), null when none is set. */
  readonly target: number | null;
  /** counted / target × 100, one decimal; null without a target. */
  readonly percent: number | null;
  /** The children's targets summed, to check against the organization's own (null: no child has one). */
  readonly childrenTargets: number | null;
}

export interface ProgressReport {
  readonly organization: { readonly id: string; readonly name: string };
  readonly period: { readonly from: string; readonly to: string };
  readonly asOf: string;
  readonly countedOn: { readonly admissions: CountedEvent; readonly organizations: CountedEvent };
  readonly admissions: Progress;
  readonly organizations: Progress;
  /** Open cases by type and current step (today). */
  readonly pipeline: Record<string, Record<string, number>>;
  /** Open cases whose current step was due before `asOf`, by type. */
  readonly overdue: Record<string, number>;
  /** Open cases likely to be counted by the period's end: at a late step whose due date falls in it. */
  readonly forecast: { readonly admissions: number; readonly organizations: number };
  readonly children: Array<{ readonly id: string; readonly name: string; readonly kind: string; readonly admissions: Progress; readonly organizations: Progress }>;
}

const monthOf = (day: string) => `${day.slice(0, 7)}-01`;
const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** A span of days as the whole months inside it and the ragged days at either end. */
export function monthsAndDays(from: string, to: string): { months: string[]; days: Array<{ from: string; to: string }> } {
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  const start = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  // The first month starting on or after `from`, and the day after the last month ending on or before `to`.
  const firstMonth = start.getUTCDate() === 1 ? start : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  const afterEnd = new Date(end.getTime() + 86_400_000);
  const lastMonthEnd = afterEnd.getUTCDate() === 1 ? afterEnd : new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1));
  if (firstMonth >= lastMonthEnd) return { months: [], days: from <= to ? [{ from, to }] : [] };
  const months: string[] = [];
  for (let m = firstMonth; m < lastMonthEnd; m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))) months.push(iso(m));
  const days: Array<{ from: string; to: string }> = [];
  if (start < firstMonth) days.push({ from, to: iso(new Date(firstMonth.getTime() - 86_400_000)) });
  if (lastMonthEnd <= end) days.push({ from: iso(lastMonthEnd), to });
  return { months, days };
}

export function periodDates(spec: PeriodSpec): { from: string; to: string } {
  if ('from' in spec) return { from: spec.from, to: spec.to };
  const y = spec.year;
  const monthEnd = (m: number) => new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  const range = (m1: number, m2: number) => ({ from: `${y}-${String(m1).padStart(2, '0')}-01`, to: monthEnd(m2) });
  const p = spec.period;
  if (p === 'year') return range(1, 12);
  if (p === 'h1') return range(1, 6);
  if (p === 'h2') return range(7, 12);
  if (p === '9m') return range(1, 9);
  if (p.startsWith('q')) {
    const q = Number(p.slice(1));
    return range(q * 3 - 2, q * 3);
  }
  const m = Number(p.slice(1));
  return range(m, m);
}

/** Percent to one decimal, rounded half up (96/190 → 50.5). */
export const percentOf = (counted: number, target: number | null): number | null =>
  target === null || target === 0 ? null : Math.round((counted * 1000) / target) / 10;

const targetCount = (mode: string, value: number, base: number | null) => (mode === 'absolute' ? Math.round(value) : Math.ceil((value * (base ?? 0)) / 100));

export interface ReportService {
  setTarget(p: Principal, t: TargetInput): Promise<TargetRow>;
  listTargets(p: Principal, q: { year: number; organizationId?: string | undefined }): Promise<TargetRow[]>;
  progress(p: Principal, o: ReportOptions): Promise<ProgressReport>;
  /** Counted events of one kind per month of a year (index 0 = January), dated up to `asOf`: the dashboard's chart. */
  monthly(p: Principal, o: { organizationId: string; year: number; kind: CountedEvent; asOf: string }): Promise<number[]>;
}

export function createReportService(deps: { pool: Pool }): ReportService {
  const { pool } = deps;

  /**
   * The open cases of a subtree as they stood at the end of `day` (Vietnam time), from their events: each
   * case's step, due date (a hold clears it) and organization then. Events carry the time they happened
   * (an imported paper history, its own dates), so a past day reads as it stood.
   */
  async function standing(root: string, day: string, periodTo: string) {
    const { rows } = await pool.query<{ type: string; step: string; late: boolean; n: number; overdue: number; forecast: number }>(
      `WITH cut AS (SELECT (($2::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') AS t),
            sub AS (SELECT id FROM organizations WHERE path && ARRAY[$1]::uuid[]),
            -- The cases that may have been in the subtree then: there now, or moved since (a transfer).
            candidates AS (
              SELECT c.id, c.type, c.organization_id FROM cases c, cut WHERE c.organization_id IN (SELECT id FROM sub) AND c.opened_at < cut.t
              UNION
              SELECT c.id, c.type, c.organization_id FROM case_events t JOIN cases c ON c.id = t.case_id, cut
               WHERE t.kind = 'case-noted' AND t.data ->> 'note' = 'transfer' AND c.opened_at < cut.t
                 AND ((t.data ->> 'from')::uuid IN (SELECT id FROM sub) OR (t.data ->> 'to')::uuid IN (SELECT id FROM sub))),
            -- One pass over each case's events up to then: its last step, due date, organization, closure.
            was AS (
              SELECT c.type, s.step, s.due_on,
                     -- Where it was then: the last move before, else where it opened (older cases: the first
                     -- move's origin, the audit of the opening), else where it is.
                     coalesce(s.moved_to, s.opened_in,
                              (SELECT (t.data ->> 'from')::uuid FROM case_events t WHERE t.case_id = c.id AND t.kind = 'case-noted' AND t.data ->> 'note' = 'transfer' ORDER BY t.seq LIMIT 1),
                              (SELECT a.organization_id FROM audit_log a WHERE a.case_id = c.id AND a.action = 'case.opened' ORDER BY a.id LIMIT 1),
                              c.organization_id) AS org, s.closed
                FROM candidates c, cut,
                LATERAL (
                  SELECT (array_agg(e.step ORDER BY e.seq DESC) FILTER (WHERE e.kind IN ('case-opened', 'step-entered', 'step-due-changed')))[1] AS step,
                         (array_agg(CASE WHEN e.kind IN ('step-entered', 'step-due-changed') THEN (e.data ->> 'dueOn')::date END ORDER BY e.seq DESC)
                            FILTER (WHERE e.kind IN ('case-opened', 'step-entered', 'step-due-changed') OR (e.kind = 'case-noted' AND e.data ->> 'note' = 'hold')))[1] AS due_on,
                         (array_agg((e.data ->> 'to')::uuid ORDER BY e.seq DESC) FILTER (WHERE e.kind = 'case-noted' AND e.data ->> 'note' = 'transfer'))[1] AS moved_to,
                         (array_agg((e.data ->> 'organizationId')::uuid) FILTER (WHERE e.kind = 'case-opened'))[1] AS opened_in,
                         bool_or(e.kind = 'case-closed') AS closed
                    FROM case_events e WHERE e.case_id = c.id AND e.occurred_at < cut.t) s)
       SELECT type, step, (type = 'admission' AND step = ANY($4::text[]) OR type = 'cell-establishment' AND step = ANY($5::text[])) AS late,
              count(*)::int AS n, (count(*) FILTER (WHERE due_on < $2::date))::int AS overdue, (count(*) FILTER (WHERE due_on <= $3::date))::int AS forecast
         FROM was WHERE step IS NOT NULL AND NOT closed AND org IN (SELECT id FROM sub) GROUP BY 1, 2, 3`,
      [root, day, periodTo, LATE_STEPS.admission, LATE_STEPS['cell-establishment']],
    );
    const due = new Map<string, { type: string; overdue: number; forecast: number }>();
    for (const r of rows) {
      const d = due.get(r.type) ?? { type: r.type, overdue: 0, forecast: 0 };
      d.overdue += r.overdue;
      if (r.late) d.forecast += r.forecast;
      due.set(r.type, d);
    }
    return { pipeline: rows.map((r) => ({ type: r.type, step: r.step, n: r.n })), due: [...due.values()] };
  }

  return {
    async setTarget(p, t) {
      const org = await getOrganization(pool, t.organizationId);
      if (!org || !canRead(p, org.path)) throw notFound('The organization');
      if (!canManage(p, org.path)) throw new HttpError(403, 'forbidden', 'Only organizers of the organization or of a committee above it set its targets');
      if (t.mode === 'rate' && t.value > 100) {
        throw new HttpError(400, 'validation_failed', 'Invalid body: value must be at most 100 for a rate (percent)', [{ field: 'value', rule: 'max', message: 'must be at most 100 for a rate (percent)' }]);
      }
      return withTransaction(pool, async (db) => {
        let base = t.baseMembers ?? null;
        if (t.mode === 'rate' && base === null) {
          const { rows } = await db.query<{ n: number }>(
            'SELECT coalesce(sum(official_members + probationary_members), 0)::int AS n FROM organizations WHERE path && ARRAY[$1]::uuid[] AND status = \'active\'',
            [t.organizationId],
          );
          base = rows[0]!.n;
        }
        const { rows } = await db.query<TargetRow>(
          `INSERT INTO targets (organization_id, year, kind, mode, value, base_members, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (organization_id, year, kind) DO UPDATE SET mode = EXCLUDED.mode, value = EXCLUDED.value, base_members = EXCLUDED.base_members,
                                                               updated_at = now(), updated_by = EXCLUDED.updated_by
           RETURNING organization_id AS "organizationId", year, kind, mode, value::float8 AS value, base_members AS "baseMembers", to_json(updated_at) #>> '{}' AS "updatedAt"`,
          [t.organizationId, t.year, t.kind, t.mode, t.value, t.mode === 'rate' ? base : null, p.userId],
        );
        const row = rows[0]!;
        await appendAudit(db, {
          actorUserId: p.userId,
          actorIp: p.ip,
          action: 'target.set',
          entityType: 'organization',
          entityId: t.organizationId,
          organizationId: t.organizationId,
          details: { year: t.year, kind: t.kind, mode: t.mode, value: t.value, baseMembers: row.baseMembers },
        });
        return { ...row, count: targetCount(row.mode, row.value, row.baseMembers) };
      });
    },

    async listTargets(p, q) {
      const scope = readScope(p);
      const { rows } = await pool.query<Omit<TargetRow, 'count'>>(
        `SELECT t.organization_id AS "organizationId", t.year, t.kind, t.mode, t.value::float8 AS value, t.base_members AS "baseMembers",
                to_json(t.updated_at) #>> '{}' AS "updatedAt"
           FROM targets t JOIN organizations o ON o.id = t.organization_id
          WHERE t.year = $1 AND ($2::uuid IS NULL OR o.path && ARRAY[$2::uuid]) AND ($3::boolean OR o.path && $4::uuid[])
          ORDER BY array_length(o.path, 1), o.name, t.kind`,
        [q.year, q.organizationId ?? null, scope === 'all', scope === 'all' ? [] : scope],
      );
      return rows.map((r) => ({ ...r, count: targetCount(r.mode, r.value, r.baseMembers) }));
    },

    async monthly(p, o) {
      const org = await getOrganization(pool, o.organizationId);
      if (!org || !canRead(p, org.path)) throw notFound('The organization');
      const to = `${o.year}-12-31` < o.asOf ? `${o.year}-12-31` : o.asOf;
      const { rows } = await pool.query<{ m: number; n: number }>(
        `SELECT extract(month FROM day)::int AS m, sum(n)::int AS n FROM report_counts
          WHERE organization_id = $1 AND kind = $2 AND day BETWEEN $3 AND $4 GROUP BY 1`,
        [org.id, o.kind, `${o.year}-01-01`, to],
      );
      const months = Array.from({ length: 12 }, () => 0);
      for (const r of rows) months[r.m - 1] = r.n;
      return months;
    },

    async progress(p, o) {
      const org = await getOrganization(pool, o.organizationId);
      if (!org || !canRead(p, org.path)) throw notFound('The organization');
      const period = periodDates(o.period);
      if (period.to < period.from) throw new HttpError(400, 'validation_failed', 'Invalid query: to must not be before from', [{ field: 'to', rule: 'min', message: 'must not be before from' }]);
      const today = vietnamDate(Date.now());
      const asOf = o.asOf ?? (period.to < today ? period.to : today);
      const countedTo = asOf < period.to ? asOf : period.to;
      const countedOn = {
        admissions: (o.admissionsCountOn === 'ceremony' ? 'admission-ceremony' : 'admission-decision') as CountedEvent,
        organizations: (o.organizationsCountOn === 'announcement' ? 'establishment-announcement' : 'establishment-decision') as CountedEvent,
      };
      // The subtree (for targets, which roll up), each organization with its parent.
      const { rows: tree } = await pool.query<{ id: string; name: string; kind: string; parentId: string | null }>(
        `SELECT id, name, kind, parent_id AS "parentId" FROM organizations WHERE path && ARRAY[$1]::uuid[]`,
        [org.id],
      );
      const reported = [org.id, ...tree.filter((t) => t.parentId === org.id).map((t) => t.id)];
      const year = Number(period.from.slice(0, 4));
      const sameYear = period.to.slice(0, 4) === period.from.slice(0, 4);
      const span = monthsAndDays(period.from, countedTo);
      const kinds = [countedOn.admissions, countedOn.organizations];
      // Counters are subtree totals: the organization's and its children's own rows are all a report reads.
      // A past day's funnel, overdue and forecast are as they stood then, read from the events instead
      // (exact, slower: it reads the subtree's cases); today's come from the counters.
      const past = asOf < today ? standing(org.id, asOf, period.to) : null;
      const [counts, targets, pipelineRows, dueRows] = await Promise.all([
        // Whole months from report_months; the ragged days at the ends (at most two ranges) from report_counts.
        pool.query<{ organizationId: string; kind: string; n: number }>(
          `SELECT organization_id AS "organizationId", kind, sum(n)::int AS n FROM (
             SELECT organization_id, kind, n FROM report_months WHERE organization_id = ANY($1::uuid[]) AND kind = ANY($2::text[]) AND month BETWEEN $3 AND $4
             ${span.days.map((_, i) => `UNION ALL SELECT organization_id, kind, n FROM report_counts WHERE organization_id = ANY($1::uuid[]) AND kind = ANY($2::text[]) AND day BETWEEN $${5 + 2 * i} AND $${6 + 2 * i}`).join('\n')}
           ) x GROUP BY 1, 2`,
          // The whole months are consecutive: a range (an index range scan), or an empty one.
          [reported, kinds, span.months[0] ?? '9999-01-01', span.months.at(-1) ?? '0001-01-01', ...span.days.flatMap((d) => [d.from, d.to])],
        ),
        pool.query<{ organizationId: string; kind: TargetKind; mode: string; value: number; baseMembers: number | null }>(
          `SELECT organization_id AS "organizationId", kind, mode, value::float8 AS value, base_members AS "baseMembers" FROM targets
            WHERE organization_id = ANY($1::uuid[]) AND year = $2`,
          [tree.map((t) => t.id), year],
        ),
        past
          ? past.then((x) => x.pipeline)
          : pool.query<{ type: string; step: string; n: number }>(`SELECT type, step, n FROM pipeline_counts WHERE organization_id = $1 AND n <> 0`, [org.id]).then((r) => r.rows),
        // Due before a day: whole months before its month, then that month's days before it (index ranges).
        past
          ? past.then((x) => x.due)
          : pool.query<{ type: string; overdue: number; forecast: number }>(
          `SELECT type, coalesce(sum(n) FILTER (WHERE o), 0)::int AS overdue, coalesce(sum(n) FILTER (WHERE late AND f), 0)::int AS forecast FROM (
             SELECT type, late, n, month < $2 AS o, month < $4 AS f FROM due_months WHERE organization_id = $1 AND month < greatest($2::date, $4::date)
             UNION ALL SELECT type, late, n, true, false FROM due_counts WHERE organization_id = $1 AND due_on >= $2 AND due_on < $3
             UNION ALL SELECT type, late, n, false, true FROM due_counts WHERE organization_id = $1 AND due_on >= $4 AND due_on < $5) x
           GROUP BY 1`,
          [org.id, monthOf(asOf), asOf, monthOf(dayAfter(period.to)), dayAfter(period.to)],
        ).then((r) => r.rows),
      ]);

      // Targets: an organization's own, else its children's summed (recursively).
      const children = new Map<string, string[]>();
      for (const t of tree) if (t.parentId && t.id !== org.id) children.set(t.parentId, [...(children.get(t.parentId) ?? []), t.id]);
      const own = new Map(targets.rows.map((t) => [`${t.organizationId}|${t.kind}`, targetCount(t.mode, t.value, t.baseMembers)]));
      const childSum = (id: string, kind: TargetKind): number | null => {
        const parts = (children.get(id) ?? []).map((c) => effective(c, kind)).filter((n): n is number => n !== null);
        return parts.length ? parts.reduce((a, b) => a + b, 0) : null;
      };
      const effective = (id: string, kind: TargetKind): number | null => (sameYear ? (own.get(`${id}|${kind}`) ?? childSum(id, kind)) : null);
      const countedAt = (id: string, kind: CountedEvent) => counts.rows.find((c) => c.organizationId === id && c.kind === kind)?.n ?? 0;
      const progressOf = (id: string): Record<TargetKind, Progress> => {
        const make = (kind: TargetKind): Progress => {
          const counted = countedAt(id, countedOn[kind]);
          const target = effective(id, kind);
          return { counted, target, percent: percentOf(counted, target), childrenTargets: sameYear ? childSum(id, kind) : null };
        };
        return { admissions: make('admissions'), organizations: make('organizations') };
      };

      const pipelineByType: Record<string, Record<string, number>> = {};
      for (const r of pipelineRows) (pipelineByType[r.type] ??= {})[r.step] = r.n;
      const root = progressOf(org.id);
      return {
        organization: { id: org.id, name: org.name },
        period,
        asOf,
        countedOn,
        ...root,
        pipeline: pipelineByType,
        overdue: Object.fromEntries(dueRows.filter((r) => r.overdue).map((r) => [r.type, r.overdue])),
        forecast: {
          admissions: dueRows.find((r) => r.type === 'admission')?.forecast ?? 0,
          organizations: dueRows.find((r) => r.type === 'cell-establishment')?.forecast ?? 0,
        },
        children: tree
          .filter((t) => t.parentId === org.id)
          .sort((a, b) => a.name.localeCompare(b.name, 'vi'))
          .map((c) => ({ id: c.id, name: c.name, kind: c.kind, ...progressOf(c.id) })),
      };
    },
  };
}
