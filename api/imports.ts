/**
 * CSV imports: a year's candidates (each opens an admission case) or enterprises (each recorded, and with
 * an organization column a survey case opened). Every import is first checked row by row (field, rule);
 * the valid rows are then imported. Each row has a key (the candidate's name without accents, birth date
 * and organization; the enterprise's tax code or name) from which its case id is derived: importing the
 * same file twice — or again after a crash half-way — makes each case once.
 */
import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { canManage, canRead, canWriteEnterprises, isAdmin, readScope, type Principal } from './auth/policy.js';
import type { CaseService } from './cases.js';
import { HttpError, notFound } from './http-errors.js';
import { isoDate, line, safeParseReporting } from './validation.js';

export const IMPORT_KINDS = ['candidates', 'enterprises'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];
/** Rows per file: a committee's year is a few hundred; larger lists go in parts. */
export const MAX_IMPORT_ROWS = 5_000;

export interface RowProblem {
  /** The line of the CSV file (the header is line 1). */
  readonly line: number;
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

export interface ImportReport {
  readonly kind: ImportKind;
  readonly rows: number;
  /** Rows that pass every check and are not yet imported. */
  readonly toImport: number;
  /** One entry per broken rule (a row may break several). */
  readonly problems: RowProblem[];
  /** A row that repeats an earlier row of the same file (same key). */
  readonly duplicates: Array<{ readonly line: number; readonly sameAs: number }>;
  /** Rows already imported (by an earlier run): the case they made. */
  readonly existing: Array<{ readonly line: number; readonly caseId: string | null; readonly enterpriseId?: string }>;
}

export interface ImportResult {
  readonly created: number;
  readonly existing: number;
  readonly failed: Array<{ readonly line: number; readonly message: string }>;
  readonly caseIds: string[];
}

export interface ImportJob {
  readonly id: string;
  readonly kind: ImportKind;
  readonly status: 'running' | 'done' | 'failed' | 'interrupted';
  readonly total: number;
  readonly done: number;
  readonly report: ImportReport;
  readonly result: ImportResult | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

/** Header names accepted for each field (the English ones, and the ones on the committee's paper lists). */
const HEADERS: Record<string, string> = {
  fullname: 'fullName', 'họ và tên': 'fullName', 'họ tên': 'fullName',
  dateofbirth: 'dateOfBirth', 'ngày sinh': 'dateOfBirth',
  organization: 'organization', organizationid: 'organization', 'chi bộ': 'organization', 'tổ chức đảng': 'organization',
  name: 'name', 'tên doanh nghiệp': 'name',
  taxcode: 'taxCode', 'mã số thuế': 'taxCode',
  zone: 'zone', 'khu công nghiệp': 'zone',
  investorcountry: 'investorCountry', workforce: 'workforce', 'số lao động': 'workforce', address: 'address', 'địa chỉ': 'address',
};

/** Vietnamese lists write dates dd/mm/yyyy: accepted beside YYYY-MM-DD. */
const dateCell = (bounds: Parameters<typeof isoDate>[0]) =>
  z.preprocess((v) => {
    const m = typeof v === 'string' ? /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(v) : null;
    return m ? `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}` : typeof v === 'string' ? v.trim() : v;
  }, isoDate(bounds));
const optionalCell = <S extends z.ZodType>(s: S) => z.preprocess((v) => (v === '' || v === undefined ? undefined : v), s.optional());

const CandidateRow = z.strictObject({
  fullName: line(200),
  dateOfBirth: dateCell({ min: '1900-01-01', max: 'today' }),
  organization: line(300),
});
const EnterpriseRow = z.strictObject({
  name: line(300),
  taxCode: optionalCell(z.string().trim().regex(/^\d{10}(-\d{3})?$/, 'must be a tax code of 10 digits (or 10-3)')),
  zone: optionalCell(line(200)),
  investorCountry: optionalCell(z.string().trim().regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as KR or JP')),
  workforce: optionalCell(z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(1_000_000, 'must be at most 1000000')),
  address: optionalCell(line(500)),
  organization: optionalCell(line(300)),
});

/** Case-insensitive and accent-insensitive, as names are compared in search. */
export const foldName = (s: string) =>
  s.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();

/** A UUID (version 8: custom) from the row's key: the same row always gives the same case id. */
export function keyedUuid(key: string): string {
  const h = createHash('sha256').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface CheckedRow {
  readonly line: number;
  readonly caseId: string | null;
  readonly candidate?: { fullName: string; dateOfBirth: string; organizationId: string };
  readonly enterprise?: { key: string; fields: Record<string, unknown>; organizationId: string | null };
}

export interface ImportService {
  /** The per-row report; nothing is written. */
  check(p: Principal, kind: ImportKind, csv: string): Promise<ImportReport>;
  /** Checks, then imports the valid new rows (at most four at a time), calling `progress` after each. */
  run(p: Principal, kind: ImportKind, csv: string, progress?: (done: number, total: number) => void): Promise<{ report: ImportReport; result: ImportResult }>;
  /** `run` as a background job (the API): its id at once, its state from `job`. */
  start(p: Principal, kind: ImportKind, csv: string): Promise<ImportJob>;
  job(p: Principal, id: string): Promise<ImportJob>;
}

export function createImportService(deps: { pool: Pool; cases: CaseService }): ImportService {
  const { pool, cases } = deps;

  /** Organizations the caller manages, by id and by exact name (case-insensitive), for the organization column. */
  async function managedOrganizations(p: Principal) {
    const scope = readScope(p);
    const { rows } = await pool.query<{ id: string; name: string; kind: string; status: string; path: string[] }>(
      `SELECT id, name, kind, status, path FROM organizations WHERE $1::boolean OR path && $2::uuid[]`,
      [scope === 'all', scope === 'all' ? [] : scope],
    );
    const managed = rows.filter((o) => canRead(p, o.path) && canManage(p, o.path));
    const byId = new Map(managed.map((o) => [o.id, o]));
    const byName = new Map<string, typeof managed>();
    for (const o of managed) byName.set(o.name.toLowerCase(), [...(byName.get(o.name.toLowerCase()) ?? []), o]);
    return (ref: string) => byId.get(ref) ?? byName.get(ref.toLowerCase()) ?? null;
  }

  async function checkRows(p: Principal, kind: ImportKind, csv: string): Promise<{ report: ImportReport; rows: CheckedRow[] }> {
    if (kind === 'enterprises' && !canWriteEnterprises(p)) throw new HttpError(403, 'forbidden', 'Only organizers and admins record enterprises');
    let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
    try {
      records = parseCsv(csv.replace(/^\uFEFF/, ''), {
        columns: (header: string[]) => header.map((h) => HEADERS[h.trim().toLowerCase()] ?? h.trim()),
        skip_empty_lines: true,
        trim: true,
        info: true,
        delimiter: [',', ';'],
      });
    } catch (err) {
      const e = err as { message?: string; lines?: number };
      throw new HttpError(400, 'invalid_csv', `The file is not valid CSV: ${e.message ?? 'parse error'}`, [{ field: '(file)', rule: 'csv', message: e.message ?? 'is not valid CSV' }]);
    }
    if (records.length > MAX_IMPORT_ROWS) {
      throw new HttpError(400, 'too_many_rows', `The file has ${records.length} rows; import at most ${MAX_IMPORT_ROWS} at a time`, [
        { field: '(file)', rule: 'max_rows', message: `must have at most ${MAX_IMPORT_ROWS} rows` },
      ]);
    }
    const orgOf = await managedOrganizations(p);
    const problems: RowProblem[] = [];
    const duplicates: ImportReport['duplicates'] = [];
    const checked: CheckedRow[] = [];
    const seen = new Map<string, number>();
    for (const { record, info } of records) {
      const lineNo = info.lines;
      const parsed = safeParseReporting(kind === 'candidates' ? CandidateRow : EnterpriseRow, record);
      const rowProblems: RowProblem[] = parsed.success
        ? []
        : parsed.error.issues.map((i) => ({
            line: lineNo,
            field: i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.map(String).join('.') || '(row)',
            rule: i.code === 'unrecognized_keys' ? 'unknown_column' : i.code === 'invalid_type' && i.input === undefined ? 'required' : i.code === 'custom' ? String((i.params as { rule?: string } | undefined)?.rule ?? 'invalid') : i.code === 'too_big' ? 'max' : i.code === 'too_small' ? 'min' : i.code,
            message: i.code === 'unrecognized_keys' ? 'is not a known column' : i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message,
          }));
      const orgRef = (parsed.success ? parsed.data.organization : record.organization) as string | undefined;
      const org = orgRef ? orgOf(orgRef) : null;
      if (orgRef) {
        if (!org) rowProblems.push({ line: lineNo, field: 'organization', rule: 'exists', message: 'does not name an organization you manage (its id or exact name)' });
        else if (Array.isArray(org)) {
          if (org.length > 1) rowProblems.push({ line: lineNo, field: 'organization', rule: 'ambiguous', message: `names ${org.length} organizations: give its id` });
        }
      }
      const one = Array.isArray(org) ? (org.length === 1 ? org[0]! : null) : org;
      if (one && one.status !== 'active') rowProblems.push({ line: lineNo, field: 'organization', rule: 'active', message: 'names a dissolved organization' });
      else if (one && kind === 'candidates' && !['cell', 'grassroots-cell'].includes(one.kind)) {
        rowProblems.push({ line: lineNo, field: 'organization', rule: 'cell', message: 'must be a cell or grassroots cell' });
      } else if (one && kind === 'enterprises' && one.kind !== 'upper-committee') {
        rowProblems.push({ line: lineNo, field: 'organization', rule: 'upper_committee', message: 'must be an upper committee (it opens the survey)' });
      }
      if (rowProblems.length || !parsed.success) {
        problems.push(...rowProblems);
        continue;
      }
      let key: string;
      let row: CheckedRow;
      if (kind === 'candidates') {
        const d = parsed.data as z.output<typeof CandidateRow>;
        key = `candidate|${foldName(d.fullName)}|${d.dateOfBirth}|${one!.id}`;
        row = { line: lineNo, caseId: keyedUuid(key), candidate: { fullName: d.fullName, dateOfBirth: d.dateOfBirth, organizationId: one!.id } };
      } else {
        const { organization: _o, ...fields } = parsed.data as z.output<typeof EnterpriseRow>;
        key = fields.taxCode ? `enterprise|tax|${fields.taxCode}` : `enterprise|name|${foldName(fields.name)}`;
        row = { line: lineNo, caseId: one ? keyedUuid(`${key}|${one.id}`) : null, enterprise: { key, fields, organizationId: one?.id ?? null } };
      }
      const first = seen.get(key);
      if (first !== undefined) {
        duplicates.push({ line: lineNo, sameAs: first });
        continue;
      }
      seen.set(key, lineNo);
      checked.push(row);
    }
    // What an earlier run made: the cases (by their derived ids) and, for enterprises, the records.
    const existingCases = new Set(
      (await pool.query<{ id: string }>('SELECT id FROM cases WHERE id = ANY($1::uuid[])', [checked.map((r) => r.caseId).filter(Boolean)])).rows.map((r) => r.id),
    );
    const enterpriseIds = kind === 'enterprises' ? await findEnterprises(checked) : new Map<string, string>();
    const existing: ImportReport['existing'] = [];
    const toImport: CheckedRow[] = [];
    for (const r of checked) {
      const enterpriseId = r.enterprise ? enterpriseIds.get(r.enterprise.key) : undefined;
      const done = r.caseId ? existingCases.has(r.caseId) : enterpriseId !== undefined;
      if (done) existing.push({ line: r.line, caseId: r.caseId, ...(enterpriseId ? { enterpriseId } : {}) });
      else toImport.push(r);
    }
    return { report: { kind, rows: records.length, toImport: toImport.length, problems, duplicates, existing }, rows: toImport };
  }

  /** Enterprises already recorded, by import key (tax code, else the name without accents). */
  async function findEnterprises(rows: CheckedRow[]): Promise<Map<string, string>> {
    const keys = rows.flatMap((r) => (r.enterprise ? [r.enterprise.key] : []));
    const { rows: found } = await pool.query<{ key: string; id: string }>(
      `SELECT DISTINCT ON (k.key) k.key, e.id FROM unnest($1::text[]) AS k(key)
         JOIN enterprises e ON (k.key LIKE 'enterprise|tax|%' AND e.tax_code = substr(k.key, length('enterprise|tax|') + 1))
                            OR (k.key LIKE 'enterprise|name|%' AND e.search_name = substr(k.key, length('enterprise|name|') + 1))
        ORDER BY k.key, e.created_at`,
      [keys],
    );
    return new Map(found.map((r) => [r.key, r.id]));
  }

  async function importRows(p: Principal, rows: CheckedRow[], progress: (done: number) => void): Promise<ImportResult> {
    const limit = pLimit(4);
    let done = 0;
    const caseIds: string[] = [];
    const failed: ImportResult['failed'] = [];
    let existing = 0;
    let created = 0;
    await Promise.all(
      rows.map((r) =>
        limit(async () => {
          try {
            if (r.candidate) {
              await cases.openAdmission(p, { organizationId: r.candidate.organizationId, person: { fullName: r.candidate.fullName, dateOfBirth: r.candidate.dateOfBirth }, caseId: r.caseId! });
              caseIds.push(r.caseId!);
              created += 1;
            } else if (r.enterprise) {
              const enterpriseId = (await findEnterprises([r])).get(r.enterprise.key) ?? (await insertEnterprise(p, r.enterprise.fields));
              if (r.enterprise.organizationId) {
                await cases.openEstablishment(p, { organizationId: r.enterprise.organizationId, enterpriseId, caseId: r.caseId! });
                caseIds.push(r.caseId!);
              }
              created += 1;
            }
          } catch (err) {
            // Started by a run that stopped before it could tell (the case id is the row's): already there.
            if (err instanceof HttpError && err.code === 'already_started') existing += 1;
            else failed.push({ line: r.line, message: err instanceof Error ? err.message : String(err) });
          }
          done += 1;
          progress(done);
        }),
      ),
    );
    return { created, existing, failed: failed.sort((a, b) => a.line - b.line), caseIds };
  }

  async function insertEnterprise(p: Principal, f: Record<string, unknown>): Promise<string> {
    return withTransaction(pool, async (db) => {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO enterprises (name, tax_code, zone, investor_country, workforce, address) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [f.name, f.taxCode ?? null, f.zone ?? null, f.investorCountry ?? null, f.workforce ?? null, f.address ?? null],
      );
      const id = rows[0]!.id;
      await appendAudit(db, { actorUserId: p.userId, actorIp: p.ip, action: 'enterprise.created', entityType: 'enterprise', entityId: id, details: { via: 'import' } });
      return id;
    });
  }

  const JOB_COLUMNS = `id, kind, CASE WHEN status = 'running' AND heartbeat_at < now() - interval '1 minute' THEN 'interrupted' ELSE status END AS status,
    total, done, report, result, error, to_json(created_at) #>> '{}' AS "createdAt", to_json(finished_at) #>> '{}' AS "finishedAt"`;

  const service: ImportService = {
    async check(p, kind, csv) {
      return (await checkRows(p, kind, csv)).report;
    },

    async run(p, kind, csv, progress) {
      const { report, rows } = await checkRows(p, kind, csv);
      const result = await importRows(p, rows, (done) => progress?.(done, rows.length));
      return { report, result };
    },

    async start(p, kind, csv) {
      const { report, rows } = await checkRows(p, kind, csv);
      const { rows: created } = await pool.query<ImportJob>(
        `INSERT INTO import_jobs (kind, created_by, status, total, report) VALUES ($1, $2, 'running', $3, $4) RETURNING ${JOB_COLUMNS}`,
        [kind, p.userId, rows.length, JSON.stringify(report)],
      );
      const job = created[0]!;
      await appendAudit(pool, { actorUserId: p.userId, actorIp: p.ip, action: 'import.started', entityType: 'import', entityId: job.id, details: { kind, rows: report.rows, toImport: rows.length } });
      // Progress is written at most once a second; the heartbeat tells a stopped process from a slow one.
      let last = 0;
      const beat = setInterval(() => void pool.query('UPDATE import_jobs SET heartbeat_at = now() WHERE id = $1', [job.id]).catch(() => undefined), 15_000);
      void importRows(p, rows, (done) => {
        if (Date.now() - last < 1000 && done < rows.length) return;
        last = Date.now();
        void pool.query('UPDATE import_jobs SET done = greatest(done, $2), heartbeat_at = now() WHERE id = $1', [job.id, done]).catch(() => undefined);
      })
        .then((result) =>
          pool.query(`UPDATE import_jobs SET status = 'done', done = total, result = $2, finished_at = now() WHERE id = $1`, [job.id, JSON.stringify(result)]),
        )
        .catch((err: unknown) =>
          pool.query(`UPDATE import_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [job.id, err instanceof Error ? err.message : String(err)]),
        )
        .catch(() => undefined)
        .finally(() => clearInterval(beat));
      return job;
    },

    async job(p, id) {
      const { rows } = await pool.query<ImportJob & { createdBy: string }>(`SELECT ${JOB_COLUMNS}, created_by AS "createdBy" FROM import_jobs WHERE id = $1`, [id]);
      const job = rows[0];
      if (!job || (job.createdBy !== p.userId && !isAdmin(p))) throw notFound('The import');
      const { createdBy: _c, ...view } = job;
      return view;
    },
  };
  return service;
}
