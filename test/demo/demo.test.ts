import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, httpApi, loadDemo, type DemoResult } from '../../scripts/demo-data.js';
import { TEST_PASSWORD } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';
import { launchBrowser, logIn, screenshot, type TestBrowser } from '../ui/browser.js';

/**
 * The demo (npm run demo) loads through the API's in-flight import; as of 31/03/2024 the reference
 * committee's dashboard reads 96/190 (50,5 %) and 2/11 (18,2 %) — in the report and in the browser — and a
 * second load adds nothing.
 */
describe('the reference committee demo', () => {
  let stack: TestStack;
  let first: DemoResult;
  let browser: TestBrowser;

  beforeAll(async () => {
    stack = await startTestStack();
    first = await loadDemo(httpApi(stack.baseUrl, { token: stack.admin.token }), { baseUrl: stack.baseUrl });
    browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('reports 96/190 admissions and 2/11 new organizations for Q1 2024, counted on their real dates', async () => {
    const api = caller(stack.baseUrl, stack.admin.token);
    const res = await api('GET', `/api/v1/reports/progress?organizationId=${first.upperId}&from=2024-01-01&to=2024-03-31&asOf=${DEMO.asOf}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.admissions).toMatchObject({ counted: 96, target: 190, percent: 50.5 });
    expect(res.body.organizations).toMatchObject({ counted: 2, target: 11, percent: 18.2 });
    // Cases in every step of the pipeline on that day, some of them late.
    const steps = Object.keys(res.body.pipeline.admission ?? {});
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(res.body.overdue.admission).toBeGreaterThan(0);
  });

  it('shows the same dashboard in the browser as of 31/03/2024', async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    const admin = (await stack.db.pool.query<{ username: string }>(`SELECT username FROM users WHERE username LIKE 'admin-%'`)).rows[0]!.username;
    await logIn(page, stack.baseUrl, admin, TEST_PASSWORD);
    await page.goto(`${stack.baseUrl}/dashboard?organizationId=${first.upperId}&year=2024&asOf=2024-03-31`);
    expect(`${await page.getByTestId('admissions-counted').textContent()}/${await page.getByTestId('admissions-target').textContent()}`).toBe('96/190');
    expect(await page.getByTestId('admissions-percent').textContent()).toBe('đạt 50,5 % chỉ tiêu');
    expect(`${await page.getByTestId('organizations-counted').textContent()}/${await page.getByTestId('organizations-target').textContent()}`).toBe('2/11');
    expect(await page.getByTestId('organizations-percent').textContent()).toBe('đạt 18,2 % chỉ tiêu');
    await screenshot(page, 'demo-dashboard-2024-03-31');
    expect(browser.external).toEqual([]);
  });

  it('a second load adds nothing', async () => {
    const again = await loadDemo(httpApi(stack.baseUrl, { token: stack.admin.token }), { baseUrl: stack.baseUrl });
    expect(again.casesCreated).toBe(0);
    expect(again.casesFound).toBe(first.casesCreated);
  }, 300_000);
});
