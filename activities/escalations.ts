/**
 * Escalation emails and the daily digest, through the `email_outbox` table.
 *
 * A message is stored under a key naming what it is for (case, step entry, rung, recipient; or digest day
 * and recipient): a retried activity or a restarted worker finds the row instead of writing another. The
 * activity ends there; the outbox relay of the worker (infra/outbox-relay.ts) delivers the rows — claimed
 * before the SMTP talk, recorded after, retried with backoff while the server is away, a 5xx refusal
 * recorded as `failed`, a row its sender died on left `in-doubt` and never sent twice.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure, log } from '@temporalio/activity';
import Handlebars from 'handlebars';
import { z } from 'zod';
import type { Pool } from '../infra/db/pool.js';
import { loadWorkCalendar } from '../infra/db/queries/calendar.js';
import { groupCommit } from '../infra/db/group-commit.js';
import type { Mailer } from '../infra/mail.js';
import type { OutboxMessage, OutboxRelay } from '../infra/outbox-relay.js';
import type { CaseType } from '../workflows/definitions.js';
import { DEFAULT_LADDER, type EscalationRequest, type EscalationResult, type LadderPolicy, type Rung, type RungRecipient } from '../workflows/escalation.js';
import { ESTABLISHMENT_STEP_CATALOG } from '../workflows/establishment-rules.js';
import { STEP_META } from '../workflows/steps.js';
import type { AdmissionStep } from '../workflows/definitions.js';

/** A ladder as stored in `escalation_ladders.rungs`. */
export const LadderSchema = z
  .array(
    z.strictObject({
      name: z.string().regex(/^[a-z0-9-]{1,30}$/),
      offsetWorkingDays: z.number().int().min(-60).max(250),
      to: z.array(z.enum(['actor', 'secretary', 'organizing-board', 'standing-committee'])).min(1).max(4),
    }),
  )
  .max(10)
  .refine((rungs) => new Set(rungs.map((r) => r.name)).size === rungs.length, 'rung names must be unique');

const EMAILS_DIR = fileURLToPath(new URL('../templates/emails/', import.meta.url));

/** Cases due within this many working days are "due soon" in the digest. */
export const DUE_SOON_WORKING_DAYS = 5;

const RUNG_LABELS: Record<string, { vi: string; en: string }> = {
  reminder: { vi: 'Nhắc hạn', en: 'Reminder' },
  'level-1': { vi: 'Đến hạn', en: 'Due' },
  'level-2': { vi: 'Quá hạn – báo cáo Ban Tổ chức', en: 'Overdue – organizing board' },
  'level-3': { vi: 'Quá hạn – báo cáo Ban Thường vụ', en: 'Overdue – standing committee' },
};

const REASONS: Record<RungRecipient, { vi: string; en: string }> = {
  actor: { vi: 'đồng chí phụ trách ký bước này', en: 'you sign this step' },
  secretary: { vi: 'đồng chí là lãnh đạo tổ chức đảng của hồ sơ', en: 'you lead the case’s party organization' },
  'organizing-board': { vi: 'Ban Tổ chức cấp ủy cấp trên theo dõi hồ sơ quá hạn', en: 'the upper organizing board follows overdue cases' },
  'standing-committee': { vi: 'đồng chí Ủy viên Ban Thường vụ phụ trách', en: 'you are the standing-committee member in charge' },
};

const CASE_KIND: Record<CaseType, { vi: string; en: string }> = {
  admission: { vi: 'kết nạp đảng viên', en: 'admission' },
  'cell-establishment': { vi: 'thành lập tổ chức đảng', en: 'new party organization' },
};

export function stepLabel(type: CaseType, step: string): { vi: string; en: string } {
  if (type === 'admission') return STEP_META[step as AdmissionStep]?.label ?? { vi: step, en: step };
  return ESTABLISHMENT_STEP_CATALOG.find((s) => s.id === step)?.label ?? { vi: step, en: step };
}

/** Handlebars for mail: HTML parts escaped, text parts and subjects verbatim. */
function createMailTemplates() {
  const html = Handlebars.create();
  const text = Handlebars.create();
  for (const hb of [html, text]) {
    hb.registerHelper('vnDateShort', (iso: unknown) => (typeof iso === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso.slice(8)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : ''));
  }
  const load = (hb: typeof Handlebars, name: string, noEscape: boolean) =>
    hb.compile(readFileSync(path.join(EMAILS_DIR, `${name}.hbs`), 'utf8'), { noEscape, strict: false });
  const of = (name: string) => ({
    subject: load(text, `${name}.subject`, true),
    text: load(text, `${name}.text`, true),
    html: load(html, `${name}.html`, false),
  });
  const t = { escalation: of('escalation'), digest: of('digest') };
  return (name: keyof typeof t, data: Record<string, unknown>) => ({
    // One line: a subject never carries a newline (header injection).
    subject: t[name].subject(data).replace(/\s+/g, ' ').trim(),
    text: t[name].text(data),
    html: t[name].html(data),
  });
}

interface Recipient {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  readonly reason: RungRecipient;
}

export interface EscalationDeps {
  readonly pool: Pool;
  readonly mailer: Mailer;
  /** For links in messages: the case page is `${publicUrl}/cases/:id`. */
  readonly publicUrl: string;
  /** The outbox relay of this process: handed the messages stored (without one, relays poll for them). */
  readonly relay?: Pick<OutboxRelay, 'wake' | 'reserve' | 'take'> | undefined;
}

export function escalationActivities(deps: EscalationDeps) {
  const { pool, mailer } = deps;
  const render = createMailTemplates();
  const caseLink = (caseId: string) => `${deps.publicUrl.replace(/\/$/, '')}/cases/${caseId}`;

  interface CaseContext {
    readonly organizationId: string;
    readonly status: string;
    readonly currentStep: string | null;
    readonly orgName: string;
    readonly subjectName: string | null;
    /** The case's organization and its ancestors, nearest first. */
    readonly ancestors: Array<{ id: string; kind: string }>;
    /** Users with an email holding a role at one of those organizations (or at the actor's). */
    readonly roles: Array<{ userId: string; name: string; email: string; role: string; orgId: string; body: string | null }>;
  }

  /**
   * The case, its place in the tree and the roles held along it — for the rungs firing at the same moment
   * in one query (many cases' rungs fire together at 08:00 of a working day).
   */
  type Lookup = { caseId: string; actorOrgId: string | null };
  const lookUp = groupCommit<Lookup, Array<CaseContext & Lookup>>(async (wanted) => {
    // In a function (migration 0016) that keeps its plan: planning this join cost more than running it.
    const { rows } = await pool.query<CaseContext & Lookup>({
      name: 'escalation-case-contexts',
      text: 'SELECT * FROM escalation_case_contexts($1::uuid[], $2::uuid[])',
      values: [wanted.map((w) => w.caseId), wanted.map((w) => w.actorOrgId)],
    });
    return rows;
  });
  async function caseContext(caseId: string, actorOrgId: string | null): Promise<CaseContext | undefined> {
    const rows = await lookUp([{ caseId, actorOrgId }]);
    const [c, a] = [caseId.toLowerCase(), actorOrgId?.toLowerCase() ?? null];
    return rows?.find((r) => r.caseId === c && r.actorOrgId === a);
  }

  /** The people a rung mails, resolved now from the tree and the users (who holds a role today). */
  function recipients(r: EscalationRequest, c: CaseContext): Recipient[] {
    const holding = (orgId: string | undefined, role: string, bodies: readonly string[] | null) =>
      c.roles.filter((x) => x.orgId === orgId && x.role === role && (bodies === null || bodies.includes(x.body ?? '')));
    const upper = c.ancestors.find((a) => a.kind === 'upper-committee')?.id;
    const out = new Map<string, Recipient>();
    const add = (users: CaseContext['roles'], reason: RungRecipient) => {
      for (const u of users) if (!out.has(u.email.toLowerCase())) out.set(u.email.toLowerCase(), { userId: u.userId, name: u.name, email: u.email, reason });
    };
    for (const who of r.rung.to) {
      switch (who) {
        case 'actor':
          if (r.actor) add(holding(r.actor.organizationId, 'approver', [r.actor.body]), 'actor');
          else {
            // Staff steps: the organizers nearest to the case's organization.
            const nearest = c.ancestors.find((a) => holding(a.id, 'organizer', null).length > 0);
            add(holding(nearest?.id, 'organizer', null), 'actor');
          }
          break;
        case 'secretary':
          // The leaders of the case's organization (a cell's, a committee's; the upper committee's own for a new-organization case).
          add(holding(c.organizationId, 'approver', ['cell', 'grassroots-committee', 'standing-committee']), 'secretary');
          break;
        case 'organizing-board':
          add(holding(upper, 'organizer', null), 'organizing-board');
          break;
        case 'standing-committee':
          add(holding(upper, 'approver', ['standing-committee']), 'standing-committee');
          break;
      }
    }
    return [...out.values()];
  }

  type OutboxInput = { key: string; kind: 'escalation' | 'digest'; caseId: string | null; step: string | null; rung: string | null; userId: string; to: string; subject: string; text: string; html: string };

  /** Rows stored by one statement for the callers of that moment; `owner` tells whose each is. */
  type Stored = OutboxMessage & { key: string; owner: number; status: 'sending' | 'pending' | 'local' };
  let callers = 0;
  const insert = groupCommit<OutboxInput & { owner: number; status: Stored['status'] }, Stored[]>(async (rows) => {
    // One row per key even when two callers at once bring the same (two attempts of one activity): the
    // last one's, attributed to it; the other caller then stored nothing.
    const unique = [...new Map(rows.map((r) => [r.key, r])).values()];
    const { rows: fresh } = await pool.query<{ id: number; key: string; attempts: number }>({
      name: 'outbox-insert',
      text: `INSERT INTO email_outbox (dedupe_key, kind, case_id, step, rung, recipient_user_id, to_address, subject, text_body, html_body,
                                      status, claimed_at, sent_at, attempts)
       SELECT key, kind, "caseId", step, rung, "userId", "to", subject, text, html, status,
              CASE WHEN status = 'sending' THEN now() END, CASE WHEN status = 'local' THEN now() END, CASE WHEN status = 'sending' THEN 1 ELSE 0 END
         FROM jsonb_to_recordset($1::jsonb)
           AS x(key text, kind text, "caseId" uuid, step text, rung text, "userId" uuid, "to" text, subject text, text text, html text, status text)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, dedupe_key AS key, attempts`,
      values: [JSON.stringify(unique)],
    });
    // The rows stored are the inputs of their keys (the bodies need not come back from Postgres).
    const byKey = new Map(unique.map((r) => [r.key, r]));
    return fresh.map((r) => {
      const input = byKey.get(r.key)!;
      return { ...r, owner: input.owner, status: input.status, to: input.to, subject: input.subject, text: input.text, html: input.html };
    });
  });

  /**
   * Stores messages under their keys — together with those other activities store at the same moment.
   * With room reserved in this process's relay they are stored already claimed and handed to it (no claim
   * of their own); otherwise `pending`, for a relay to claim; `local` when nothing leaves the machine. A key stored
   * by an earlier attempt is kept as it is (whatever became of it), so a retried activity or a restarted
   * worker never adds a second message. Returns how many rows this run added.
   */
  async function store(rows: OutboxInput[]): Promise<number> {
    if (!rows.length) return 0;
    const owner = (callers += 1);
    const relay = mailer.kind === 'local' ? undefined : deps.relay;
    const reserved = relay?.reserve(rows.length) ? rows.length : 0;
    const status = mailer.kind === 'local' ? 'local' : reserved ? 'sending' : 'pending';
    let mine: Stored[] = [];
    try {
      mine = ((await insert(rows.map((r) => ({ ...r, owner, status })))) ?? []).filter((r) => r.owner === owner);
    } finally {
      // The relay takes what was stored claimed (and gives the rest of its room back).
      if (reserved) relay!.take(mine, reserved);
    }
    if (status === 'pending' && mine.length) relay?.wake();
    return mine.length;
  }

  return {
    /** The ladders of each step (escalation_ladders), with the built-in default under '*'. */
    async loadEscalationPolicy(caseType: CaseType): Promise<LadderPolicy> {
      const { rows: stored } = await pool.query<{ step: string; rungs: unknown }>('SELECT step, rungs FROM escalation_ladders WHERE case_type = $1', [caseType]);
      // The ladder goes into workflow code: a malformed row is left out (the default applies), never passed on.
      const rows = stored.flatMap((r) => {
        const parsed = LadderSchema.safeParse(r.rungs);
        if (!parsed.success) {
          log.warn('escalation ladder ignored: malformed rungs', { caseType, step: r.step, error: parsed.error.issues[0]?.message });
          return [];
        }
        return [{ step: r.step, rungs: parsed.data as Rung[] }];
      });
      // Probation ends by itself (the workflow opens the review): no ladder unless one is configured.
      return Object.fromEntries([['*', DEFAULT_LADDER], ['probation', []], ...rows.map((r) => [r.step, r.rungs] as const)]);
    },

    /** One rung of one step: its messages stored once per recipient, for the relay to deliver. */
    async escalateStep(r: EscalationRequest): Promise<EscalationResult> {
      const c = await caseContext(r.caseId, r.actor?.organizationId ?? null);
      if (!c) throw ApplicationFailure.nonRetryable(`case ${r.caseId} is not in the read model`, 'UnknownCase');
      // Retried after the step was signed or the case closed (a long SMTP outage): nothing to say any more.
      if (c.status !== 'open' || c.currentStep !== r.step) return { recipients: 0, stored: 0, delivery: mailer.kind };
      const people = recipients(r, c);
      const common = {
        caseRef: r.caseId.slice(0, 8),
        caseKind: CASE_KIND[r.caseType],
        stepLabel: stepLabel(r.caseType, r.step),
        rungLabel: RUNG_LABELS[r.rung.name] ?? { vi: 'Nhắc việc', en: 'Notice' },
        dueOn: r.dueOn,
        daysOverdue: r.daysOverdue,
        organizationName: c.orgName,
        subjectName: c.subjectName,
        link: caseLink(r.caseId),
      };
      const stored = await store(
        people.map((p) => ({
          key: `escalation:${r.caseId}:${r.stepKey}:${r.step}:${r.rung.name}:${p.email.toLowerCase()}`,
          kind: 'escalation' as const,
          caseId: r.caseId,
          step: r.step,
          rung: r.rung.name,
          userId: p.userId,
          to: p.email,
          ...render('escalation', { ...common, recipientName: p.name, reason: REASONS[p.reason] }),
        })),
      );
      return { recipients: people.length, stored, delivery: mailer.kind };
    },

    /**
     * The day's digest: each organizer and approver with an email gets one message listing the open cases
     * of their subtree that are overdue or due within DUE_SOON_WORKING_DAYS; nobody with none gets mail.
     */
    async sendDigests(input: { date: string }): Promise<EscalationResult> {
      const calendar = await loadWorkCalendar(pool);
      const soon = calendar.addWorkingDays(input.date, DUE_SOON_WORKING_DAYS);
      const { rows } = await pool.query<{ userId: string; name: string; email: string; caseId: string; type: CaseType; step: string; dueOn: string; orgName: string }>(
        `SELECT DISTINCT u.id AS "userId", u.display_name AS name, u.email, c.id AS "caseId", c.type, c.current_step AS step,
                to_char(c.current_step_due_on, 'YYYY-MM-DD') AS "dueOn", o.name AS "orgName"
           FROM users u
           JOIN user_roles r ON r.user_id = u.id AND r.role IN ('organizer', 'approver')
           JOIN organizations o ON o.path @> ARRAY[r.organization_id]
           JOIN cases c ON c.organization_id = o.id
          WHERE u.active AND u.email IS NOT NULL AND c.status = 'open' AND c.current_step_due_on IS NOT NULL
            AND c.current_step_due_on <= $1::date
          ORDER BY u.id, "dueOn", c.id`,
        [soon],
      );
      const byUser = new Map<string, { name: string; email: string; items: typeof rows }>();
      for (const row of rows) {
        const u = byUser.get(row.userId) ?? { name: row.name, email: row.email, items: [] };
        u.items.push(row);
        byUser.set(row.userId, u);
      }
      const item = (row: (typeof rows)[number]) => ({
        caseRef: row.caseId.slice(0, 8),
        stepLabel: stepLabel(row.type, row.step),
        organizationName: row.orgName,
        dueOn: row.dueOn,
        daysOverdue: row.dueOn < input.date ? calendar.workingDaysBetween(row.dueOn, input.date) : 0,
        link: caseLink(row.caseId),
      });
      const stored = await store(
        [...byUser.entries()].map(([userId, u]) => {
          const items = u.items.map(item);
          const data = { date: input.date, recipientName: u.name, dueSoonDays: DUE_SOON_WORKING_DAYS, overdue: items.filter((i) => i.dueOn < input.date), dueSoon: items.filter((i) => i.dueOn >= input.date) };
          return { key: `digest:${input.date}:${userId}`, kind: 'digest' as const, caseId: null, step: null, rung: null, userId, to: u.email, ...render('digest', data) };
        }),
      );
      return { recipients: byUser.size, stored, delivery: mailer.kind };
    },
  };
}
