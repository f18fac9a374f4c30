/** /api/v1/reports and /api/v1/targets: progress against targets, per organization subtree and period. */
import { z } from 'zod';
import { NAMED_PERIODS, type ReportService } from '../reports.js';
import { principal, type RouteDef } from '../routing.js';
import { isoDate, parse, uuid } from '../validation.js';

const year = z.coerce.number({ error: 'must be a year such as 2024' }).int('must be a whole number').min(2000, 'must be 2000 or later').max(2100, 'must be 2100 or earlier');
const day = isoDate({ min: '2000-01-01' });

export const ProgressQuery = z
  .strictObject({
    organizationId: uuid,
    year: year.optional(),
    period: z.enum(NAMED_PERIODS, { error: 'must be year, h1, h2, 9m, q1–q4 or m1–m12' }).default('year'),
    from: day.optional(),
    to: day.optional(),
    asOf: day.optional(),
    admissionsCountOn: z.enum(['decision', 'ceremony'], { error: 'must be decision or ceremony' }).default('decision'),
    organizationsCountOn: z.enum(['decision', 'announcement'], { error: 'must be decision or announcement' }).default('decision'),
  })
  .superRefine((q, ctx) => {
    const dates = q.from !== undefined || q.to !== undefined;
    if (dates && (q.from === undefined || q.to === undefined)) {
      ctx.addIssue({ code: 'custom', path: [q.from === undefined ? 'from' : 'to'], message: 'is required with the other end of the date range', params: { rule: 'required' } });
    } else if (dates && q.year !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['year'], message: 'must not be given with from and to', params: { rule: 'exclusive' } });
    } else if (!dates && q.year === undefined) {
      ctx.addIssue({ code: 'custom', path: ['year'], message: 'is required (or give from and to)', params: { rule: 'required' } });
    } else if (dates && q.from! > q.to!) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from', params: { rule: 'min' } });
    }
  });

export const TargetsQuery = z.strictObject({ year, organizationId: uuid.optional() });

export const TargetBody = z.strictObject({
  organizationId: uuid,
  year: z.number({ error: 'must be a year such as 2024' }).int('must be a whole number').min(2000, 'must be 2000 or later').max(2100, 'must be 2100 or earlier'),
  kind: z.enum(['admissions', 'organizations'], { error: 'must be admissions or organizations' }),
  mode: z.enum(['absolute', 'rate'], { error: 'must be absolute or rate' }).default('absolute'),
  value: z.number({ error: 'must be a number' }).min(0, 'must not be negative').max(100_000, 'must be at most 100000').multipleOf(0.01, 'must have at most two decimals'),
  baseMembers: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(10_000_000, 'must be at most 10000000').optional(),
});

const tags = ['Reports'];

export function reportRoutes(reports: ReportService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/progress',
      action: 'reports.read',
      doc: {
        summary: "Progress against targets for an organization's subtree",
        description: "Give `year` (with `period`, e.g. q1, h1, m3) or `from` and `to`; `asOf` (default: today, or the period's end if earlier) is the day the figures are counted up to.",
        tags,
        query: ProgressQuery,
        errors: [404],
      },
      handler: async (req, res) => {
        const q = parse(ProgressQuery, req.query, 'query');
        const period = q.from && q.to ? { from: q.from, to: q.to } : { year: q.year!, period: q.period };
        res.json(await reports.progress(principal(req), { ...q, period }));
      },
    },
  ];
}

export function targetRoutes(reports: ReportService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/',
      action: 'reports.read',
      doc: { summary: "A year's targets in the caller's scope", tags, query: TargetsQuery, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await reports.listTargets(principal(req), parse(TargetsQuery, req.query, 'query')) }),
    },
    {
      method: 'put',
      path: '/',
      action: 'targets.write',
      doc: {
        summary: "Set an organization's target for a year",
        description: 'By organizers of the organization or of a committee above it, and admins. `mode: rate` is a percent of `baseMembers` (default: the members of its subtree now).',
        tags,
        body: TargetBody,
        errors: [404],
      },
      handler: async (req, res) => res.json(await reports.setTarget(principal(req), parse(TargetBody, req.body, 'body'))),
    },
  ];
}
