import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addOrganization, createUser, organizer } from '../helpers/db.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/** A CSV upload: the body as text/csv. */
async function upload(stack: TestStack, token: string, query: string, csv: string) {
  const res = await fetch(`${stack.baseUrl}/api/v1/imports?${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: csv });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('CSV import of candidates and enterprises', () => {
  let stack: TestStack;
  let staff: { token: string };
  const org = {} as Record<'upper' | 'cell' | 'gc' | 'otherCell', string>;

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    org.upper = await addOrganization(pool, { name: 'Đảng ủy Nhập Liệu', kind: 'upper-committee', symbol: 'ĐUNL', place: 'Hải Phòng' });
    org.gc = await addOrganization(pool, { name: 'Đảng bộ Nhập Liệu', kind: 'grassroots-committee', parentId: org.upper });
    org.cell = await addOrganization(pool, { name: 'Chi bộ Công ty Nhập Liệu', kind: 'grassroots-cell', parentId: org.upper });
    const other = await addOrganization(pool, { name: 'Đảng ủy Khác', kind: 'upper-committee' });
    org.otherCell = await addOrganization(pool, { name: 'Chi bộ Ngoài Phạm Vi', kind: 'grassroots-cell', parentId: other });
    staff = await createUser(pool, 'import-organizer', [organizer(org.upper)]);
  });
  afterAll(() => stack?.stop());

  // Line numbers are the file's (header = line 1).
  const CSV = [
    'Họ và tên,Ngày sinh,Chi bộ',
    'Nguyễn Văn An,1996-05-20,Chi bộ Công ty Nhập Liệu', // 2 good (by name)
    `Trần Thị Bình,03/07/1998,${'CELL'}`, // 3 good (dd/mm/yyyy, by id)
    ',1990-01-01,Chi bộ Công ty Nhập Liệu', // 4 no name
    'Lê Văn Cường,1990-02-30,Chi bộ Công ty Nhập Liệu', // 5 no such date
    'Phạm Thị Dung,2999-01-01,Chi bộ Công ty Nhập Liệu', // 6 in the future
    'Hoàng Văn Em,1991-01-01,Chi bộ Không Có', // 7 unknown organization
    'Vũ Thị Giang,1992-01-01,Chi bộ Ngoài Phạm Vi', // 8 outside the organizer's scope
    'Đỗ Văn Hùng,1993-01-01,Đảng bộ Nhập Liệu', // 9 not a cell
    'nguyen van an,20/05/1996,Chi bộ Công ty Nhập Liệu', // 10 the same person as line 2
    'Bùi Thị Khánh,1994-04-04,Chi bộ Công ty Nhập Liệu', // 11 good
  ];
  const csv = () => CSV.join('\n').replace('CELL', org.cell);

  it('checks every row and names the field and the rule (dry run, nothing written)', async () => {
    const res = await upload(stack, staff.token, 'kind=candidates', csv());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const r = res.body;
    expect(r).toMatchObject({ kind: 'candidates', rows: 10, toImport: 3, existing: [] });
    expect(r.problems.map((p: { line: number; field: string; rule: string }) => `${p.line} ${p.field} ${p.rule}`)).toEqual([
      '4 fullName min',
      '5 dateOfBirth date',
      '6 dateOfBirth max',
      '7 organization exists',
      '8 organization exists',
      '9 organization cell',
    ]);
    expect(r.duplicates).toEqual([{ line: 10, sameAs: 2 }]);
    const { rows } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM cases WHERE organization_id = $1`, [org.cell]);
    expect(rows[0].n).toBe(0);
  });

  it('imports the valid rows as a job, and a second import of the same file creates nothing', async () => {
    const started = await upload(stack, staff.token, 'kind=candidates&dryRun=false', csv());
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ status: 'running', total: 3 });
    let job = started.body;
    for (let i = 0; i < 100 && job.status === 'running'; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      job = (await (await fetch(`${stack.baseUrl}/api/v1/imports/${job.id}`, { headers: { authorization: `Bearer ${staff.token}` } })).json()) as typeof job;
    }
    expect(job).toMatchObject({ status: 'done', done: 3, result: { created: 3, existing: 0, failed: [] } });
    const names = async () =>
      (await stack.db.pool.query<{ name: string }>(`SELECT p.full_name AS name FROM cases c JOIN people p ON p.id = c.person_id WHERE c.organization_id = $1 ORDER BY 1`, [org.cell])).rows.map((r) => r.name);
    expect(await names()).toEqual(['Bùi Thị Khánh', 'Nguyễn Văn An', 'Trần Thị Bình']);

    const again = await upload(stack, staff.token, 'kind=candidates', csv());
    expect(again.body.toImport).toBe(0);
    expect(again.body.existing.map((e: { line: number }) => e.line)).toEqual([2, 3, 11]);
    const second = await upload(stack, staff.token, 'kind=candidates&dryRun=false', csv());
    expect(second.body.total).toBe(0);
    expect(await names()).toEqual(['Bùi Thị Khánh', 'Nguyễn Văn An', 'Trần Thị Bình']);
    // Another user cannot read the job.
    const stranger = await createUser(stack.db.pool, 'import-stranger', [organizer(org.otherCell)]);
    const hidden = await fetch(`${stack.baseUrl}/api/v1/imports/${job.id}`, { headers: { authorization: `Bearer ${stranger.token}` } });
    expect(hidden.status).toBe(404);
  });

  it('records enterprises once (by tax code, else name) and opens a survey where the committee is given', async () => {
    const file = [
      'name,taxCode,zone,workforce,organization',
      `Công ty TNHH Điện tử Đông Á,0201234567,KCN Nomura,1200,${org.upper}`,
      'Công ty CP Cơ khí Hải Phòng,0309876543,KCN Đình Vũ,300,',
      'Công ty TNHH Sai Mã,12345,KCN Đình Vũ,abc,', // bad tax code, bad workforce
      `Cong ty TNHH Dien tu Dong A (bản sao),0201234567,,,${org.upper}`, // same tax code as line 2
    ].join('\n');
    const dry = await upload(stack, staff.token, 'kind=enterprises', file);
    expect(dry.body.problems.map((p: { line: number; field: string }) => `${p.line} ${p.field}`)).toEqual(['4 taxCode', '4 workforce']);
    expect(dry.body.duplicates).toEqual([{ line: 5, sameAs: 2 }]);
    expect(dry.body.toImport).toBe(2);
    const run = await upload(stack, staff.token, 'kind=enterprises&dryRun=false', file);
    let job = run.body;
    for (let i = 0; i < 100 && job.status === 'running'; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      job = (await (await fetch(`${stack.baseUrl}/api/v1/imports/${job.id}`, { headers: { authorization: `Bearer ${staff.token}` } })).json()) as typeof job;
    }
    expect(job.result).toMatchObject({ created: 2, failed: [] });
    const { rows } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM cases WHERE type = 'cell-establishment' AND organization_id = $1`, [org.upper]);
    expect(rows[0].n).toBe(1);
    const again = await upload(stack, staff.token, 'kind=enterprises', file);
    expect(again.body).toMatchObject({ toImport: 0 });
    expect(again.body.existing).toHaveLength(2);
    const second = await upload(stack, staff.token, 'kind=enterprises&dryRun=false', file);
    expect(second.body.total).toBe(0);
    const { rows: taxed } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM enterprises WHERE tax_code = '0309876543'`);
    expect(taxed[0].n).toBe(1);
    // Recording enterprises is for organizers and admins.
    const reader = await createUser(stack.db.pool, 'import-viewer', [{ role: 'viewer', organizationId: org.upper, body: null }]);
    expect((await upload(stack, reader.token, 'kind=enterprises', file)).status).toBe(403);
  });

  it('imports from the command line with the same checks, once', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'import-')), 'candidates.csv');
    writeFileSync(file, ['fullName,dateOfBirth,organization', 'Ngô Thị Lan,1997-07-07,Chi bộ Công ty Nhập Liệu', 'Ngô Văn Lâm,1997-13-01,Chi bộ Công ty Nhập Liệu'].join('\n'));
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/import.ts', '--file', file, '--user', 'import-organizer', ...args], {
        env: { ...process.env, DATABASE_URL: stack.db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: stack.taskQueue },
      });
    const dry = await run('--dry-run');
    expect(dry.stdout).toContain('2 row(s): 1 to import, 0 imported before, 0 duplicate(s) in the file, 1 problem(s)');
    expect(dry.stdout).toContain('line 3: dateOfBirth is not a real calendar date [date]');
    const first = await run();
    expect(first.stdout).toContain('imported 1 row(s)');
    const second = await run();
    expect(second.stdout).toContain('1 imported before');
    expect(second.stdout).toContain('imported 0 row(s)');
  });

  it('refuses what is not a CSV import, naming the field', async () => {
    const wrongKind = await upload(stack, staff.token, 'kind=members', 'a,b\n1,2');
    expect(wrongKind.body.error.fields[0]).toMatchObject({ field: 'kind' });
    const empty = await upload(stack, staff.token, 'kind=candidates', '');
    expect(empty.status).toBe(400);
    const columns = await upload(stack, staff.token, 'kind=candidates', 'fullName,dateOfBirth,organization,shoeSize\nA B,1990-01-01,x,42');
    expect(columns.body.problems[0]).toMatchObject({ line: 2, field: 'shoeSize', rule: 'unknown_column' });
    const broken = await upload(stack, staff.token, 'kind=candidates', 'fullName,dateOfBirth,organization\n"unclosed,1990-01-01,x');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_csv');
  });
});
