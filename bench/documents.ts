/**
 * `npm run bench:documents`
 * - rendering: documents/s through the engine the issue activity uses (cached templates, helpers, partials)
 *   beside raw compiled Handlebars on the same data and template text (goal ≥ 0.5×);
 * - PDF: pages/s through the warm renderer beside a bare warm `page.pdf()` on the same HTML (goal ≥ 0.9×).
 * Interleaved rounds in one process; medians.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { chromium } from 'playwright-core';
import { createDocumentEngine, TEMPLATES_DIR } from '../activities/documents.js';
import { chromiumPath, createPdfRenderer } from '../activities/pdf.js';
import { loadConfig } from '../infra/config.js';
import { DOCUMENT_SAMPLE } from '../scripts/document-samples.js';

const FORM = '9-KNĐ';
const RENDERS = 2_000;
const PDFS = 15;
const ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (fn: () => unknown) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};

// Raw Handlebars: the same template text and partials, helpers registered the same way, compiled once.
const engine = createDocumentEngine();
engine.render(FORM, DOCUMENT_SAMPLE);
const raw = Handlebars.create();
for (const f of readdirSync(path.join(TEMPLATES_DIR, 'partials'))) raw.registerPartial(f.slice(0, -4), readFileSync(path.join(TEMPLATES_DIR, 'partials', f), 'utf8'));
for (const name of ['vnDate', 'vnDateShort', 'percent', 'upper']) raw.registerHelper(name, (v: unknown) => String(v ?? ''));
const rawTemplate = raw.compile(readFileSync(path.join(TEMPLATES_DIR, `${FORM}.hbs`), 'utf8'));

const engineRuns: number[] = [];
const rawRuns: number[] = [];
for (let r = 0; r < ROUNDS; r += 1) {
  engineRuns.push(RENDERS / (await time(() => { for (let i = 0; i < RENDERS; i += 1) engine.render(FORM, DOCUMENT_SAMPLE); })));
  rawRuns.push(RENDERS / (await time(() => { for (let i = 0; i < RENDERS; i += 1) rawTemplate(DOCUMENT_SAMPLE); })));
}
console.log(`render ${FORM}: engine ${median(engineRuns).toFixed(0)} docs/s, raw Handlebars ${median(rawRuns).toFixed(0)} docs/s, ratio ${(median(engineRuns) / median(rawRuns)).toFixed(2)} (goal ≥ 0.5)`);

const html = engine.render(FORM, DOCUMENT_SAMPLE);
const config = loadConfig();
const renderer = createPdfRenderer(config.chromiumPath);
const browser = await chromium.launch({ executablePath: chromiumPath(config.chromiumPath), args: ['--headless', '--no-sandbox', '--disable-gpu'] });
await renderer.toPdf(html); // warm up both
const ours: number[] = [];
const bare: number[] = [];
for (let r = 0; r < ROUNDS; r += 1) {
  ours.push(PDFS / (await time(async () => { for (let i = 0; i < PDFS; i += 1) await renderer.toPdf(html); })));
  bare.push(
    PDFS /
      (await time(async () => {
        for (let i = 0; i < PDFS; i += 1) {
          const page = await browser.newPage();
          await page.setContent(html);
          await page.pdf({ format: 'A4' });
          await page.close();
        }
      })),
  );
}
console.log(`PDF ${FORM} (1 page): renderer ${median(ours).toFixed(1)} pages/s, bare page.pdf() ${median(bare).toFixed(1)} pages/s, ratio ${(median(ours) / median(bare)).toFixed(2)} (goal ≥ 0.9)`);
await renderer.close();
await browser.close();
