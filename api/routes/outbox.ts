/** /api/v1/outbox: the emails the engine sent or keeps (the local outbox when no SMTP server is set). Admins. */
import { z } from 'zod';
import type { Pool } from '../../infra/db/pool.js';
import type { RouteDef } from '../routing.js';
import { parse, uuid } from '../validation.js';

const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'local', 'failed', 'in-doubt', 'obsolete'] as const;
const OutboxQuery = z.strictObject({
  status: z.enum(OUTBOX_STATUSES, { error: `must be one of ${OUTBOX_STATUSES.join(', ')}` }).optional(),
  caseId: uuid.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
  before: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').optional(),
});

export function outboxRoutes(pool: Pool): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/',
      action: 'audit.read',
      doc: {
        summary: 'Admin: the emails sent or kept',
        description: 'The local outbox when no SMTP server is configured. Newest first; page with `before=<nextBefore>`.',
        tags: ['Admin'],
        query: OutboxQuery,
        responseDescription: '`{ items, nextBefore }`',
      },
      handler: async (req, res) => {
        const q = parse(OutboxQuery, req.query, 'query');
        const { rows } = await pool.query(
          `SELECT id, kind, case_id AS "caseId", step, rung, to_address AS "to", subject, text_body AS "text", html_body AS "html",
                  status, attempts, last_error AS "lastError", to_json(created_at) #>> '{}' AS "createdAt", to_json(sent_at) #>> '{}' AS "sentAt"
             FROM email_outbox
            WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR case_id = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4`,
          [q.status ?? null, q.caseId ?? null, q.before ?? null, q.limit],
        );
        res.json({ items: rows, nextBefore: rows.length === q.limit ? rows.at(-1)!.id : null });
      },
    },
  ];
}
