/**
 * Exports for spreadsheets: the case list (with the list's filters) and a progress report, as CSV (UTF-8
 * with a byte-order mark, so Excel reads the diacritics) or as an .xlsx workbook (exceljs). Headers are
 * Vietnamese by default, English with lang=en. A case list carries names: each export is audited.
 */
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import type { Pool } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import type { Principal } from './auth/policy.js';
import type { CaseListQuery, CaseService } from './cases.js';
import { stepLabel } from '../activities/escalations.js';
import type { CaseType } from '../workflows/definitions.js';
import type { ProgressReport, ReportOptions, ReportService } from './reports.js';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type Lang = 'vi' | 'en';
/** Rows per case export (a committee's cases fit many times over; a bigger list is filtered first). */
export const MAX_EXPORT_ROWS = 50_000;

export interface ExportFile {
  readonly filename: string;
  readonly contentType: string;
  readonly body: Buffer;
}

interface Column {
  readonly vi: string;
  readonly en: string;
  /** xlsx number format, for numeric columns. */
  readonly numFmt?: string;
  readonly width?: number;
}

const CASE_COLUMNS: Column[] = [
  { vi: 'Mã hồ sơ', en: 'Case id', width: 38 },
  { vi: 'Loại', en: 'Type', width: 22 },
  { vi: 'Họ tên / Doanh nghiệp', en: 'Name / enterprise', width: 30 },
  { vi: 'Tổ chức đảng', en: 'Party organization', width: 36 },
  { vi: 'Bước hiện tại', en: 'Current step', width: 30 },
  { vi: 'Hạn bước', en: 'Step due on', width: 12 },
  { vi: 'Số ngày làm việc quá hạn', en: 'Working days overdue', numFmt: '0', width: 12 },
  { vi: 'Trạng thái', en: 'Status', width: 12 },
  { vi: 'Ngày mở', en: 'Opened on', width: 12 },
  { vi: 'Ngày đóng', en: 'Closed on', width: 12 },
];

const PROGRESS_COLUMNS: Column[] = [
  { vi: 'Tổ chức đảng', en: 'Party organization', width: 40 },
  { vi: 'Kết nạp', en: 'Admitted', numFmt: '0', width: 10 },
  { vi: 'Chỉ tiêu kết nạp', en: 'Admissions target', numFmt: '0', width: 12 },
  { vi: 'Tỷ lệ (%)', en: 'Percent', numFmt: '0.0', width: 10 },
  { vi: 'Thành lập tổ chức đảng', en: 'New organizations', numFmt: '0', width: 12 },
  { vi: 'Chỉ tiêu thành lập', en: 'Organizations target', numFmt: '0', width: 12 },
  { vi: 'Tỷ lệ (%)', en: 'Percent', numFmt: '0.0', width: 10 },
];

const TYPE_LABEL: Record<string, { vi: string; en: string }> = {
  admission: { vi: 'Kết nạp đảng viên', en: 'Admission' },
  'cell-establishment': { vi: 'Thành lập tổ chức đảng', en: 'New organization' },
};
const STATUS_LABEL: Record<string, { vi: string; en: string }> = {
  open: { vi: 'Đang xử lý', en: 'Open' },
  completed: { vi: 'Hoàn thành', en: 'Completed' },
  withdrawn: { vi: 'Rút hồ sơ', en: 'Withdrawn' },
  rejected: { vi: 'Không kết nạp', en: 'Rejected' },
};

type Cell = string | number | null;

async function toFile(name: string, sheet: string, columns: Column[], rows: Cell[][], format: ExportFormat, lang: Lang): Promise<ExportFile> {
  const header = columns.map((c) => c[lang]);
  if (format === 'csv') {
    // The BOM makes Excel open the file as UTF-8 (Vietnamese names intact).
    // A text cell a spreadsheet would read as a formula (= + - @, tab, CR) is quoted with a leading '.
    const cell = (v: Cell) => (v === null ? '' : typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    const text = stringify([header, ...rows.map((r) => r.map(cell))], { bom: true });
    return { filename: `${name}.csv`, contentType: 'text/csv; charset=utf-8', body: Buffer.from(text, 'utf8') };
  }
  const book = new ExcelJS.Workbook();
  book.creator = 'Admissions engine';
  const ws = book.addWorksheet(sheet, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c[lang], width: c.width ?? 14, ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}) }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) ws.addRow(r);
  const body = Buffer.from(await book.xlsx.writeBuffer());
  return { filename: `${name}.xlsx`, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', body };
}

export interface ExportService {
  cases(p: Principal, query: Omit<CaseListQuery, 'limit' | 'after'>, format: ExportFormat, lang: Lang): Promise<ExportFile>;
  progress(p: Principal, options: ReportOptions, format: ExportFormat, lang: Lang): Promise<ExportFile>;
}

export function createExportService(deps: { pool: Pool; cases: CaseService; reports: ReportService }): ExportService {
  const { pool } = deps;
  return {
    async cases(p, query, format, lang) {
      const rows: Cell[][] = [];
      const orgIds = new Set<string>();
      const items: Awaited<ReturnType<CaseService['list']>>['items'][number][] = [];
      let after: string | undefined;
      // Keyset pages of the list itself: the same filters, scope and order as the screen.
      do {
        const page = await deps.cases.list(p, { ...query, limit: 200, ...(after ? { after } : {}) });
        items.push(...page.items);
        after = page.nextCursor ?? undefined;
      } while (after && items.length < MAX_EXPORT_ROWS);
      for (const c of items) orgIds.add(c.organizationId);
      const { rows: names } = await pool.query<{ id: string; name: string }>(
        `SELECT o.id, o.name FROM organizations o WHERE o.id = ANY($1::uuid[])
         UNION ALL SELECT e.id, e.name FROM enterprises e WHERE e.id = ANY($2::uuid[])`,
        [[...orgIds], items.flatMap((c) => (c.enterpriseId ? [c.enterpriseId] : []))],
      );
      const nameOf = new Map(names.map((n) => [n.id, n.name]));
      for (const c of items.slice(0, MAX_EXPORT_ROWS)) {
        rows.push([
          c.id,
          TYPE_LABEL[c.type]?.[lang] ?? c.type,
          c.personName ?? (c.enterpriseId ? (nameOf.get(c.enterpriseId) ?? null) : null),
          nameOf.get(c.organizationId) ?? c.organizationId,
          c.currentStep ? stepLabel(c.type as CaseType, c.currentStep)[lang] : null,
          c.currentStepDueOn,
          c.daysOverdue,
          STATUS_LABEL[c.status]?.[lang] ?? c.status,
          c.openedAt.slice(0, 10),
          c.closedAt?.slice(0, 10) ?? null,
        ]);
      }
      await appendAudit(pool, {
        actorUserId: p.userId,
        actorIp: p.ip,
        action: 'cases.exported',
        entityType: 'case-list',
        entityId: '-',
        details: { format, rows: rows.length, filters: Object.keys(query).filter((k) => (query as Record<string, unknown>)[k] !== undefined) },
      });
      return toFile(lang === 'vi' ? 'ho-so' : 'cases', lang === 'vi' ? 'Hồ sơ' : 'Cases', CASE_COLUMNS, rows, format, lang);
    },

    async progress(p, options, format, lang) {
      const r: ProgressReport = await deps.reports.progress(p, options);
      const line = (name: string, x: Pick<ProgressReport, 'admissions' | 'organizations'>): Cell[] => [
        name,
        x.admissions.counted,
        x.admissions.target,
        x.admissions.percent,
        x.organizations.counted,
        x.organizations.target,
        x.organizations.percent,
      ];
      const rows = [line(r.organization.name, r), ...r.children.map((c) => line(`  ${c.name}`, c))];
      const name = `${lang === 'vi' ? 'tien-do' : 'progress'}-${r.period.from}-${r.period.to}`;
      return toFile(name, lang === 'vi' ? 'Tiến độ' : 'Progress', PROGRESS_COLUMNS, rows, format, lang);
    },
  };
}
