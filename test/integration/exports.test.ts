import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOrganization, createUser, viewer } from '../helpers/db.js';
import { CaseWriter } from '../helpers/read-model.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

async function download(stack: TestStack, token: string, path: string) {
  const res = await fetch(`${stack.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', disposition: res.headers.get('content-disposition') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

describe('exports: the case list and a progress report as CSV and .xlsx', () => {
  let stack: TestStack;
  const org = {} as Record<'upper' | 'cell' | 'cell2', string>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const { pool } = stack.db;
    org.upper = await addOrganization(pool, { name: 'Đảng ủy Xuất Dữ Liệu', kind: 'upper-committee' });
    org.cell = await addOrganization(pool, { name: 'Chi bộ Công ty Xuất', kind: 'grassroots-cell', parentId: org.upper });
    org.cell2 = await addOrganization(pool, { name: 'Chi bộ Công ty Nhập', kind: 'grassroots-cell', parentId: org.upper });
    const as = caller(stack.baseUrl, stack.admin.token);
    await as('PUT', '/api/v1/targets', { organizationId: org.upper, year: 2024, kind: 'admissions', value: 8 });
    await as('PUT', '/api/v1/targets', { organizationId: org.cell, year: 2024, kind: 'admissions', value: 5 });
    for (const [name, o, day] of [['Nguyễn Thị Ánh', org.cell, '2024-02-02'], ['Trần Văn Đức', org.cell, '2024-03-03'], ['Lê Thị Hằng', org.cell2, '2024-03-04']] as const) {
      await (await CaseWriter.open(pool, { organizationId: o, personName: name })).admit(day);
    }
    await CaseWriter.open(pool, { organizationId: org.cell2, personName: '=HYPERLINK("http://x.example","Bấm")', at: '2020-01-01T01:00:00Z' });
    const open = await CaseWriter.open(pool, { organizationId: org.cell2, personName: 'Phạm Quốc Việt' });
    await open.enter('cell-vote', '2024-01-15');
  });
  afterAll(() => stack?.stop());

  it('exports every case of the filter as CSV (UTF-8 with BOM, Vietnamese headers) and audits it', async () => {
    const res = await download(stack, stack.admin.token, `/api/v1/exports/cases?format=csv&organizationId=${org.upper}&sort=openedAt`);
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/csv');
    expect(res.disposition).toContain('ho-so.csv');
    expect(res.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parseCsv(res.body.toString('utf8').slice(1)) as string[][];
    expect(rows[0]!.slice(0, 5)).toEqual(['Mã hồ sơ', 'Loại', 'Họ tên / Doanh nghiệp', 'Tổ chức đảng', 'Bước hiện tại']);
    // A name a spreadsheet would run as a formula is written as text.
    expect(rows.slice(1).map((r) => r[2])).toEqual(['\'=HYPERLINK("http://x.example","Bấm")', 'Nguyễn Thị Ánh', 'Trần Văn Đức', 'Lê Thị Hằng', 'Phạm Quốc Việt']);
    const overdue = rows.find((r) => r[2] === 'Phạm Quốc Việt')!;
    expect(overdue[4]).toBe('Chi bộ xét, đề nghị kết nạp');
    expect(Number(overdue[6])).toBeGreaterThan(500); // working days since 15/01/2024
    const { rows: audit } = await stack.db.pool.query(`SELECT details FROM audit_log WHERE action = 'cases.exported' ORDER BY id DESC LIMIT 1`);
    expect(audit[0].details).toMatchObject({ format: 'csv', rows: 5 });
  });

  it('exports the same list as an .xlsx workbook a spreadsheet opens, in English on request', async () => {
    const res = await download(stack, stack.admin.token, `/api/v1/exports/cases?format=xlsx&lang=en&organizationId=${org.cell}&sort=openedAt`);
    expect(res.type).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const ws = book.getWorksheet('Cases')!;
    expect(ws.getRow(1).getCell(3).value).toBe('Name / enterprise');
    expect([ws.getRow(2).getCell(3).value, ws.getRow(3).getCell(3).value]).toEqual(['Nguyễn Thị Ánh', 'Trần Văn Đức']);
    expect(ws.rowCount).toBe(3);
  });

  it('exports a progress report with the organization and each child: counted, target, percent', async () => {
    const res = await download(stack, stack.admin.token, `/api/v1/exports/progress?format=xlsx&organizationId=${org.upper}&year=2024&period=q1`);
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const ws = book.getWorksheet('Tiến độ')!;
    const values = (r: number) => [1, 2, 3, 4].map((c) => ws.getRow(r).getCell(c).value ?? null);
    expect(values(2)).toEqual(['Đảng ủy Xuất Dữ Liệu', 3, 8, 37.5]);
    expect(values(3)).toEqual(['  Chi bộ Công ty Nhập', 1, null, null]);
    expect(values(4)).toEqual(['  Chi bộ Công ty Xuất', 2, 5, 40]);
    expect(ws.getRow(2).getCell(4).numFmt).toBe('0.0');
    const csv = await download(stack, stack.admin.token, `/api/v1/exports/progress?format=csv&organizationId=${org.upper}&year=2024&period=q1`);
    expect(parseCsv(csv.body.toString('utf8').slice(1))[1]).toEqual(['Đảng ủy Xuất Dữ Liệu', '3', '8', '37.5', '0', '', '']);
  });

  it('keeps to the caller’s scope and checks the options', async () => {
    const other = await createUser(stack.db.pool, 'export-viewer', [viewer(org.cell2)]);
    const res = await download(stack, other.token, `/api/v1/exports/cases?format=csv&organizationId=${org.upper}`);
    const rows = parseCsv(res.body.toString('utf8').slice(1)) as string[][];
    expect(rows.slice(1).map((r) => r[2]).sort()).toEqual(["'=HYPERLINK(\"http://x.example\",\"Bấm\")", 'Lê Thị Hằng', 'Phạm Quốc Việt']);
    const bad = await caller(stack.baseUrl, stack.admin.token)('GET', `/api/v1/exports/cases?format=pdf`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0]).toMatchObject({ field: 'format' });
  });
});
