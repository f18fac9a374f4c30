import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createDocumentEngine, missingFields, REQUIRED_FIELDS } from '../../activities/documents.js';
import { createPdfRenderer } from '../../activities/pdf.js';

/** One fixture with every field any form reads. */
const FIXTURE = {
  number: '12-QĐ/ĐUKKT',
  place: 'Hải Phòng',
  date: '2024-03-29',
  issuer: { superior: 'ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG', name: 'ĐẢNG ỦY KHU KINH TẾ', deciding: 'Ban Thường vụ Đảng ủy Khu kinh tế' },
  recipients: ['Chi bộ Công ty Hải Âu'],
  signer: { onBehalf: 'T/M BAN THƯỜNG VỤ', title: 'PHÓ BÍ THƯ', name: 'Trần Văn Quý' },
  candidate: {
    fullName: 'Nguyễn Thị Ánh Hồng',
    dateOfBirth: '1998-07-05',
    sex: 'Nữ',
    birthName: 'Nguyễn Thị Ánh Hồng',
    placeOfBirth: 'Thủy Nguyên',
    hometown: 'Thủy Nguyên, Hải Phòng',
    permanentResidence: 'phường Thủy Đường',
    ethnicity: 'Kinh',
    religion: 'Không',
    generalEducation: '12/12',
    occupation: 'Công nhân',
  },
  cell: { name: 'Chi bộ Công ty Hải Âu' },
  introducer: { fullName: 'Phạm Văn Đông', admittedOn: '2010-05-19', coWorkingMonths: 24 },
  helper: { fullName: 'Vũ Thị Lan' },
  vote: { heldOn: '2024-02-20', eligible: 9, present: 8, for: 6, against: 2 },
  opinions: [{ source: 'Công đoàn cơ sở', asked: 15, agree: 14 }, { source: 'Chi ủy nơi cư trú', asked: 3, agree: 3 }],
  recommendation: { admit: true },
  cellResolution: { date: '2024-02-20' },
  recognitionResolution: { date: '2025-04-10' },
  admittedOn: '2024-03-29',
  probationEndsOn: '2025-04-02',
  fullMemberOn: '2025-04-02',
  enterprise: { name: 'Công ty TNHH Điện tử Sao Mai', zone: 'KCN Tràng Duệ' },
  survey: { surveyedOn: '2024-01-15', workforce: 2500, tradeUnion: true, youthUnion: false, ownerAttitude: 'ủng hộ', reportedMembers: { official: 3, probationary: 1, attachedElsewhere: 2 } },
  meeting: { heldOn: '2024-02-01', attendees: 'Tổng giám đốc Kim Min-jun; Ban Tổ chức', outcome: 'đồng ý' },
  proposal: { name: 'Chi bộ Công ty Sao Mai', proposedOn: '2024-03-01', committee: false },
  members: { official: 3, probationary: 1 },
  appointee: { fullName: 'Đỗ Văn Hùng' },
  announcement: { heldOn: '2024-04-10' },
  decision: { establishmentNumber: '80-QĐ/ĐUKKT', appointmentNumber: '81-QĐ/ĐUKKT' },
};

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
