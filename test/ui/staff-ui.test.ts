import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vietnamDate } from '../../workflows/calendar/work-calendar.js';
import { addOrganization, approver, createUser, organizer, TEST_PASSWORD } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';
import { DESKTOP, launchBrowser, logIn, PHONE, screenshot, type TestBrowser } from './browser.js';

/**
 * The staff UI in a real browser (Debian's Chromium) against the real stack: an organizer opens a
 * candidate's case and drives it to the cell vote; the cell's approver records a vote that fails the 2/3
 * rule (and sees why), then one that passes; the standing committee decides; the papers download as PDFs
 * and the dashboard counts the admission. An approver of another cell cannot see the case. No request from
 * the pages leaves localhost.
 */
describe('staff UI in a browser', () => {
  let stack: TestStack;
  let browser: TestBrowser;
  let caseUrl = '';
  const today = vietnamDate(Date.now());
  const year = today.slice(0, 4);
  const names = { staff: 'ui-staff', cell: 'ui-cell', standing: 'ui-standing', other: 'ui-other' };

  beforeAll(async () => {
    stack = await startTestStack();
    const { pool } = stack.db;
    const upper = await addOrganization(pool, { name: 'Đảng ủy Khu kinh tế Thử', kind: 'upper-committee', symbol: 'ĐUKKT', place: 'Hải Phòng' });
    const cell = await addOrganization(pool, { name: 'Chi bộ Công ty Hải Âu', kind: 'grassroots-cell', parentId: upper, officialMembers: 9 });
    const otherCell = await addOrganization(pool, { name: 'Chi bộ Công ty Sao Biển', kind: 'grassroots-cell', parentId: upper, officialMembers: 5 });
    await createUser(pool, names.staff, [organizer(upper)]);
    await createUser(pool, names.cell, [approver(cell, 'cell')]);
    await createUser(pool, names.standing, [approver(upper, 'standing-committee')]);
    await createUser(pool, names.other, [approver(otherCell, 'cell')]);
    const api = caller(stack.baseUrl, stack.admin.token);
    for (const fullName of ['Đảng viên Giới Thiệu Một', 'Đảng viên Giới Thiệu Hai', 'Đảng viên Giúp Đỡ']) {
      const res = await api('POST', '/api/v1/people', { fullName, dateOfBirth: '1980-03-03', organizationId: cell, memberStatus: 'full', admittedOn: '2010-05-19' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const target = await api('PUT', '/api/v1/targets', { organizationId: upper, year: Number(year), kind: 'admissions', mode: 'absolute', value: 10 });
    expect(target.status, JSON.stringify(target.body)).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function asUser(username: string, viewport = DESKTOP): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.context(viewport);
    const page = await ctx.newPage();
    await logIn(page, stack.baseUrl, username, TEST_PASSWORD);
    return { ctx, page };
  }

  /** The input labelled exactly so (a section titled after a step would also match a partial label). */
  const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
  const currentStep = (page: Page) => page.getByTestId('current-step').textContent();
  async function record(page: Page) {
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Ghi nhận' }).click()]);
    const flash = await page.locator('.flash').first().textContent({ timeout: 5000 }).catch(() => null);
    expect(flash, (await page.textContent('main')) ?? '').toContain('Đã ghi nhận');
  }

  async function dashboardCount(page: Page): Promise<string> {
    await page.goto(`${stack.baseUrl}/dashboard?year=${year}`);
    const counted = await page.getByTestId('admissions-counted').textContent();
    const target = await page.getByTestId('admissions-target').textContent();
    return `${counted}/${target}`;
  }

  it('an organizer opens a candidate and drives the case to the cell vote', async () => {
    const { page } = await asUser(names.staff);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Việc của tôi');
    expect(await dashboardCount(page)).toBe('0/10');

    await page.goto(`${stack.baseUrl}/cases/new`);
    // Bad input first: the error appears next to the field, in Vietnamese, and nothing is created.
    await field(page, 'Họ và tên').fill('Nguyễn Thị Giao Diện');
    await field(page, 'Ngày sinh').fill('2099-01-01');
    await field(page, 'Chi bộ').selectOption({ label: 'Chi bộ Công ty Hải Âu' });
    await page.getByRole('button', { name: 'Tạo hồ sơ' }).click();
    expect(await page.locator('[data-field="person.dateOfBirth"]').textContent()).toBe('Không được sau ngày hôm nay.');
    expect((await caller(stack.baseUrl, stack.admin.token)('GET', '/api/v1/cases')).body.items).toHaveLength(0);

    await field(page, 'Ngày sinh').fill('1998-04-04');
    await Promise.all([page.waitForURL(/\/cases\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Tạo hồ sơ' }).click()]);
    caseUrl = page.url();
    expect(await currentStep(page)).toBe('Tạo nguồn, phân công đảng viên giúp đỡ');

    await field(page, 'Đảng viên giúp đỡ').selectOption({ label: 'Đảng viên Giúp Đỡ' });
    await record(page);
    expect(await currentStep(page)).toBe('Lớp bồi dưỡng nhận thức về Đảng');
    await record(page); // the certificate date defaults to today
    await record(page); // application: received and sealed today
    await record(page); // verification: clear
    expect(await currentStep(page)).toBe('Giới thiệu người vào Đảng');
    await field(page, 'Người giới thiệu thứ nhất').selectOption({ label: 'Đảng viên Giới Thiệu Một' });
    await field(page, 'Số tháng cùng công tác (người thứ nhất)').fill('24');
    await field(page, 'Người giới thiệu thứ hai').selectOption({ label: 'Đảng viên Giới Thiệu Hai' });
    await field(page, 'Số tháng cùng công tác (người thứ hai)').fill('6');
    await page.getByRole('button', { name: 'Ghi nhận' }).click();
    // The workflow's rule (12 months working together), shown at the field in Vietnamese.
    expect(await page.locator('[data-field="introducers.1.coWorkingMonths"]').textContent()).toContain('cần ít nhất 12 tháng');
    await field(page, 'Số tháng cùng công tác (người thứ hai)').fill('18');
    await record(page);
    expect(await currentStep(page)).toBe('Ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú');

    // A double-submitted form (the same one-time id twice, at once) is carried out once.
    const form = page.locator('form.sign-off');
    const action = await form.getAttribute('action');
    const fields = Object.fromEntries(await form.locator('input[name]').evaluateAll((els) => els.map((e) => [e.getAttribute('name') ?? '', (e as unknown as { value: string }).value])));
    const post = () => page.request.post(`${stack.baseUrl}${action}`, { form: fields, maxRedirects: 0 });
    const [a, b] = await Promise.all([post(), post()]);
    expect([a.status(), b.status()]).toEqual([303, 303]);
    await page.reload();
    expect(await currentStep(page)).toBe('Chi bộ xét, đề nghị kết nạp');
    const status = (await caller(stack.baseUrl, stack.admin.token)('GET', `/api/v1/cases/${caseUrl.split('/').at(-1)}/status`)).body;
    expect(status.steps.filter((s: { step: string }) => s.step === 'opinions')).toHaveLength(1);
    // The organizer does not sign the cell's vote.
    expect(await page.getByText('Đồng chí không phải người ký bước này.').isVisible()).toBe(true);
    // A form without the CSRF token is refused.
    const forged = await page.request.post(`${stack.baseUrl}${action}`, { form: { ...fields, _csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
  });

  it('the cell approver sees the case in their work, is stopped by the 2/3 rule, then records a passing vote', async () => {
    const { page } = await asUser(names.cell);
    await expect.poll(() => page.getByRole('link', { name: 'Nguyễn Thị Giao Diện' }).count()).toBe(1);
    await page.getByRole('link', { name: 'Nguyễn Thị Giao Diện' }).click();
    await field(page, 'Tổng số đảng viên chính thức').fill('9');
    await field(page, 'Số có mặt').fill('8');
    await field(page, 'Số tán thành').fill('5');
    await field(page, 'Số không tán thành').fill('3');
    // Computed live as the counts are typed.
    expect(await page.locator('.vote-live').textContent()).toBe('Cần ít nhất 6 phiếu tán thành trên 9: 5 phiếu — chưa đạt.');
    await page.getByRole('button', { name: 'Ghi nhận' }).click();
    const error = page.locator('[data-field="vote.for"]');
    expect(await error.textContent()).toContain('chưa đạt hai phần ba (cần ít nhất 6)');
    expect(await currentStep(page)).toBe('Chi bộ xét, đề nghị kết nạp');
    await screenshot(page, 'sign-off-form-desktop');
    const phone = await browser.context(PHONE);
    const phonePage = await phone.newPage();
    await logIn(phonePage, stack.baseUrl, names.cell, TEST_PASSWORD);
    await phonePage.goto(caseUrl);
    await screenshot(phonePage, 'sign-off-form-phone');

    await field(page, 'Số tán thành').fill('7');
    await field(page, 'Số không tán thành').fill('1');
    expect(await page.locator('.vote-live').textContent()).toContain('— đạt.');
    await record(page);
    expect(await currentStep(page)).toBe('Quyết định kết nạp đảng viên');
    expect(await page.locator('.docs').textContent()).toContain('6-KNĐ');
  });

  it('an approver of another cell cannot see the case', async () => {
    const { page } = await asUser(names.other);
    const res = await page.goto(caseUrl);
    expect(res?.status()).toBe(404);
    expect(await page.textContent('main')).not.toContain('Nguyễn Thị Giao Diện');
    await page.goto(`${stack.baseUrl}/cases`);
    expect(await page.textContent('main')).not.toContain('Nguyễn Thị Giao Diện');
    await page.goto(`${stack.baseUrl}/`);
    expect(await page.textContent('main')).toContain('Không có bước nào đang chờ đồng chí.');
  });

  it('the standing committee records the decision; the papers download as PDFs; the dashboard counts it', async () => {
    const { page } = await asUser(names.standing);
    await page.goto(caseUrl);
    await field(page, 'Số quyết định (vd. 12-QĐ/ĐUKKT)').fill('5-QĐ/ĐUKKT');
    await record(page);
    expect(await currentStep(page)).toBe('Lễ kết nạp đảng viên');

    for (const form of ['6-KNĐ', '9-KNĐ']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`pdf-${form}`).click()]);
      const file = await download.path();
      expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    }
    await screenshot(page, 'case-page-desktop');
    await page.setViewportSize(PHONE);
    await page.reload();
    await screenshot(page, 'case-page-phone');
    await page.setViewportSize(DESKTOP);

    expect(await dashboardCount(page)).toBe('1/10');
    expect(await page.getByTestId('admissions-percent').textContent()).toBe('đạt 10,0 % chỉ tiêu');
    await screenshot(page, 'dashboard-desktop');
    await page.setViewportSize(PHONE);
    await page.reload();
    await screenshot(page, 'dashboard-phone');
  });

  it('switches to English and back', async () => {
    const { page } = await asUser(names.staff);
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('My work');
    await page.getByRole('link', { name: 'Tiếng Việt' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Việc của tôi');
  });

  it('made no request outside localhost', () => {
    expect(browser.external).toEqual([]);
  });
});
