/**
 * `node --import tsx scripts/docs-screenshots.ts`: copies the screenshots the user guide
 * (`docs/huong-dan-su-dung.md`) shows from `.data/screenshots/`, where the browser tests write them, into
 * `docs/images/`. Run the browser tests first:
 *
 *   DATABASE_URL=postgres://… npx vitest run test/ui/staff-ui.test.ts test/demo/demo.test.ts
 *
 * Nothing is copied unless every listed screenshot is there: a missing one is named with the test that
 * writes it, and the exit code is 1. A screenshot over MAX_IMAGE_BYTES is scaled down (Chromium draws it at
 * a smaller width; no image library needed) so the repository stays small.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE_DIR = path.join(PROJECT_ROOT, '.data', 'screenshots');
export const TARGET_DIR = path.join(PROJECT_ROOT, 'docs', 'images');
/** Images in the docs stay below this size (the docs test checks it). */
export const MAX_IMAGE_BYTES = 400 * 1024;
const MIN_WIDTH = 600;

/** The screenshots the user guide embeds, and the test that writes each (`screenshot()` in test/ui/browser.ts). */
export const DOC_SCREENSHOTS: ReadonlyArray<{ readonly name: string; readonly writtenBy: string }> = [
  { name: 'demo-dashboard-2024-03-31', writtenBy: 'test/demo/demo.test.ts' },
  { name: 'case-page-desktop', writtenBy: 'test/ui/staff-ui.test.ts' },
  { name: 'sign-off-form-desktop', writtenBy: 'test/ui/staff-ui.test.ts' },
  { name: 'sign-off-form-phone', writtenBy: 'test/ui/staff-ui.test.ts' },
];

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The listed screenshots that are not in `dir`, each with the test that writes it. */
export function missingScreenshots(dir: string): string[] {
  return DOC_SCREENSHOTS.filter((s) => !existsSync(path.join(dir, `${s.name}.png`))).map(
    (s) => `${path.relative(PROJECT_ROOT, path.join(dir, `${s.name}.png`))} (written by ${s.writtenBy})`,
  );
}

/** The PNG drawn by Chromium at a smaller width, smaller each try until it fits MAX_IMAGE_BYTES. */
async function scaleDown(png: Buffer): Promise<Buffer> {
  const { chromium } = await import('playwright-core');
  const { CHROMIUM_FLAGS, chromiumPath } = await import('../activities/pdf.js');
  const { loadConfig } = await import('../infra/config.js');
  const browser = await chromium.launch({ executablePath: chromiumPath(loadConfig().chromiumPath), args: CHROMIUM_FLAGS });
  try {
    const { width } = pngSize(png);
    let target = width;
    let out = png;
    while (out.length > MAX_IMAGE_BYTES && target > MIN_WIDTH) {
      target = Math.max(MIN_WIDTH, Math.round(target * 0.8));
      const page = await browser.newPage({ viewport: { width: target, height: 100 }, deviceScaleFactor: 1 });
      // setContent waits for the load event: the image is decoded before the screenshot.
      await page.setContent(`<!doctype html><body style="margin:0"><img style="display:block;width:100%" src="data:image/png;base64,${png.toString('base64')}"></body>`);
      out = await page.locator('img').screenshot({ type: 'png' });
      await page.close();
    }
    return out;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const missing = missingScreenshots(SOURCE_DIR);
  if (missing.length > 0) {
    console.error(
      `Missing screenshot(s):\n${missing.map((m) => `  - ${m}`).join('\n')}\n` +
        'Run the browser tests first: DATABASE_URL=postgres://… npx vitest run test/ui/staff-ui.test.ts test/demo/demo.test.ts',
    );
    process.exit(1);
  }
  mkdirSync(TARGET_DIR, { recursive: true });
  for (const { name } of DOC_SCREENSHOTS) {
    const from = path.join(SOURCE_DIR, `${name}.png`);
    const to = path.join(TARGET_DIR, `${name}.png`);
    if (statSync(from).size <= MAX_IMAGE_BYTES) {
      copyFileSync(from, to);
    } else {
      const scaled = await scaleDown(readFileSync(from));
      writeFileSync(to, scaled);
    }
    const out = readFileSync(to);
    const { width, height } = pngSize(out);
    console.log(`${path.relative(PROJECT_ROOT, to)}: ${width}×${height}, ${(out.length / 1024).toFixed(0)} KiB`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
