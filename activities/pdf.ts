/**
 * HTML → PDF through headless Chromium (playwright-core driving the system's `chromium`; no browser
 * download). One warm browser per process, a fresh page per document.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { findOnPath } from '../infra/tools.js';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function chromiumPath(configured?: string): string {
  const found = configured ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : (findOnPath('chromium') ?? findOnPath('chromium-browser')));
  if (!found) {
    throw new Error('Chromium is needed for PDFs: install it (Debian/Ubuntu: apt-get install chromium fonts-dejavu-core) or set CHROMIUM_PATH.');
  }
  return found;
}

export interface PdfRenderer {
  toPdf(html: string): Promise<Buffer>;
  close(): Promise<void>;
}

export function createPdfRenderer(executablePath?: string): PdfRenderer {
  let browser: Promise<Browser> | undefined;
  const warm = () => (browser ??= chromium.launch({ executablePath: chromiumPath(executablePath), args: CHROMIUM_FLAGS }));
  return {
    async toPdf(html) {
      const page = await (await warm()).newPage();
      try {
        await page.setContent(html, { waitUntil: 'load' });
        return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
      } finally {
        await page.close();
      }
    },
    async close() {
      if (browser) await (await browser).close();
      browser = undefined;
    },
  };
}
