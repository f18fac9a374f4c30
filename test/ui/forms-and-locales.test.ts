import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMISSION_FORMS, ESTABLISHMENT_FORMS, fieldOfMessage, formToBody } from '../../ui/forms.js';
import { formatDate, formatPercent, LANGS, loadLocale, translator } from '../../ui/i18n.js';
import { STEP_BODIES } from '../../api/routes/cases.js';
import { ADMISSION_STEPS, ESTABLISHMENT_STEP_IDS } from '../../workflows/definitions.js';

const flatten = (o: Record<string, unknown>, prefix = ''): string[] =>
  Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? flatten(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));

function templateKeys(): string[] {
  const dir = path.resolve('ui/views');
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.hbs'));
  const keys = new Set<string>();
  for (const f of files) for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/\{\{t "([^"]+)"/g)) keys.add(m[1]!);
  for (const m of readFileSync('ui/router.ts', 'utf8').matchAll(/(?:translator\([^)]*\)\(|title: )'([a-z][\w.-]*\.[\w.-]+)'/gi)) keys.add(m[1]!);
  return [...keys].sort();
}

describe('locale files', () => {
  it('hold the same keys in Vietnamese and English', () => {
    const [vi, en] = LANGS.map((l) => flatten(loadLocale(l)).sort());
    expect(vi).toEqual(en);
  });

  it('hold every key the templates and the router use, and a label for every form field', () => {
    const vi = new Set(flatten(loadLocale('vi')));
    const used = templateKeys();
    expect(used.length).toBeGreaterThan(100);
    expect(used.filter((k) => !vi.has(k))).toEqual([]);
    const formFields = [...Object.values(ADMISSION_FORMS), ...Object.values(ESTABLISHMENT_FORMS)].flat();
    expect(formFields.filter((f) => !vi.has(`fields.${f.name}`)).map((f) => f.name)).toEqual([]);
    const options = formFields.flatMap((f) => f.options ?? []);
    expect(options.filter((o) => !vi.has(`options.${o}`))).toEqual([]);
  });

  it('formats dates and percents the Vietnamese way', () => {
    expect(formatDate('2024-03-31', 'vi')).toBe('31/03/2024');
    expect(formatDate('2024-03-31', 'en')).toBe('2024-03-31');
    expect(formatPercent(50.5, 'vi')).toBe('50,5 %');
    expect(formatPercent(18.18, 'en')).toBe('18.2%');
    expect(translator('vi')('dashboard.reached', { percent: '50,5 %' })).toBe('đạt 50,5 % chỉ tiêu');
  });
});

describe('sign-off forms', () => {
  it('have a form for every step of both pipelines', () => {
    expect(Object.keys(ADMISSION_FORMS).sort()).toEqual([...ADMISSION_STEPS].sort());
    expect(Object.keys(ESTABLISHMENT_FORMS).sort()).toEqual([...ESTABLISHMENT_STEP_IDS].sort());
  });

  it('turn a submitted vote into the body the API parses', () => {
    const body = formToBody(ADMISSION_FORMS['cell-vote'], { 'vote.heldOn': '2024-03-01', 'vote.eligible': '9', 'vote.present': '8', 'vote.for': ' 7 ', 'vote.against': '1', _csrf: 'x' });
    expect(body).toEqual({ vote: { heldOn: '2024-03-01', eligible: 9, present: 8, for: 7, against: 1 } });
    expect(STEP_BODIES['cell-vote'].safeParse(body).success).toBe(true);
  });

  it('leave an unused second introducer and an empty union resolution out, and keep a non-number for the schema to name', () => {
    const fields = ADMISSION_FORMS.introduction;
    const body = formToBody(fields, {
      introducedOn: '2024-03-01',
      'introducers.0.personId': 'a6f1c1d2-0000-4000-8000-000000000001',
      'introducers.0.coWorkingMonths': 'mười hai',
      'introducers.1.personId': '',
      'introducers.1.coWorkingMonths': '',
      'unionResolution.union': '',
      'unionResolution.resolutionOn': '',
    });
    expect(body).toEqual({ introducedOn: '2024-03-01', introducers: [{ personId: 'a6f1c1d2-0000-4000-8000-000000000001', coWorkingMonths: 'mười hai' }] });
    const parsed = STEP_BODIES.introduction.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['introducers', 0, 'coWorkingMonths']);
  });

  it('a required input left empty stays missing, so the schema answers "required" for it', () => {
    expect(formToBody(ADMISSION_FORMS.application, { receivedOn: '', biographySealedOn: '2024-01-02' })).toEqual({ receivedOn: undefined, biographySealedOn: '2024-01-02' });
    expect(formToBody(ESTABLISHMENT_FORMS.survey, { tradeUnion: 'on' })).toMatchObject({ tradeUnion: true, youthUnion: false });
  });

  it('find the input a message is about, from its field or from the rule message of the workflow', () => {
    const intro = ADMISSION_FORMS.introduction;
    expect(fieldOfMessage(intro, 'introducers.0.coWorkingMonths', 'must be a number')).toBe('introducers.0.coWorkingMonths');
    expect(fieldOfMessage(intro, undefined, 'introducers.1 has worked with the candidate 6 months: at least 12 are required')).toBe('introducers.1.coWorkingMonths');
    expect(fieldOfMessage(intro, undefined, 'introducers.0 is not an official member: introducers must be official (full) members')).toBe('introducers.0.personId');
    const vote = ADMISSION_FORMS['cell-vote'];
    expect(fieldOfMessage(vote, undefined, 'vote.present (10) cannot exceed vote.eligible (9)')).toBe('vote.present');
    expect(fieldOfMessage(vote, 'vote', 'must be an object')).toBe('vote.heldOn');
    expect(fieldOfMessage(vote, undefined, 'the candidate is 17 years 3 months old at the vote')).toBeUndefined();
  });
});
