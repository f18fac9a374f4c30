import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createDocumentEngine, missingFields, REQUIRED_FIELDS } from '../../activities/documents.js';
import { createPdfRenderer } from '../../activities/pdf.js';
import { DOCUMENT_SAMPLE as FIXTURE } from '../../scripts/document-samples.js';

/** What each form must show of the fixture (besides its title). */
const person = ['Nguyễn Thị Ánh Hồng'];
const ESTABLISHMENT = new Set(['survey-report', 'owner-meeting-minutes', 'to-trinh', 'establishment-decision', 'appointment-decision', 'announcement-minutes']);

describe('every document template', () => {
  const engine = createDocumentEngine();
  const pdf = createPdfRenderer();
  afterAll(() => pdf.close());
  const forms = engine.forms();

  it('covers the KNĐ series and the establishment papers, each with its required fields', () => {
    for (const f of ['1-KNĐ', '2-KNĐ', '3-KNĐ', '4-KNĐ', '4A-KNĐ', '5-KNĐ', '6-KNĐ', '7-KNĐ', '8-KNĐ', '9-KNĐ', '10-KNĐ', '11-KNĐ', '12-KNĐ', '13-KNĐ', '14-KNĐ', '15-KNĐ', '16-KNĐ', ...ESTABLISHMENT]) {
      expect(forms).toContain(f);
      expect(REQUIRED_FIELDS[f], f).toBeDefined();
      expect(missingFields(f, FIXTURE), f).toEqual([]);
    }
  });

  it.each(forms)('%s renders its key fields in the HTML and in the PDF text', async (form) => {
    const html = engine.render(form, FIXTURE);
    const expected = !ESTABLISHMENT.has(form)
      ? person
      : form === 'survey-report' || form === 'owner-meeting-minutes'
        ? [FIXTURE.enterprise.name]
        : [FIXTURE.proposal.name];
    for (const t of expected) expect(html, form).toContain(t);
    expect(html).toContain(`Mẫu ${form}`);
    const raw = execFileSync('pdftotext', ['-layout', '-', '-'], { input: await pdf.toPdf(html) }).toString('utf8');
    const text = raw.replace(/\s+/g, ' ');
    for (const t of expected) expect(text, form).toContain(t);
    if (html.includes('class="letterhead"')) {
      expect(text).toContain('ĐẢNG CỘNG SẢN VIỆT NAM');
      expect(text).toContain('ngày 29 tháng 3 năm 2024');
      expect(text).toContain('Số 12-QĐ/ĐUKKT');
    }
    if (html.includes('Tán thành:')) expect(text).toMatch(/66,7\s%/);
  });
});
