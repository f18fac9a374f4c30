/**
 * `npm run documents:preview`: renders each template from sample data to HTML, PDF and PNG pages
 * (pdftoppm) under .data/previews/, so a person can check the layout.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDocumentEngine } from '../activities/documents.js';
import { createPdfRenderer } from '../activities/pdf.js';
import { loadConfig, PROJECT_ROOT } from '../infra/config.js';
import { DOCUMENT_SAMPLE } from './document-samples.js';

const OUT = path.join(PROJECT_ROOT, '.data', 'previews');
mkdirSync(OUT, { recursive: true });
const engine = createDocumentEngine();
const pdf = createPdfRenderer(loadConfig().chromiumPath);
try {
  for (const form of engine.forms()) {
    const html = engine.render(form, DOCUMENT_SAMPLE);
    const base = path.join(OUT, form);
    writeFileSync(`${base}.html`, html);
    writeFileSync(`${base}.pdf`, await pdf.toPdf(html));
    execFileSync('pdftoppm', ['-png', '-r', '60', `${base}.pdf`, base]);
    console.log(`${path.relative(PROJECT_ROOT, base)}.{html,pdf} and PNG pages`);
  }
} finally {
  await pdf.close();
}
