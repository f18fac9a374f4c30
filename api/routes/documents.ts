/** /api/v1/documents/:id/{html,pdf}: downloads, with the read permission of the document's case; /render: a new version. */
import { z } from 'zod';
import type { DocumentService } from '../documents.js';
import { principal, type RouteDef } from '../routing.js';
import { parse, uuid } from '../validation.js';

const IdParams = z.object({ id: uuid });

export function documentRoutes(documents: DocumentService): RouteDef[] {
  const id = (params: unknown) => parse(IdParams, params, 'path').id;
  return [
    {
      method: 'get',
      path: '/:id/html',
      action: 'cases.read',
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
      handler: async (req, res) => {
        const { row, pdf } = await documents.pdf(principal(req), id(req.params));
        res.type('application/pdf').set('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(`${row.form}-v${row.version}.pdf`)}`).send(pdf);
      },
    },
    {
      method: 'post',
      path: '/:id/render',
      action: 'cases.drive',
      handler: async (req, res) => res.status(201).json(await documents.rerender(principal(req), id(req.params))),
    },
  ];
}
