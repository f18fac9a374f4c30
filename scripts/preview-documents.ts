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

const OUT = path.join(PROJECT_ROOT, '.data', 'previews');
const common = {
  place: 'Hải Phòng',
  date: '2024-03-29',
  recipients: ['Chi bộ Công ty TNHH Hải Âu', 'Ban Tổ chức Đảng ủy'],
  candidate: { fullName: 'Nguyễn Thị Ánh Hồng', dateOfBirth: '1998-07-05', hometown: 'Thủy Nguyên, Hải Phòng' },
  cell: { name: 'Chi bộ Công ty TNHH Hải Âu' },
};
const SAMPLES: Record<string, Record<string, unknown>> = {
  '9-KNĐ': {
    ...common,
    number: '12-QĐ/ĐUKKT',
    issuer: { superior: 'ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG', name: 'ĐẢNG ỦY KHU KINH TẾ', deciding: 'Ban Thường vụ Đảng ủy Khu kinh tế' },
    cellResolution: { date: '2024-02-20' },
    signer: { onBehalf: 'T/M BAN THƯỜNG VỤ', title: 'PHÓ BÍ THƯ', name: 'Trần Văn Quý' },
  },
  '6-KNĐ': {
    ...common,
    number: '03-NQ/CB',
    issuer: { superior: 'ĐẢNG ỦY KHU KINH TẾ', name: 'CHI BỘ CÔNG TY TNHH HẢI ÂU' },
    vote: { heldOn: '2024-02-20', eligible: 9, present: 8, for: 6, against: 2 },
    signer: { onBehalf: 'T/M CHI BỘ', title: 'BÍ THƯ', name: 'Phạm Thị Hà' },
  },
};

mkdirSync(OUT, { recursive: true });
const engine = createDocumentEngine();
const pdf = createPdfRenderer(loadConfig().chromiumPath);
try {
  for (const form of engine.forms()) {
    const data = SAMPLES[form];
    if (!data) continue;
    const html = engine.render(form, data);
    const base = path.join(OUT, form);
    writeFileSync(`${base}.html`, html);
    writeFileSync(`${base}.pdf`, await pdf.toPdf(html));
    execFileSync('pdftoppm', ['-png', '-r', '60', `${base}.pdf`, base]);
    console.log(`${path.relative(PROJECT_ROOT, base)}.{html,pdf} and PNG pages`);
  }
} finally {
  await pdf.close();
}
