import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOrganization } from '../helpers/db.js';
import { CaseWriter } from '../helpers/read-model.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

describe('case search: accent-insensitive names, filters, keyset pages', () => {
  let stack: TestStack;
  let as: ReturnType<typeof caller>;
  const org = {} as Record<'upper' | 'gc' | 'cell' | 'gcell', string>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const { pool } = stack.db;
    as = caller(stack.baseUrl, stack.admin.token);
    org.upper = await addOrganization(pool, { name: 'Đảng ủy Tìm Kiếm', kind: 'upper-committee' });
    org.gc = await addOrganization(pool, { name: 'Đảng bộ Tìm Kiếm', kind: 'grassroots-committee', parentId: org.upper });
    org.cell = await addOrganization(pool, { name: 'Chi bộ Tìm Kiếm', kind: 'cell', parentId: org.gc });
    org.gcell = await addOrganization(pool, { name: 'Chi bộ cơ sở Tìm Kiếm', kind: 'grassroots-cell', parentId: org.upper });
    for (const [name, o, at] of [
      ['Nguyễn Văn An', org.cell, undefined],
      ['NGUYỄN VĂN ANH', org.gcell, undefined],
      ['Trần Thị Bình', org.cell, '2023-06-01T02:00:00Z'],
      ['Đặng Đức Độ', org.gcell, undefined],
      ['Lê 100% Thật', org.gcell, undefined],
    ] as const) {
      await CaseWriter.open(pool, { organizationId: o, personName: name, ...(at ? { at } : {}) });
    }
    const { rows } = await pool.query<{ id: string }>(`INSERT INTO enterprises (name) VALUES ('Công ty TNHH Điện tử Đông Á') RETURNING id`);
    await CaseWriter.open(pool, { type: 'cell-establishment', organizationId: org.upper, enterpriseId: rows[0]!.id });
  });
  afterAll(() => stack?.stop());

  const names = async (query: string) => {
    const res = await as('GET', `/api/v1/cases?organizationId=${org.upper}&${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items.map((c: { personName: string | null; type: string }) => c.personName ?? c.type).sort();
  };

  it('finds names without their accents, in any case', async () => {
    expect(await names('q=Nguyen%20Van%20An')).toEqual(['NGUYỄN VĂN ANH', 'Nguyễn Văn An']);
    expect(await names('q=nguyễn văn anh')).toEqual(['NGUYỄN VĂN ANH']);
    expect(await names('q=binh')).toEqual(['Trần Thị Bình']);
    expect(await names('q=dang%20duc%20do')).toEqual(['Đặng Đức Độ']); // đ folds to d
    expect(await names('q=dien%20tu%20dong%20a')).toEqual(['cell-establishment']); // the enterprise's name
  });

  it('takes % and _ in the text literally', async () => {
    expect(await names('q=100%25')).toEqual(['Lê 100% Thật']);
    expect(await names('q=%25%25')).toEqual([]);
    expect(await names('q=_n')).toEqual([]);
  });

  it('filters by organization subtree, year, type and step', async () => {
    const sub = await as('GET', `/api/v1/cases?organizationId=${org.gc}`);
    expect(sub.body.items.map((c: { personName: string }) => c.personName).sort()).toEqual(['Nguyễn Văn An', 'Trần Thị Bình']);
    expect(await names('year=2023')).toEqual(['Trần Thị Bình']);
    expect(await names('type=cell-establishment')).toEqual(['cell-establishment']);
    expect(await names('step=survey')).toEqual(['cell-establishment']);
    const bad = await as('GET', `/api/v1/cases?q=a&sort=name&year=1999`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string; rule: string }) => `${f.field}:${f.rule}`).sort()).toEqual(['q:min', 'sort:invalid_value', 'year:min']);
  });

  for (const sort of ['-openedAt', 'dueOn', '-updatedAt'] as const) {
    it(`pages with a cursor (${sort}): no duplicates and no gaps while cases are being added`, async () => {
      const { pool } = stack.db;
      const home = await addOrganization(pool, { name: `Chi bộ Trang ${sort} ${randomUUID().slice(0, 4)}`, kind: 'grassroots-cell', parentId: org.upper });
      const due = (i: number) => `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}`;
      const before: string[] = [];
      for (let i = 0; i < 23; i += 1) {
        const w = await CaseWriter.open(pool, { organizationId: home, personName: `Người Trang ${i}` });
        if (i % 4 !== 0) await w.enter('application', due(i)); // some without a due date (they sort last)
        before.push(w.caseId);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      let added = 0;
      do {
        const res = await as('GET', `/api/v1/cases?organizationId=${home}&limit=5&sort=${sort}${cursor ? `&after=${cursor}` : ''}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        seen.push(...res.body.items.map((c: { id: string }) => c.id));
        cursor = res.body.nextCursor;
        pages += 1;
        // Between pages, two more cases arrive (some sort before the cursor, some after).
        for (let k = 0; k < 2; k += 1) {
          const w = await CaseWriter.open(pool, { organizationId: home, personName: `Người Mới ${added}` });
          if (added % 3 !== 0) await w.enter('application', due(added * 5 + 1));
          added += 1;
        }
      } while (cursor && pages < 40);
      expect(new Set(seen).size).toBe(seen.length);
      expect(before.filter((id) => !seen.includes(id))).toEqual([]);
      expect(pages).toBeGreaterThan(4);
    });
  }

  it('refuses a cursor of another order or a forged one, naming the field', async () => {
    const first = await as('GET', `/api/v1/cases?organizationId=${org.upper}&limit=1&sort=dueOn`);
    const other = await as('GET', `/api/v1/cases?organizationId=${org.upper}&limit=1&sort=-openedAt&after=${first.body.nextCursor}`);
    expect(other.status).toBe(400);
    expect(other.body.error.fields[0]).toMatchObject({ field: 'after', rule: 'cursor_sort' });
    const offset = Buffer.from(JSON.stringify(['-openedAt', '2026-01-01 10:00:00+16', randomUUID()])).toString('base64url');
    expect((await as('GET', `/api/v1/cases?after=${offset}`)).status).toBe(400);
    const forged = Buffer.from(JSON.stringify(['dueOn', "2026-01-01'; DROP TABLE cases; --", randomUUID()])).toString('base64url');
    const res = await as('GET', `/api/v1/cases?sort=dueOn&after=${forged}`);
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0]).toMatchObject({ field: 'after', rule: 'cursor' });
  });
});
