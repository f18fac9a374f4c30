import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentEngine, documentActivities, type IssueRequest } from '../../activities/documents.js';
import { createPdfRenderer } from '../../activities/pdf.js';
import { addOrganization, createTestDatabase, type TestDatabase } from '../helpers/db.js';

describe('documents: templates, numbering, storage', () => {
  let db: TestDatabase;
  let upper: string;
  let cell: string;
  let issue: ReturnType<typeof documentActivities>['issueDocument'];
  let renderPdf: ReturnType<typeof documentActivities>['renderDocumentPdf'];
  const pdf = createPdfRenderer();
  const env = new MockActivityEnvironment();

  beforeAll(async () => {
    db = await createTestDatabase();
    upper = await addOrganization(db.pool, { name: 'Đảng ủy Khu kinh tế', kind: 'upper-committee', symbol: 'ĐUKKT' });
    cell = await addOrganization(db.pool, { name: 'Chi bộ Công ty Hải Âu', kind: 'grassroots-cell', parentId: upper });
    const acts = documentActivities({ pool: db.pool, pdf });
    issue = (r) => env.run(acts.issueDocument, r);
    renderPdf = (id) => env.run(acts.renderDocumentPdf, id);
  });
  afterAll(async () => {
    await pdf.close();
    await db?.drop();
  });

  const newCase = async () => {
    const id = randomUUID();
    await db.pool.query(
      `INSERT INTO cases (id, type, workflow_id, organization_id, status, rule_set, opened_at, updated_at, last_seq)
       VALUES ($1, 'admission', $2, $3, 'open', 'QD294-HD06-2025', now(), now(), 0)`,
      [id, `admission:${id}`, cell],
    );
    return id;
  };
  const decision = (caseId: string, fullName = 'Nguyễn Thị Ánh Hồng'): IssueRequest => ({
    caseId,
    step: 'decision',
    form: '9-KNĐ',
    numbering: { organizationId: upper, series: 'QĐ', symbol: 'ĐUKKT', year: 2024 },
    data: {
      issuer: { superior: 'ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG', name: 'ĐẢNG ỦY KHU KINH TẾ', deciding: 'Ban Thường vụ Đảng ủy Khu kinh tế' },
      place: 'Hải Phòng',
      date: '2024-03-29',
      candidate: { fullName, dateOfBirth: '1998-07-05', hometown: 'Thủy Nguyên, Hải Phòng' },
      cell: { name: 'Chi bộ Công ty Hải Âu' },
      cellResolution: { date: '2024-02-20' },
      recipients: ['Chi bộ Công ty Hải Âu', 'Ban Tổ chức'],
      signer: { onBehalf: 'T/M BAN THƯỜNG VỤ', title: 'PHÓ BÍ THƯ', name: 'Trần Văn Quý' },
    },
  });

  it('renders 9-KNĐ with the party layout, the number line and dates in words', async () => {
    const d = await issue(decision(await newCase()));
    const { rows } = await db.pool.query('SELECT html, number_text FROM documents WHERE id = $1', [d.id]);
    const html: string = rows[0].html;
    expect(d.numberText).toMatch(/^\d+-QĐ\/ĐUKKT$/);
    expect(html).toContain(`Số ${d.numberText}`);
    expect(html).toContain('ĐẢNG CỘNG SẢN VIỆT NAM');
    expect(html).toContain('Hải Phòng, ngày 29 tháng 3 năm 2024');
    expect(html).toContain('Nguyễn Thị Ánh Hồng');
    expect(html).toContain('BAN THƯỜNG VỤ ĐẢNG ỦY KHU KINH TẾ');
    expect(html).toContain('T/M BAN THƯỜNG VỤ');
  });

  it('a retry of the same issue returns the stored paper; the same step re-sent with other data makes a new version, same number', async () => {
    const caseId = await newCase();
    const first = await issue({ ...decision(caseId), issueKey: '9', source: { number: 'a', heldOn: '2024-03-29' } });
    const retry = await issue({ ...decision(caseId), issueKey: '9', source: { heldOn: '2024-03-29', number: 'a' } });
    expect(retry).toEqual(first);
    const corrected = await issue({ ...decision(caseId, 'Nguyễn Thị Ánh Hồng Sửa'), issueKey: '9', source: { number: 'b', heldOn: '2024-03-29' } });
    expect(corrected).toMatchObject({ version: 2, number: first.number, numberText: first.numberText });
    expect(corrected.id).not.toBe(first.id);
  });

  it('renders the PDF once, with the Vietnamese text in its text layer', async () => {
    const d = await issue(decision(await newCase(), 'Đặng Thị Ngọc Ánh'));
    const first = await renderPdf(d.id);
    expect(first.bytes).toBeGreaterThan(1000);
    expect(await renderPdf(d.id)).toEqual(first); // kept, not rendered again
    const { rows } = await db.pool.query<{ pdf: Buffer }>('SELECT pdf FROM documents WHERE id = $1', [d.id]);
    const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: rows[0]!.pdf }).toString('utf8');
    expect(text).toContain('ĐẢNG CỘNG SẢN VIỆT NAM');
    expect(text).toContain('Đặng Thị Ngọc Ánh');
    expect(text).toContain('ngày 29 tháng 3 năm 2024');
    expect(text).toContain(`Số ${d.numberText}`);
  });

  it('renders 6-KNĐ with the vote counts and the percentage of official members', () => {
    const html = createDocumentEngine().render('6-KNĐ', {
      issuer: { superior: 'ĐẢNG ỦY KHU KINH TẾ', name: 'CHI BỘ CÔNG TY HẢI ÂU' },
      place: 'Hải Phòng',
      date: '2024-02-20',
      vote: { heldOn: '2024-02-20', eligible: 9, present: 8, for: 6, against: 2 },
      candidate: { fullName: 'Lê Văn Đức', dateOfBirth: '2000-01-31' },
      cell: { name: 'Chi bộ Công ty Hải Âu' },
      signer: { onBehalf: 'T/M CHI BỘ', title: 'BÍ THƯ', name: 'Phạm Thị Hà' },
    });
    expect(html).toContain('Tán thành kết nạp:</td><td>6 đồng chí (66,7\u00a0% so với tổng số đảng viên chính thức)');
    expect(html).toContain('Có mặt:</td><td>8');
    expect(html).toContain('ngày 20 tháng 2 năm 2024');
  });

  it('renders a hostile name as text', async () => {
    const d = await issue(decision(await newCase(), '<script>alert("x")</script> Bùi'));
    const { rows } = await db.pool.query('SELECT html FROM documents WHERE id = $1', [d.id]);
    expect(rows[0].html).not.toContain('<script>alert');
    expect(rows[0].html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Bùi');
  });

  it('refuses missing data, naming the fields, and stores nothing', async () => {
    const caseId = await newCase();
    const req = decision(caseId);
    const data = { ...req.data, candidate: { fullName: ' ' }, signer: {} };
    const refused = issue({ ...req, data });
    await expect(refused).rejects.toThrow(/9-KNĐ cannot be issued without: /);
    await expect(refused).rejects.toThrow(/signer\.name.*candidate\.fullName, candidate\.dateOfBirth/);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM documents WHERE case_id = $1', [caseId]);
    expect(rows[0].n).toBe(0);
  });

  it('a retry returns the stored document with its number; a re-render is a new version with the same number', async () => {
    const caseId = await newCase();
    const first = await issue(decision(caseId));
    const retry = await issue(decision(caseId));
    expect(retry).toEqual(first);
    const again = await issue({ ...decision(caseId), newVersion: true });
    expect(again).toMatchObject({ version: 2, numberText: first.numberText });
    expect(again.id).not.toBe(first.id);
  });

  it('gives 50 parallel decisions of one body 50 consecutive numbers, with no gap after a failure', async () => {
    const year = 2031;
    const numbering = { organizationId: upper, series: 'QĐ', symbol: 'ĐUKKT', year };
    const cases = await Promise.all(Array.from({ length: 50 }, newCase));
    const issued = await Promise.all(cases.map((caseId) => issue({ ...decision(caseId), numbering })));
    const numbers = issued.map((d) => d.number!).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // A failure after the number was taken (here: an unknown template) rolls the number back with it.
    await expect(issue({ ...decision(await newCase()), form: 'no-such-form', numbering })).rejects.toThrow();
    const next = await issue({ ...decision(await newCase()), numbering });
    expect(next.number).toBe(51);
  });
});
