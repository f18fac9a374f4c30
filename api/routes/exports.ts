/** /api/v1/exports: the case list and progress reports as CSV or .xlsx, for spreadsheets. */
import { z } from 'zod';
import { EXPORT_FORMATS, type ExportFile, type ExportService } from '../exports.js';
import { principal, type RouteDef } from '../routing.js';
import { parse } from '../validation.js';
import { ListQuery } from './cases.js';
import { ProgressQuery } from './reports.js';

const FileOptions = z.strictObject({
  format: z.enum(EXPORT_FORMATS, { error: 'must be csv or xlsx' }).default('xlsx'),
  lang: z.enum(['vi', 'en'], { error: 'must be vi or en' }).default('vi'),
});

/** Splits the file options off the query, so the rest is checked by the list's or the report's own schema. */
function split(query: Record<string, unknown>) {
  const { format, lang, ...rest } = query;
  return { file: parse(FileOptions, { format, lang }, 'query'), rest };
}

function send(res: Parameters<RouteDef['handler']>[1], f: ExportFile) {
  res.type(f.contentType).attachment(f.filename).send(f.body);
}

export function exportRoutes(exports: ExportService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/cases',
      action: 'cases.read',
      doc: {
        summary: 'The case list as a spreadsheet (the filters and order of GET /api/v1/cases; format=csv|xlsx, lang=vi|en)',
        description: 'Every matching case in the caller’s scope (at most 50,000), not one page; audited (it carries names).',
        tags: ['Reports'],
        query: ListQuery,
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        responseDescription: 'An .xlsx workbook, or text/csv',
      },
      handler: async (req, res) => {
        const { file, rest } = split(req.query);
        const { q: text, limit: _l, after: _a, ...query } = parse(ListQuery, rest, 'query');
        send(res, await exports.cases(principal(req), { ...query, text }, file.format, file.lang));
      },
    },
    {
      method: 'get',
      path: '/progress',
      action: 'reports.read',
      doc: {
        summary: 'A progress report as a spreadsheet (the query of GET /api/v1/reports/progress; format=csv|xlsx, lang=vi|en)',
        tags: ['Reports'],
        query: ProgressQuery,
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        responseDescription: 'An .xlsx workbook, or text/csv: the organization and each child with counted, target and percent',
      },
      handler: async (req, res) => {
        const { file, rest } = split(req.query);
        const q = parse(ProgressQuery, rest, 'query');
        const period = q.from && q.to ? { from: q.from, to: q.to } : { year: q.year!, period: q.period };
        send(res, await exports.progress(principal(req), { ...q, period }, file.format, file.lang));
      },
    },
  ];
}
