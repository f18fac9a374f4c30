/**
 * Official documents: Handlebars templates (templates/documents/*.hbs, with the party-document partials)
 * rendered to HTML, numbered gap-free per issuing body, year and series, stored with a version and a hash.
 * The workflow holds only the returned ids.
 *
 * Not yet called by the workflows (issue #7 continues): when it is, the workflow must pass ids only and the
 * activity must read the names and dates from Postgres — activity inputs are recorded in workflow history,
 * where personal data must not go.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import Handlebars from 'handlebars';
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { createPdfRenderer, type PdfRenderer } from './pdf.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/documents/', import.meta.url));

/** The fields each form cannot do without: a missing one refuses the document (nothing is stored). */
const LETTER = ['issuer.name', 'issuer.superior', 'place', 'date', 'signer.name'];
const PERSON = ['candidate.fullName', 'candidate.dateOfBirth'];
const VOTE = ['vote.heldOn', 'vote.eligible', 'vote.present', 'vote.for', 'vote.against'];

/** The fields each form cannot do without: a missing one refuses the document (nothing is stored). */
export const REQUIRED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  '1-KNĐ': ['place', 'date', 'issuer.name', 'cell.name', ...PERSON],
  '2-KNĐ': [...PERSON],
  '3-KNĐ': [...LETTER, ...PERSON, 'introducer.fullName', 'introducer.admittedOn', 'introducer.coWorkingMonths', 'cell.name'],
  '4-KNĐ': [...LETTER, ...PERSON, ...VOTE],
  '4A-KNĐ': [...LETTER, ...PERSON, ...VOTE],
  '5-KNĐ': [...LETTER, ...PERSON, 'opinions'],
  '6-KNĐ': [...LETTER, ...PERSON, 'cell.name', 'vote.heldOn', 'vote.eligible'],
  '7-KNĐ': [...LETTER, ...PERSON, 'cell.name'],
  '8-KNĐ': [...LETTER, ...PERSON, ...VOTE, 'cell.name'],
  '9-KNĐ': [...LETTER, 'issuer.deciding', ...PERSON, 'cell.name', 'cellResolution.date'],
  '10-KNĐ': ['place', 'date', 'signer.name', ...PERSON, 'admittedOn', 'cell.name'],
  '11-KNĐ': ['place', 'date', 'signer.name', ...PERSON, 'admittedOn', 'helper.fullName', 'cell.name'],
  '12-KNĐ': [...LETTER, ...PERSON, 'opinions'],
  '13-KNĐ': [...LETTER, ...PERSON, ...VOTE, 'cell.name', 'probationEndsOn'],
  '14-KNĐ': [...LETTER, ...PERSON, 'cell.name'],
  '15-KNĐ': [...LETTER, ...PERSON, ...VOTE, 'cell.name'],
  '16-KNĐ': [...LETTER, 'issuer.deciding', ...PERSON, 'admittedOn', 'fullMemberOn', 'recognitionResolution.date', 'cell.name'],
  'survey-report': [...LETTER, 'enterprise.name', 'survey.surveyedOn', 'survey.workforce'],
  'owner-meeting-minutes': [...LETTER, 'enterprise.name', 'meeting.heldOn', 'meeting.attendees', 'meeting.outcome'],
  'to-trinh': [...LETTER, 'enterprise.name', 'proposal.name', 'members.official'],
  'establishment-decision': [...LETTER, 'issuer.deciding', 'enterprise.name', 'proposal.name', 'proposal.proposedOn', 'members.official'],
  'appointment-decision': [...LETTER, 'issuer.deciding', 'proposal.name', 'appointee.fullName'],
  'announcement-minutes': [...LETTER, 'enterprise.name', 'proposal.name', 'announcement.heldOn', 'decision.establishmentNumber', 'decision.appointmentNumber'],
};

const MONTH_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Handlebars with the document helpers; escaping stays on (`{{x}}`), so a name with markup renders as text. */
export function createDocumentEngine() {
  const hb = Handlebars.create();
  hb.registerHelper('vnDate', (iso: unknown) => {
    const m = typeof iso === 'string' ? MONTH_DAY.exec(iso) : null;
    return m ? `ngày ${Number(m[3])} tháng ${Number(m[2])} năm ${m[1]}` : '';
  });
  hb.registerHelper('vnDateShort', (iso: unknown) => {
    const m = typeof iso === 'string' ? MONTH_DAY.exec(iso) : null;
    return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
  });
  hb.registerHelper('percent', (part: unknown, whole: unknown) => {
    const p = Number(part);
    const w = Number(whole);
    if (!Number.isFinite(p) || !Number.isFinite(w) || w <= 0) return '';
    // A no-break space keeps "66,7 %" on one line.
    return `${(Math.round((p / w) * 1000) / 10).toLocaleString('vi-VN', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}\u00a0%`;
  });
  hb.registerHelper('upper', (s: unknown) => (typeof s === 'string' ? s.toLocaleUpperCase('vi-VN') : ''));
  const partials = path.join(TEMPLATES_DIR, 'partials');
  for (const f of readdirSync(partials)) if (f.endsWith('.hbs')) hb.registerPartial(f.slice(0, -4), readFileSync(path.join(partials, f), 'utf8'));
  // Compiled once per template, on first use.
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  return {
    forms: () => readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.hbs')).map((f) => f.slice(0, -4)),
    render(form: string, data: Record<string, unknown>): string {
      let t = compiled.get(form);
      if (!t) {
        const file = path.join(TEMPLATES_DIR, `${form}.hbs`);
        t = hb.compile(readFileSync(file, 'utf8'), { strict: false, noEscape: false });
        compiled.set(form, t);
      }
      return t(data);
    },
  };
}

/** Dotted paths of required fields that are missing or empty in `data`. */
export function missingFields(form: string, data: Record<string, unknown>): string[] {
  return (REQUIRED_FIELDS[form] ?? []).filter((p) => {
    const v = p.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), data);
    return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
  });
}

export interface IssueRequest {
  readonly caseId: string;
  readonly step: string;
  readonly form: string;
  readonly data: Record<string, unknown>;
  /** Numbered documents: issuer, series (QĐ, NQ …) and the issuer's symbol for the number line. */
  readonly numbering?: { readonly organizationId: string; readonly series: string; readonly symbol: string; readonly year: number };
  /** A new version even when this one exists (re-render). Otherwise a retry returns the stored document. */
  readonly newVersion?: boolean;
  readonly createdBy?: string | null;
}

export interface IssuedDocument {
  readonly id: string;
  readonly version: number;
  readonly number: number | null;
  readonly numberText: string | null;
  readonly sha256: string;
}

export function documentActivities(deps: { pool: Pool; pdf?: PdfRenderer | undefined }) {
  const engine = createDocumentEngine();
  const pdf = deps.pdf ?? createPdfRenderer();
  return {
    /** The PDF of a stored document: rendered once and kept (a retry or a download renders it if missing). */
    async renderDocumentPdf(documentId: string): Promise<{ bytes: number; sha256: string }> {
      const { rows } = await deps.pool.query<{ html: string; pdf: Buffer | null; pdfSha256: string | null }>(
        'SELECT html, pdf, pdf_sha256 AS "pdfSha256" FROM documents WHERE id = $1',
        [documentId],
      );
      const doc = rows[0];
      if (!doc) throw ApplicationFailure.nonRetryable(`document ${documentId} does not exist`, 'UnknownDocument');
      if (doc.pdf && doc.pdfSha256) return { bytes: doc.pdf.length, sha256: doc.pdfSha256 };
      const bytes = await pdf.toPdf(doc.html);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await deps.pool.query('UPDATE documents SET pdf = $2, pdf_sha256 = $3 WHERE id = $1 AND pdf IS NULL', [documentId, bytes, sha256]);
      return { bytes: bytes.length, sha256 };
    },

    /**
     * Renders and stores a document. Its number, when numbered, is taken in the same transaction that
     * stores it: a failure rolls both back (no gap), and a retry of the same activity finds the document it
     * stored and reuses its number.
     */
    async issueDocument(r: IssueRequest): Promise<IssuedDocument> {
      const missing = missingFields(r.form, r.data);
      if (missing.length) {
        throw ApplicationFailure.nonRetryable(`${r.form} cannot be issued without: ${missing.join(', ')}`, 'MissingDocumentData', missing);
      }
      return withTransaction(deps.pool, async (db) => {
        // One issuing at a time per case and form: serialises retries and re-renders of the same document.
        await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${r.caseId}:${r.form}`]);
        const last = await db.query<IssuedDocument & { html: string }>(
          `SELECT id, version, number, number_text AS "numberText", sha256 FROM documents
            WHERE case_id = $1 AND form = $2 ORDER BY version DESC LIMIT 1`,
          [r.caseId, r.form],
        );
        const previous = last.rows[0];
        if (previous && !r.newVersion) return previous;
        let number: number | null = previous?.number ?? null;
        let numberText: string | null = previous?.numberText ?? null;
        if (r.numbering && number === null) {
          const { rows } = await db.query<{ n: number }>(
            `INSERT INTO document_counters (organization_id, year, series, last_number) VALUES ($1, $2, $3, 1)
             ON CONFLICT (organization_id, year, series) DO UPDATE SET last_number = document_counters.last_number + 1
             RETURNING last_number AS n`,
            [r.numbering.organizationId, r.numbering.year, r.numbering.series],
          );
          number = rows[0]!.n;
          numberText = `${number}-${r.numbering.series}/${r.numbering.symbol}`;
        }
        const html = engine.render(r.form, { ...r.data, number: numberText });
        const sha256 = createHash('sha256').update(html).digest('hex');
        const version = (previous?.version ?? 0) + 1;
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO documents (case_id, step, form, version, issuing_org_id, year, series, number, number_text, html, sha256, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
          [
            r.caseId,
            r.step,
            r.form,
            version,
            previous ? null : (r.numbering?.organizationId ?? null),
            previous ? null : (r.numbering?.year ?? null),
            previous ? null : (r.numbering?.series ?? null),
            previous ? null : number,
            numberText,
            html,
            sha256,
            r.createdBy ?? null,
          ],
        );
        return { id: rows[0]!.id, version, number, numberText, sha256 };
      });
    },
  };
}
