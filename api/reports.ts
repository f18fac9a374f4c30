/**
 * Targets (chỉ tiêu) and progress reports. Reports read only the counter tables (report_counts,
 * pipeline_counts, due_counts) and the org tree, so they cost the same whatever the number of cases.
 */
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import type { CountedEvent } from '../infra/db/queries/counters.js';
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

/** The steps after which a case usually reaches the counted event within its current step's deadline. */
const FORECAST_STEPS: Record<TargetKind, { type: string; steps: readonly string[] }> = {
  admissions: { type: 'admission', steps: ['partial-appraisal', 'committee-vote', 'decision'] },
  organizations: { type: 'cell-establishment', steps: ['proposal', 'decision'] },
};

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
}

export function createReportService(deps: { pool: Pool }): ReportService {
  const { pool } = deps;

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
      const depth = org.path.length;
      // The subtree, each organization with the child of the root it lies under (null: the root itself).
      const { rows: tree } = await pool.query<{ id: string; name: string; kind: string; parentId: string | null; branch: string | null }>(
        `SELECT id, name, kind, parent_id AS "parentId", path[$2 + 1] AS branch FROM organizations WHERE path && ARRAY[$1]::uuid[]`,
        [org.id, depth],
      );
      const ids = tree.map((t) => t.id);
      const year = Number(period.from.slice(0, 4));
      const sameYear = period.to.slice(0, 4) === period.from.slice(0, 4);
      const [counts, targets, pipeline, overdue, forecast] = await Promise.all([
        pool.query<{ organizationId: string; kind: string; n: number }>(
          `SELECT organization_id AS "organizationId", kind, sum(n)::int AS n FROM report_counts
            WHERE organization_id = ANY($1::uuid[]) AND kind = ANY($2::text[]) AND day BETWEEN $3 AND $4 GROUP BY 1, 2`,
          [ids, [countedOn.admissions, countedOn.organizations], period.from, countedTo],
        ),
        pool.query<{ organizationId: string; kind: TargetKind; mode: string; value: number; baseMembers: number | null }>(
          `SELECT organization_id AS "organizationId", kind, mode, value::float8 AS value, base_members AS "baseMembers" FROM targets
            WHERE organization_id = ANY($1::uuid[]) AND year = $2`,
          [ids, year],
        ),
        pool.query<{ type: string; step: string; n: number }>(
          `SELECT type, step, sum(n)::int AS n FROM pipeline_counts WHERE organization_id = ANY($1::uuid[]) GROUP BY 1, 2 HAVING sum(n) <> 0`,
          [ids],
        ),
        pool.query<{ type: string; n: number }>(
          `SELECT type, sum(n)::int AS n FROM due_counts WHERE organization_id = ANY($1::uuid[]) AND due_on < $2 GROUP BY 1`,
          [ids, asOf],
        ),
        pool.query<{ type: string; n: number }>(
          `SELECT type, sum(n)::int AS n FROM due_counts
            WHERE organization_id = ANY($1::uuid[]) AND due_on <= $2 AND ((type = $3 AND step = ANY($4::text[])) OR (type = $5 AND step = ANY($6::text[])))
            GROUP BY 1`,
          [ids, period.to, FORECAST_STEPS.admissions.type, FORECAST_STEPS.admissions.steps, FORECAST_STEPS.organizations.type, FORECAST_STEPS.organizations.steps],
        ),
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
      const branchOf = new Map(tree.map((t) => [t.id, t.branch]));
      const countedUnder = (branch: string | null, kind: CountedEvent) =>
        counts.rows.filter((c) => c.kind === kind && (branch === null || branchOf.get(c.organizationId) === branch)).reduce((a, c) => a + c.n, 0);
      const progressOf = (id: string, branch: string | null): Record<TargetKind, Progress> => {
        const make = (kind: TargetKind): Progress => {
          const counted = countedUnder(branch, countedOn[kind]);
          const target = effective(id, kind);
          return { counted, target, percent: percentOf(counted, target), childrenTargets: sameYear ? childSum(id, kind) : null };
        };
        return { admissions: make('admissions'), organizations: make('organizations') };
      };

      const pipelineByType: Record<string, Record<string, number>> = {};
      for (const r of pipeline.rows) (pipelineByType[r.type] ??= {})[r.step] = r.n;
      const root = progressOf(org.id, null);
      return {
        organization: { id: org.id, name: org.name },
        period,
        asOf,
        countedOn,
        ...root,
        pipeline: pipelineByType,
        overdue: Object.fromEntries(overdue.rows.map((r) => [r.type, r.n])),
        forecast: {
          admissions: forecast.rows.find((r) => r.type === 'admission')?.n ?? 0,
          organizations: forecast.rows.find((r) => r.type === 'cell-establishment')?.n ?? 0,
        },
        children: tree
          .filter((t) => t.parentId === org.id)
          .sort((a, b) => a.name.localeCompare(b.name, 'vi'))
          .map((c) => ({ id: c.id, name: c.name, kind: c.kind, ...progressOf(c.id, c.id) })),
      };
    },
  };
}
