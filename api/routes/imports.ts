/** /api/v1/imports: CSV files of candidates or enterprises, checked row by row, then imported as a job. */
import express from 'express';
import { z } from 'zod';
import { IMPORT_KINDS, MAX_IMPORT_ROWS, type ImportService } from '../imports.js';
import { HttpError } from '../http-errors.js';
import { principal, type RouteDef } from '../routing.js';
import { parse, uuid } from '../validation.js';

export const IMPORT_BODY_LIMIT = '5mb';

const ImportQuery = z.strictObject({
  kind: z.enum(IMPORT_KINDS, { error: 'must be candidates or enterprises' }),
  dryRun: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true').transform((v) => v === 'true'),
});
const CsvBody = z.string().meta({
  description: `The CSV file (UTF-8, comma or semicolon separated, header row first; at most ${MAX_IMPORT_ROWS} rows). Candidates: fullName, dateOfBirth (YYYY-MM-DD or dd/mm/yyyy), organization (id or exact name of a cell). Enterprises: name, taxCode, zone, investorCountry, workforce, address, organization (an upper committee: opens a survey case). Vietnamese headers (Họ và tên, Ngày sinh, Chi bộ, …) are accepted.`,
});
const JobParams = z.object({ id: uuid });

export function importRoutes(imports: ImportService): RouteDef[] {
  return [
    {
      method: 'post',
      path: '/',
      action: 'cases.create',
      before: [express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit: IMPORT_BODY_LIMIT })],
      doc: {
        summary: 'Check a CSV file row by row (dryRun=true, the default), or import its valid rows as a job',
        description: 'The dry run answers the report (per row: field and rule; duplicates in the file; rows imported before). The import answers 202 with the job; follow it at GET /api/v1/imports/{id}. Importing the same file again creates nothing twice.',
        tags: ['Cases'],
        query: ImportQuery,
        body: CsvBody,
        bodyContentType: 'text/csv',
        success: 200,
        responseDescription: 'The report (dry run), or 202 and the job',
      },
      handler: async (req, res) => {
        const q = parse(ImportQuery, req.query, 'query');
        if (typeof req.body !== 'string' || !req.body.trim()) {
          throw new HttpError(400, 'validation_failed', 'Invalid body: send the CSV file with Content-Type: text/csv', [{ field: '(body)', rule: 'csv', message: 'must be a CSV file sent as text/csv' }]);
        }
        const p = principal(req);
        if (q.dryRun) res.json(await imports.check(p, q.kind, req.body));
        else {
          const job = await imports.start(p, q.kind, req.body);
          res.status(202).location(`/api/v1/imports/${job.id}`).json(job);
        }
      },
    },
    {
      method: 'get',
      path: '/:id',
      action: 'cases.read',
      doc: { summary: 'An import job: status, progress, the report and the result', tags: ['Cases'], params: JobParams },
      handler: async (req, res) => res.json(await imports.job(principal(req), parse(JobParams, req.params, 'path').id)),
    },
  ];
}
