/** /api/v1/documents/:id/{html,pdf}: downloads, with the read permission of the document's case; /render: a new version. */
import { z } from 'zod';
import type { DocumentService } from '../documents.js';
import { principal, type RouteDef } from '../routing.js';
import { parse, uuid } from '../validation.js';

const IdParams = z.object({ id: uuid });
const tags = ['Documents'];

export function documentRoutes(documents: DocumentService): RouteDef[] {
  const id = (params: unknown) => parse(IdParams, params, 'path').id;
  return [
    {
      method: 'get',
      path: '/:id/html',
      action: 'cases.read',
      doc: { summary: 'A document as HTML (self-contained)', tags, params: IdParams, contentType: 'text/html', responseDescription: 'The document, inline' },
      handler: async (req, res) => {
        const { row, html } = await documents.html(principal(req), id(req.params));
        // Documents are self-contained: no scripts, no outside resources.
        res.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
        res.type('html').set('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(`${row.form}-v${row.version}.html`)}`).send(html);
      },
    },
    {
      method: 'get',
      path: '/:id/pdf',
      action: 'cases.read',
      doc: {
        summary: 'A document as PDF',
        description: 'Rendered by Chromium on first request, then kept.',
        tags,
        params: IdParams,
        contentType: 'application/pdf',
        responseDescription: 'The PDF, inline',
      },
      handler: async (req, res) => {
        const { row, pdf } = await documents.pdf(principal(req), id(req.params));
        res.type('application/pdf').set('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(`${row.form}-v${row.version}.pdf`)}`).send(pdf);
      },
    },
    {
      method: 'post',
      path: '/:id/render',
      action: 'cases.drive',
      doc: {
        summary: "Staff: make a new version from the case's current records",
        description: 'The number stays; audited. 409 when the document was not issued by a step (nothing to make it again from); 422 when data is missing.',
        tags,
        params: IdParams,
        success: 201,
        responseDescription: 'The new version',
        errors: [409, 422],
      },
      handler: async (req, res) => res.status(201).json(await documents.rerender(principal(req), id(req.params))),
    },
  ];
}
