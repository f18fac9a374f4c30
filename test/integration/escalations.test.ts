import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';
import { escalationActivities } from '../../activities/escalations.js';
import type { Pool } from '../../infra/db/pool.js';
import { loadWorkCalendar } from '../../infra/db/queries/calendar.js';
import { insertPerson } from '../../infra/db/queries/cases.js';
import { createMailer } from '../../infra/mail.js';
import { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from '../../infra/outbox-relay.js';
import { DIGEST_SCHEDULE_ID, ensureDigestSchedule } from '../../infra/schedules.js';
import type { DigestRun } from '../../workflows/digest.js';
import { addDays } from '../../workflows/calendar/dates.js';
import { vietnamDate } from '../../workflows/calendar/work-calendar.js';
import { DEFAULT_LADDER, type EscalationRequest, type EscalationResult } from '../../workflows/escalation.js';
import { admin, approver, createTree, createUser, organizer } from '../helpers/db.js';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp.js';
import { call, startTestStack, type TestStack } from '../helpers/stack.js';
import { devServerConnections, quietLogger, uniqueTaskQueue } from '../helpers/temporal.js';

const PROBE = fileURLToPath(new URL('../fixtures/escalation-probe.ts', import.meta.url));
const KILL_WORKER = fileURLToPath(new URL('../fixtures/escalation-worker.ts', import.meta.url));
const rung = (name: string) => DEFAULT_LADDER.find((r) => r.name === name)!;

describe('escalation emails through the outbox and a real SMTP listener', () => {
  let stack: TestStack;
  let pool: Pool;
  let smtp: SmtpListener;
  let conns: Awaited<ReturnType<typeof devServerConnections>>;
  let tree: Awaited<ReturnType<typeof createTree>>;
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
  let caseId: string;
  let boardToken: string;
  const t = vietnamDate(Date.now());
  /** Set by the kill test: runs while the SMTP server holds its answer to a message. */
  let beforeReply: (() => Promise<void>) | undefined;
  const children: ChildProcess[] = [];
  const mailer = () => createMailer({ smtpUrl: smtp.url, from: 'Ban Tổ chức <btc@test.local>' });
  /** The outbox relay of this process (one at a time: a test may swap it for one with its own pool). */
  let relay: OutboxRelay | undefined;
  async function useRelay(p: Pool | undefined, opts: Partial<OutboxRelayOptions> = {}): Promise<void> {
    await relay?.stop();
    relay = p ? startOutboxRelay({ pool: p, mailer: mailer(), pollMs: 50, retry: { initialMs: 200, maxMs: 1000 }, leaseMs: 60_000, ...opts }) : undefined;
  }
  /** Waits until no escalation or digest row is waiting for (or in the middle of) delivery. */
  async function settled(): Promise<void> {
    for (let i = 0; i < 200; i += 1) {
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_outbox WHERE status IN ('pending', 'sending')`);
      if (rows[0]!.n === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the outbox did not settle');
  }

  /** A worker running the probe workflow on the real activities, waking this process's relay. */
  async function probeWorker(p: Pool): Promise<string> {
    const taskQueue = uniqueTaskQueue('escalation');
    const worker = await Worker.create({
      connection: conns.workerConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: PROBE, logger: quietLogger }),
      activities: escalationActivities({ pool: p, mailer: mailer(), publicUrl: stack.baseUrl, relay: { wake: () => relay?.wake(), reserve: (n) => relay?.reserve(n) ?? false, take: (m, n) => relay?.take(m, n) } }),
    });
    workers.push({ worker, running: worker.run() });
    return taskQueue;
  }
  let taskQueue: string;
  const probe = (r: EscalationRequest, queue = taskQueue) =>
    conns.client.workflow.start('escalationProbe', { taskQueue: queue, workflowId: `probe-${randomUUID()}`, args: [r] });
  const request = (name: string, over: Partial<EscalationRequest> = {}): EscalationRequest => ({
    caseId,
    caseType: 'admission',
    step: 'cell-vote',
    stepKey: '7',
    rung: rung(name),
    dueOn: t,
    firedOn: t,
    daysOverdue: 0,
    actor: { body: 'cell', organizationId: tree.gcell },
    ...over,
  });
  const outbox = async () =>
    (await pool.query<{ to: string; status: string; rung: string; attempts: number; lastError: string | null }>(
      `SELECT to_address AS "to", status, rung, attempts, last_error AS "lastError" FROM email_outbox WHERE kind = 'escalation' ORDER BY id`,
    )).rows;
  const withEmail = async (username: string, roles: Parameters<typeof createUser>[2]) => {
    const u = await createUser(pool, username, roles);
    await pool.query('UPDATE users SET email = $2 WHERE id = $1', [u.id, `${username}@test.local`]);
    return u;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    pool = stack.db.pool;
    conns = await devServerConnections();
    smtp = await startSmtpListener({ refuse: (a) => a.startsWith('gone'), beforeReply: () => beforeReply?.() });
    tree = await createTree(pool);
    boardToken = (await withEmail('board', [organizer(tree.upper)])).token;
    await withEmail('standing', [approver(tree.upper, 'standing-committee')]);
    await withEmail('secretary', [approver(tree.gcell, 'cell')]);
    await withEmail('gone', [approver(tree.gcell, 'cell')]);
    await withEmail('far-away', [organizer(tree.cellP)]);
    const personId = await insertPerson(pool, { fullName: 'Nguyễn Văn Chậm', dateOfBirth: '1996-06-06', organizationId: tree.gcell });
    caseId = randomUUID();
    await pool.query(
      `INSERT INTO cases (id, type, workflow_id, organization_id, person_id, status, current_step, current_step_due_on, rule_set, opened_at, updated_at, last_seq)
       VALUES ($1, 'admission', $2, $3, $4, 'open', 'cell-vote', $5, 'QD294-HD06-2025', now(), now(), 0)`,
      [caseId, `admission:${caseId}`, tree.gcell, personId, t],
    );
    taskQueue = await probeWorker(pool);
    await useRelay(pool);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await useRelay(undefined);
    for (const w of workers) {
      w.worker.shutdown();
      await w.running;
    }
    await conns?.close();
    await smtp?.stop();
    await stack?.stop();
  });

  it('mails each recipient of a rung once, with subject, both parts and a working link; a refused address is recorded, not retried', async () => {
    const result: EscalationResult = await (await probe(request('level-1'))).result();
    // The actor (the cell's approvers) and the secretary are the same people here: each gets one message.
    expect(result).toEqual({ recipients: 2, stored: 2, delivery: 'smtp' });
    await settled();
    expect(smtp.received).toHaveLength(1);
    const { rcpt, mail } = smtp.received[0]!;
    expect(rcpt).toEqual(['secretary@test.local']);
    expect(mail.subject).toContain(`#${caseId.slice(0, 8)}`);
    expect(mail.subject).toContain('Chi bộ xét, đề nghị kết nạp');
    expect(mail.subject).toContain(`hạn ${t.slice(8)}/${t.slice(5, 7)}/${t.slice(0, 4)}`);
    expect(mail.text).toContain('Nguyễn Văn Chậm');
    expect(mail.html).toContain('Nguyễn Văn Chậm');
    const link = `${stack.baseUrl}/cases/${caseId}`;
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    // The link opens the case page for a reader in scope (here the upper committee's organizer).
    const opened = await call(stack.baseUrl, 'GET', `/cases/${caseId}`, undefined, { token: boardToken });
    expect(opened.status).toBe(200);
    expect(opened.body).toContain('Nguyễn Văn Chậm');
    expect(opened.body).toContain('Chi bộ xét, đề nghị kết nạp');
    // The birth date and other personal fields stay out of the message.
    expect(mail.text).not.toContain('1996');
    const rows = await outbox();
    expect(rows.find((r) => r.to === 'gone@test.local')).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('mailbox unavailable') });
    expect(rows.find((r) => r.to === 'secretary@test.local')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('names the days overdue in the subject and climbs the tree: level 2 to the organizing board, level 3 to the standing committee', async () => {
    await (await probe(request('level-2', { daysOverdue: 5, firedOn: addDays(t, 7) }))).result();
    await settled();
    const board = smtp.received.at(-1)!;
    expect(board.rcpt).toEqual(['board@test.local']);
    expect(board.mail.subject).toMatch(/quá hạn 5 ngày làm việc .*5 working days overdue/);
    expect(board.mail.text).toContain('Ban Tổ chức cấp ủy cấp trên');
  });

  it('sends nothing twice when the same rung runs again (a retried activity, a restarted worker)', async () => {
    const before = smtp.received.length;
    const rowsBefore = (await outbox()).length;
    const again = await (await probe(request('level-1'))).result();
    expect(again).toEqual({ recipients: 2, stored: 0, delivery: 'smtp' });
    await settled();
    expect(smtp.received.length).toBe(before);
    expect((await outbox()).length).toBe(rowsBefore);
  });

  it('a rung whose step was signed meanwhile (a send retried after the case moved on) mails nobody', async () => {
    const before = smtp.received.length;
    const result = await (await probe(request('level-3', { step: 'opinions', stepKey: '6' }))).result();
    expect(result).toEqual({ recipients: 0, stored: 0, delivery: 'smtp' });
    await settled();
    expect(smtp.received.length).toBe(before);
  });

  it('a message still waiting when its step is signed (the SMTP server was away) is set aside as obsolete, not sent late', async () => {
    await smtp.stop();
    const result = await (await probe(request('reminder', { stepKey: '9', rung: { name: 'nudge', offsetWorkingDays: -3, to: ['actor'] } }))).result();
    // The cell's two approvers (one of whom the server would refuse: unknown while it is away).
    expect(result).toMatchObject({ recipients: 2, stored: 2 });
    const waiting = async () => (await outbox()).filter((r) => r.rung === 'nudge');
    for (let i = 0; i < 100 && !(await waiting()).every((r) => r.attempts >= 1 && r.status === 'pending'); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect((await waiting()).map((r) => r.status)).toEqual(['pending', 'pending']);
    await pool.query(`UPDATE cases SET current_step = 'opinions' WHERE id = $1`, [caseId]);
    const before = smtp.received.length;
    await smtp.start();
    try {
      await settled();
      const setAside = await waiting();
      expect(setAside.map((r) => r.status)).toEqual(['obsolete', 'obsolete']);
      expect(setAside.every((r) => r.lastError?.includes('signed'))).toBe(true);
      expect(smtp.received.length).toBe(before);
    } finally {
      await pool.query(`UPDATE cases SET current_step = 'cell-vote' WHERE id = $1`, [caseId]);
    }
  });

  it('reads ladders per step from escalation_ladders, leaving out a malformed one (the default applies)', async () => {
    const custom = [{ name: 'level-1', offsetWorkingDays: 2, to: ['actor'] }];
    await pool.query(`INSERT INTO escalation_ladders (case_type, step, rungs) VALUES ('admission', 'verification', $1), ('admission', 'opinions', $2)`, [
      JSON.stringify(custom),
      JSON.stringify([{ name: 'level-1', offsetWorkingDays: 'soon', to: 'everyone' }]),
    ]);
    const acts = escalationActivities({ pool, mailer: createMailer({ smtpUrl: undefined, from: 'x' }), publicUrl: stack.baseUrl });
    const policy: Record<string, unknown> = await new MockActivityEnvironment().run(acts.loadEscalationPolicy, 'admission' as const);
    expect(policy.verification).toEqual(custom);
    expect(policy.opinions).toBeUndefined();
    expect(policy['*']).toEqual(DEFAULT_LADDER);
    await pool.query(`DELETE FROM escalation_ladders`);
  });

  it('retries while the SMTP listener is down and delivers once it is back', async () => {
    await smtp.stop();
    // The activity stores the message and is done; the relay keeps trying.
    expect(await (await probe(request('level-3', { daysOverdue: 15 }))).result()).toEqual({ recipients: 1, stored: 1, delivery: 'smtp' });
    for (let i = 0; i < 100; i += 1) {
      const row = (await outbox()).find((r) => r.rung === 'level-3');
      if (row && row.attempts >= 2 && row.status === 'pending') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const pending = (await outbox()).find((r) => r.rung === 'level-3')!;
    expect(pending).toMatchObject({ to: 'standing@test.local', status: 'pending', lastError: expect.stringContaining('ECONNREFUSED') });
    expect(pending.attempts).toBeGreaterThanOrEqual(2);
    const before = smtp.received.length;
    await smtp.start();
    await settled();
    const arrived = smtp.received.slice(before);
    expect(arrived.map((m) => m.rcpt)).toEqual([['standing@test.local']]);
    expect((await outbox()).find((r) => r.rung === 'level-3')).toMatchObject({ status: 'sent', lastError: null });
  });

  it('a delivery Postgres cannot record at first (it went away just after the SMTP server took the message) is recorded when it answers: sent once', async () => {
    // The relay's pool refuses the "sent" update twice, as a Postgres restart would.
    let refusals = 2;
    const flaky = new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (sql: string | { text: string }, params?: unknown[]) => {
          const text = typeof sql === 'string' ? sql : sql.text;
          if (refusals > 0 && text.includes("SET status = 'sent'")) {
            refusals -= 1;
            return Promise.reject(new Error('connection terminated (injected)'));
          }
          return (target.query as (...args: unknown[]) => Promise<unknown>).call(target, sql, params);
        };
      },
    }) as Pool;
    const errors: string[] = [];
    await useRelay(flaky, { onError: (err, context) => errors.push(`${context}: ${(err as Error).message}`) });
    try {
      const before = smtp.received.length;
      await (await probe(request('reminder', { stepKey: '8', actor: { body: 'standing-committee', organizationId: tree.upper } }))).result();
      await settled();
      expect(refusals).toBe(0); // the failures were injected
      expect(errors).toEqual(['record a delivery: connection terminated (injected)', 'record a delivery: connection terminated (injected)']);
      expect(smtp.received.slice(before).map((m) => m.rcpt)).toEqual([['standing@test.local']]);
      expect((await outbox()).filter((r) => r.rung === 'reminder')).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
    } finally {
      await useRelay(pool);
    }
  });

  it('a worker process killed (SIGKILL) after the SMTP server took the message, before the outbox update, sends no duplicate: in doubt, reported', async () => {
    // The worker processes' relays deliver here (this process's one stands aside).
    await useRelay(undefined);
    const queue = uniqueTaskQueue('kill');
    const spawnWorker = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', KILL_WORKER], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATABASE_URL: stack.db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: queue, SMTP_URL: smtp.url, PUBLIC_URL: stack.baseUrl, LEASE_MS: '1500' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`worker did not start: ${out}`)), 60_000);
        const onData = (b: Buffer) => {
          out += b.toString();
          if (out.includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
      });
      return child;
    };
    try {
      const first = await spawnWorker();
      let killed = false;
      beforeReply = async () => {
        beforeReply = undefined;
        const exited = new Promise((r) => first.once('exit', r));
        first.kill('SIGKILL');
        await exited;
        killed = true;
      };
      const before = smtp.received.length;
      await probe(request('level-1', { stepKey: '6', actor: null, rung: { name: 'level-1', offsetWorkingDays: 0, to: ['organizing-board'] } }), queue);
      for (let i = 0; i < 200 && !killed; i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(killed).toBe(true);
      const mine = async () => (await outbox()).filter((r) => r.rung === 'level-1' && r.to === 'board@test.local');
      expect(await mine()).toEqual([expect.objectContaining({ status: 'sending', attempts: 1 })]);
      // A new worker's relay finds the message claimed by a sender gone longer than the lease: in doubt, not re-sent.
      await spawnWorker();
      for (let i = 0; i < 200 && (await mine())[0]?.status === 'sending'; i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(await mine()).toEqual([expect.objectContaining({ status: 'in-doubt', attempts: 1 })]);
      expect(smtp.received.slice(before).map((m) => m.rcpt)).toEqual([['board@test.local']]);
      // Reported to the admins.
      const adminToken = (await createUser(pool, 'outbox-admin', [admin()])).token;
      const reported = await call(stack.baseUrl, 'GET', '/api/v1/outbox?status=in-doubt', undefined, { token: adminToken });
      expect(reported.body.items.map((m: { to: string }) => m.to)).toContain('board@test.local');
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await useRelay(pool);
    }
  });

  it('the daily digest: one message per recipient with the overdue and due-soon cases of their scope; none for a user with nothing', async () => {
    const calendar = await loadWorkCalendar(pool);
    const dueSoon = calendar.addWorkingDays(t, 2);
    const later = calendar.addWorkingDays(t, 30);
    const soonCase = randomUUID();
    const laterCase = randomUUID();
    for (const [id, org, due] of [[soonCase, tree.gcell2, dueSoon], [laterCase, tree.gcell, later]] as const) {
      await pool.query(
        `INSERT INTO cases (id, type, workflow_id, organization_id, status, current_step, current_step_due_on, rule_set, opened_at, updated_at, last_seq)
         VALUES ($1, 'admission', $2, $3, 'open', 'application', $4, 'QD294-HD06-2025', now(), now(), 0)`,
        [id, `admission:${id}`, org, due],
      );
    }
    // The first case was due a week ago.
    const overdueOn = addDays(t, -7);
    await pool.query('UPDATE cases SET current_step_due_on = $2 WHERE id = $1', [caseId, overdueOn]);
    const acts = escalationActivities({ pool, mailer: createMailer({ smtpUrl: undefined, from: 'x' }), publicUrl: stack.baseUrl });
    const env = new MockActivityEnvironment();
    const date = vietnamDate(Date.now());
    type Tally = Awaited<ReturnType<typeof acts.sendDigests>>;
    const first = (await env.run(acts.sendDigests, { date })) as Tally;
    const second = (await env.run(acts.sendDigests, { date })) as Tally;
    // A second run the same day (a retried activity) stores and sends nothing more.
    expect(first.stored).toBe(first.recipients);
    expect(second).toEqual({ ...first, stored: 0 });
    const { rows } = await pool.query<{ to: string; subject: string; text: string; status: string }>(
      `SELECT to_address AS "to", subject, text_body AS text, status FROM email_outbox WHERE kind = 'digest' ORDER BY to_address`,
    );
    const of = (to: string) => rows.filter((r) => r.to === to);
    // The upper committee's organizer sees both cells; the cell's approver only its own; the partial cell's organizer nothing.
    expect(of('board@test.local')).toHaveLength(1);
    expect(of('board@test.local')[0]!.subject).toMatch(/1 hồ sơ quá hạn, 1 sắp đến hạn/);
    expect(of('board@test.local')[0]!.text).toContain(`#${soonCase.slice(0, 8)}`);
    expect(of('board@test.local')[0]!.text).not.toContain(`#${laterCase.slice(0, 8)}`);
    expect(of('secretary@test.local')[0]!.subject).toMatch(/1 hồ sơ quá hạn, 0 sắp đến hạn/);
    expect(of('secretary@test.local')[0]!.text).toContain(`#${caseId.slice(0, 8)}`);
    expect(of('secretary@test.local')[0]!.text).toContain(`quá ${calendar.workingDaysBetween(overdueOn, date)} ngày làm việc`);
    expect(of('far-away@test.local')).toEqual([]);
    expect(rows.every((r) => r.status === 'local')).toBe(true);
    expect(rows.length).toBe(first.recipients);
  });

  it('shows stalled cases in the API: overdue=true, dueWithin=N working days, and days overdue per case', async () => {
    const calendar = await loadWorkCalendar(pool);
    const today = vietnamDate(Date.now());
    const list = async (query: string) => call(stack.baseUrl, 'GET', `/api/v1/cases?${query}`, undefined, { token: boardToken });
    const overdue = await list('overdue=true');
    expect(overdue.status).toBe(200);
    const late = overdue.body.items.find((c: { id: string }) => c.id === caseId);
    expect(late).toMatchObject({ currentStepDueOn: addDays(today, -7), daysOverdue: calendar.workingDaysBetween(addDays(today, -7), today) });
    expect(overdue.body.items.every((c: { daysOverdue: number }) => c.daysOverdue > 0)).toBe(true);
    const soon = await list('dueWithin=5');
    const soonIds = soon.body.items.map((c: { id: string; currentStepDueOn: string }) => c.currentStepDueOn);
    expect(soonIds.length).toBeGreaterThan(0);
    expect(soonIds.every((d: string) => d >= today && d <= calendar.addWorkingDays(today, 5))).toBe(true);
    expect(soon.body.items.every((c: { daysOverdue: number }) => c.daysOverdue === 0)).toBe(true);
    const bad = await list('dueWithin=soon');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([expect.objectContaining({ field: 'dueWithin' })]);
  });

  it('the digest schedule is created once (a second start updates it) and its workflow mails the day\'s digest', async () => {
    expect(await ensureDigestSchedule(conns.client, stack.taskQueue)).toMatch(/created|updated/);
    expect(await ensureDigestSchedule(conns.client, stack.taskQueue)).toBe('updated');
    const handle = conns.client.schedule.getHandle(DIGEST_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Asia/Ho_Chi_Minh');
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 7, end: 7, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dailyDigestWorkflow', taskQueue: stack.taskQueue });
    // Run it now, as 07:30 would: the stack's worker runs the digest workflow against this database.
    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i += 1) {
      workflowId = (await handle.describe()).info.recentActions.at(-1)?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 100));
    }
    const run = (await conns.client.workflow.getHandle(workflowId!).result()) as DigestRun;
    const working = (await loadWorkCalendar(pool)).dayInfo(run.date).working;
    expect(run.date).toBe(vietnamDate(Date.now()));
    if (working) expect(run.recipients).toBeGreaterThan(0);
    else expect(run).toEqual({ date: run.date, skipped: 'not a working day' });
    await handle.delete();
  });
});
