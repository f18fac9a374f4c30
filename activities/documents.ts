/**
 * Official documents: Handlebars templates (templates/documents/*.hbs, with the party-document partials)
 * rendered to HTML, numbered gap-free per issuing body, year and series, stored with a version and a hash.
 * The workflow holds only the returned ids.
 *
 * The workflows call `issueStepDocuments` with ids and dates only (activity inputs are kept in workflow
 * history, where personal data must not go); the names are read from Postgres (document-data.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import Handlebars from 'handlebars';
import type { Pool, Queryable } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import type { StepDocumentsRequest } from '../workflows/definitions.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { FIELD_SOURCES, planStepDocuments, type PlannedDocument } from './document-data.js';
import { createPdfRenderer, type PdfRenderer } from './pdf.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/documents/', import.meta.url));

/** The fields each form cannot do without: a missing one refuses the document (nothing is stored). */
// The superior line may stay blank: the top organization of the tree has none above it in the engine.
const LETTER = ['issuer.name', 'place', 'date', 'signer.name'];
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
  // No cell resolution after three failed recognition votes: the competent committee decides without one.
  '16-KNĐ': [...LETTER, 'issuer.deciding', ...PERSON, 'admittedOn', 'fullMemberOn', 'cell.name'],
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
  readonly numbering?: { readonly organizationId: string; readonly series: string; readonly symbol: string; readonly year: number } | undefined;
  /** A number given from outside (a decision entered from the committee's register at its sign-off). */
  readonly numberText?: string | undefined;
  /** Which issue of the form this is within the case (a step done twice has two); absent: one per case. */
  readonly issueKey?: string | undefined;
  /** What it was made from (ids and dates only), for re-rendering. */
  readonly source?: unknown;
  /** A new version even when this one exists (re-render). Otherwise a retry returns the stored document. */
  readonly newVersion?: boolean;
  readonly createdBy?: string | null;
}

export interface IssuedDocument {
  readonly id: string;
  readonly form: string;
  readonly version: number;
  readonly number: number | null;
  readonly numberText: string | null;
  readonly sha256: string;
}

/** Missing fields of a set of papers, as "form: field" with where the field comes from. */
export interface MissingField {
  readonly form: string;
  readonly field: string;
  readonly source: string | null;
}

function missingReport(planned: readonly PlannedDocument[]): MissingField[] {
  return planned.flatMap((p) =>
    missingFields(p.form, p.data).map((field) => ({ form: p.form, field, source: FIELD_SOURCES.find(([re]) => re.test(field))?.[1] ?? null })),
  );
}

export function missingMessage(missing: readonly MissingField[]): string {
  return `the papers of this step cannot be issued: ${missing.map((m) => `${m.form} needs ${m.field}${m.source ? ` (${m.source})` : ''}`).join('; ')}`;
}

/**
 * Stores a document in the caller's transaction. Its number, when numbered, is taken in the same
 * transaction: a failure rolls both back (no gap), and a retry finds the stored document and reuses it.
 */
async function issueIn(db: Queryable, engine: ReturnType<typeof createDocumentEngine>, r: IssueRequest): Promise<IssuedDocument> {
  // One issuing at a time per case and form: serialises retries and re-renders of the same document.
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${r.caseId}:${r.form}`]);
  const last = await db.query<IssuedDocument & { same: boolean }>(
    `SELECT id, form, version, number, number_text AS "numberText", sha256, source IS NOT DISTINCT FROM $4::jsonb AS same FROM documents
      WHERE case_id = $1 AND form = $2 AND issue_key IS NOT DISTINCT FROM $3 ORDER BY version DESC LIMIT 1`,
    [r.caseId, r.form, r.issueKey ?? null, r.source === undefined ? null : JSON.stringify(r.source)],
  );
  const found = last.rows[0];
  const previous = found && { id: found.id, form: found.form, version: found.version, number: found.number, numberText: found.numberText, sha256: found.sha256 };
  // A retry of the same issue returns what was stored. The same step re-sent with other data (a sign-off
  // whose first answer was lost, re-submitted corrected) makes a new version under the same number.
  if (previous && !r.newVersion && found.same) return previous;
  let number: number | null = previous?.number ?? null;
  let numberText: string | null = r.numberText ?? previous?.numberText ?? null;
  if (r.numbering && !previous) {
    const { rows } = await db.query<{ n: number }>(
      `INSERT INTO document_counters (organization_id, year, series, last_number) VALUES ($1, $2, $3, 1)
       ON CONFLICT (organization_id, year, series) DO UPDATE SET last_number = document_counters.last_number + 1
       RETURNING last_number AS n`,
      [r.numbering.organizationId, r.numbering.year, r.numbering.series],
    );
    number = rows[0]!.n;
    numberText = `${String(number).padStart(2, '0')}-${r.numbering.series}/${r.numbering.symbol}`;
  }
  const html = engine.render(r.form, { ...r.data, number: numberText });
  const sha256 = createHash('sha256').update(html).digest('hex');
  const version = (previous?.version ?? 0) + 1;
  const first = !previous && r.numbering;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO documents (case_id, step, form, version, issuing_org_id, year, series, number, number_text, html, sha256, created_by, issue_key, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    [
      r.caseId,
      r.step,
      r.form,
      version,
      first ? r.numbering!.organizationId : null,
      first ? r.numbering!.year : null,
      first ? r.numbering!.series : null,
      first ? number : null,
      numberText,
      html,
      sha256,
      r.createdBy ?? null,
      r.issueKey ?? null,
      r.source === undefined ? null : JSON.stringify(r.source),
    ],
  );
  return { id: rows[0]!.id, form: r.form, version, number, numberText, sha256 };
}

export function documentActivities(deps: { pool: Pool; pdf?: PdfRenderer | undefined }) {
  const engine = createDocumentEngine();
  const pdf = deps.pdf ?? createPdfRenderer();

  /** Issues planned papers together: all of them or, when one lacks data, none. */
  const issuePlanned = async (
    r: StepDocumentsRequest,
    planned: readonly PlannedDocument[],
    opts: { newVersion?: boolean; createdBy?: string | null; inSameTransaction?: (db: Queryable, issued: IssuedDocument[]) => Promise<void> } = {},
  ) => {
    const missing = missingReport(planned);
    if (missing.length) throw ApplicationFailure.nonRetryable(missingMessage(missing), 'MissingDocumentData', ...missing);
    return withTransaction(deps.pool, async (db) => {
      const out: IssuedDocument[] = [];
      for (const p of planned) {
        out.push(
          await issueIn(db, engine, {
            caseId: r.caseId,
            step: r.data.step,
            form: p.form,
            data: p.data,
            numbering: p.numbering,
            numberText: p.numberText,
            issueKey: `${r.issueKey}${p.key ? `.${p.key}` : ''}`,
            source: { request: r, key: p.key },
            newVersion: opts.newVersion ?? false,
            createdBy: opts.createdBy ?? r.actorUserId,
          }),
        );
      }
      await opts.inSameTransaction?.(db, out);
      return out;
    });
  };

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

    /** Renders and stores one document from the data given (a missing required field refuses it). */
    async issueDocument(r: IssueRequest): Promise<IssuedDocument> {
      const missing = missingFields(r.form, r.data);
      if (missing.length) {
        throw ApplicationFailure.nonRetryable(`${r.form} cannot be issued without: ${missing.join(', ')}`, 'MissingDocumentData', missing);
      }
      return withTransaction(deps.pool, (db) => issueIn(db, engine, r));
    },

    /**
     * The papers of a signed step, issued before the step is recorded: the workflow sends ids and dates,
     * the data is read here. A missing field refuses the whole set (nothing stored) and the sign-off with
     * it; a retry returns what was stored.
     */
    async issueStepDocuments(r: StepDocumentsRequest): Promise<{ documents: Array<{ id: string; form: string; numberText: string | null }> }> {
      const planned = await planStepDocuments(deps.pool, r);
      if (!planned.length) return { documents: [] };
      const issued = await issuePlanned(r, planned);
      return { documents: issued.map((d) => ({ id: d.id, form: d.form, numberText: d.numberText })) };
    },

    /**
     * A new version of a stored step document, made again from the case's current data (a corrected name
     * reaches it); the number stays. Documents issued without a source cannot be re-rendered.
     */
    async rerenderDocument(documentId: string, actor: { userId: string; ip: string | null }): Promise<IssuedDocument> {
      const { rows } = await deps.pool.query<{ form: string; caseId: string; source: { request: StepDocumentsRequest; key: string } | null }>(
        'SELECT form, case_id AS "caseId", source FROM documents WHERE id = $1',
        [documentId],
      );
      const doc = rows[0];
      if (!doc) throw ApplicationFailure.nonRetryable(`document ${documentId} does not exist`, 'UnknownDocument');
      if (!doc.source) throw ApplicationFailure.nonRetryable(`document ${documentId} was not issued by a step: it has nothing to be made again from`, 'NoSource');
      const { request, key } = doc.source;
      const planned = (await planStepDocuments(deps.pool, request)).filter((p) => p.form === doc.form && p.key === key);
      if (!planned.length) throw ApplicationFailure.nonRetryable(`the step no longer issues ${doc.form}`, 'NoSource');
      const [issued] = await issuePlanned(request, planned, {
        newVersion: true,
        createdBy: actor.userId,
        inSameTransaction: (db, [d]) =>
          appendAudit(db, {
            actorUserId: actor.userId,
            actorIp: actor.ip,
            action: 'document.rerender',
            entityType: 'document',
            entityId: d!.id,
            caseId: doc.caseId,
            details: { form: doc.form, version: d!.version, previousId: documentId },
          }),
      });
      return issued!;
    },
  };
}
