/**
 * A real browser for the UI tests: Debian's Chromium driven by playwright-core. Every request the pages make
 * is checked: one that leaves localhost is aborted and recorded, and the test fails on it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS, chromiumPath } from '../../activities/pdf.js';

export const SCREENSHOT_DIR = path.resolve('.data', 'screenshots');
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface TestBrowser {
  readonly browser: Browser;
  /** Requests to anything but 127.0.0.1/localhost, which were refused. */
  readonly external: string[];
  /** A fresh context (its own cookies) at the given size. */
  context(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(process.env.CHROMIUM_PATH), args: CHROMIUM_FLAGS });
  const external: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    browser,
    external,
    async context(viewport = DESKTOP) {
      const ctx = await browser.newContext({ viewport, acceptDownloads: true, locale: 'vi-VN' });
      await ctx.route('**/*', (route) => {
        const url = new URL(route.request().url());
        const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'blob:';
        if (local) return route.continue();
        external.push(route.request().url());
        return route.abort();
      });
      contexts.push(ctx);
      return ctx;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** Full-page screenshot into the git-ignored folder, for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function logIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: 'Đăng nhập' }).click()]);
}
