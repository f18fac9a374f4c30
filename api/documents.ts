/** A case's documents: listed and downloaded (HTML, PDF) with the case's read permission. */
import type { Pool } from '../infra/db/pool.js';
import { getOrganization } from '../infra/db/queries/organizations.js';
import { documentActivities } from '../activities/documents.js';
import { createPdfRenderer } from '../activities/pdf.js';
import { ApplicationFailure } from '@temporalio/common';
import { canManage, canRead, type Principal } from './auth/policy.js';
import { HttpError, missingDocumentData, notFound } from './http-errors.js';

export interface DocumentRow {
  readonly id: string;
  readonly caseId: string;
  readonly step: string;
  readonly form: string;
  readonly version: number;
  readonly numberText: string | null;
  readonly sha256: string;
  readonly hasPdf: boolean;
  readonly createdAt: string;
}

const COLUMNS = `d.id, d.case_id AS "caseId", d.step, d.form, d.version, d.number_text AS "numberText", d.sha256,
  d.pdf IS NOT NULL AS "hasPdf", to_json(d.created_at) #>> '{}' AS "createdAt"`;

export interface DocumentService {
  list(p: Principal, caseId: string): Promise<DocumentRow[]>;
  html(p: Principal, id: string): Promise<{ row: DocumentRow; html: string }>;
  pdf(p: Principal, id: string): Promise<{ row: DocumentRow; pdf: Buffer }>;
  /** A new version made from the case's current data (the number stays). Staff of the case's subtree. */
  rerender(p: Principal, id: string): Promise<DocumentRow>;
}

export function createDocumentService(deps: { pool: Pool; chromiumPath?: string | undefined }): DocumentService {
  const { pool } = deps;
  const renderer = documentActivities({ pool, pdf: createPdfRenderer(deps.chromiumPath) });

  /** The case's organization must be in the caller's scope; otherwise 404 as for a missing document. */
  async function visibleCase(p: Principal, caseId: string, what: string) {
    const { rows } = await pool.query<{ organizationId: string }>('SELECT organization_id AS "organizationId" FROM cases WHERE id = $1', [caseId]);
    const org = rows[0] && (await getOrganization(pool, rows[0].organizationId));
    if (!org || !canRead(p, org.path)) throw notFound(what);
    return org;
  }

  async function visibleDocument(p: Principal, id: string) {
    const { rows } = await pool.query<DocumentRow & { html: string }>(`SELECT ${COLUMNS}, d.html FROM documents d WHERE d.id = $1`, [id]);
    const row = rows[0];
    if (!row) throw notFound('The document');
    const org = await visibleCase(p, row.caseId, 'The document');
    return { ...row, org };
  }

  return {
    async list(p, caseId) {
      await visibleCase(p, caseId, 'The case');
      const { rows } = await pool.query<DocumentRow>(`SELECT ${COLUMNS} FROM documents d WHERE d.case_id = $1 ORDER BY d.created_at, d.form, d.version`, [caseId]);
      return rows;
    },
    async html(p, id) {
      const { html, org: _org, ...row } = await visibleDocument(p, id);
      return { row, html };
    },
    async pdf(p, id) {
      const { html: _html, org: _org, ...row } = await visibleDocument(p, id);
      await renderer.renderDocumentPdf(id);
      const { rows } = await pool.query<{ pdf: Buffer }>('SELECT pdf FROM documents WHERE id = $1', [id]);
      return { row, pdf: rows[0]!.pdf };
    },
    async rerender(p, id) {
      const { org } = await visibleDocument(p, id);
      if (!canManage(p, org.path)) throw new HttpError(403, 'forbidden', 'Re-rendering a document is for the staff of its case');
      try {
        const issued = await renderer.rerenderDocument(id, { userId: p.userId, ip: p.ip });
        const { rows } = await pool.query<DocumentRow>(`SELECT ${COLUMNS} FROM documents d WHERE d.id = $1`, [issued.id]);
        return rows[0]!;
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === 'MissingDocumentData') throw missingDocumentData(err);
        if (err instanceof ApplicationFailure && err.type === 'NoSource') throw new HttpError(409, 'no_source', err.message);
        throw err;
      }
    },
  };
}
