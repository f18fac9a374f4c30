import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMailer } from '../../infra/mail.js';
import { startOutboxRelay, type OutboxMessage, type OutboxRelay } from '../../infra/outbox-relay.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp.js';

/** The outbox relay on a real Postgres and a real SMTP listener: claims, retries, give-up, several relays. */
describe('outbox relay', () => {
  let db: TestDatabase;
  let smtp: SmtpListener;
  const relays: OutboxRelay[] = [];
  const mailers: Array<{ close(): void }> = [];
  /** Messages each relay handed to its transport, by the order the relays were started. */
  const sentBy: number[] = [];
  const relay = (opts: Partial<Parameters<typeof startOutboxRelay>[0]> = {}) => {
    const smtpMailer = createMailer({ smtpUrl: smtp.url, from: 'Ban Tổ chức <btc@test.local>' });
    mailers.push(smtpMailer);
    const index = sentBy.push(0) - 1;
    const mailer = { ...smtpMailer, send: (m: Parameters<typeof smtpMailer.send>[0]) => ((sentBy[index]! += 1), smtpMailer.send(m)) };
    const r = startOutboxRelay({ pool: db.pool, mailer, pollMs: 30, retry: { initialMs: 400, maxMs: 1000 }, ...opts });
    relays.push(r);
    return r;
  };
  /** Digest rows (no case needed), `pending` unless said otherwise. */
  async function store(n: number, tag: string, over: { status?: string; createdAgoMs?: number } = {}): Promise<number[]> {
    const { rows } = await db.pool.query<{ id: number }>(
      `INSERT INTO email_outbox (dedupe_key, kind, to_address, subject, text_body, html_body, status, created_at)
       SELECT $1 || ':' || g, 'digest', 'r' || g || '@test.local', $1 || ' ' || g, 'nội dung', '<p>nội dung</p>', $2, now() - $3::bigint * interval '1 millisecond'
         FROM generate_series(1, $4::int) g RETURNING id`,
      [tag, over.status ?? 'pending', over.createdAgoMs ?? 0, n],
    );
    return rows.map((r) => Number(r.id));
  }
  const rows = async (ids: number[]) =>
    (await db.pool.query<{ id: string; status: string; attempts: number; lastError: string | null; retryInMs: number }>(
      `SELECT id, status, attempts, last_error AS "lastError", (extract(epoch FROM next_attempt_at - claimed_at) * 1000)::float8 AS "retryInMs"
         FROM email_outbox WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    )).rows;
  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 300; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  const settled = (ids: number[]) => until(async () => (await rows(ids)).every((r) => r.status !== 'pending' && r.status !== 'sending'), 'the rows to settle');

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpListener({ refuse: (a) => a.startsWith('gone') });
  });
  beforeEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    for (const m of mailers) m.close();
    await smtp?.stop();
    await db?.drop();
  });

  it('three relays on one database deliver each of 150 messages exactly once', async () => {
    const ids = await store(150, 'many');
    relay({ concurrency: 4 });
    relay({ concurrency: 4 });
    relay({ concurrency: 8 });
    await settled(ids);
    expect((await rows(ids)).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    const subjects = smtp.received.map((r) => r.mail.subject).filter((s) => s?.startsWith('many '));
    expect(subjects).toHaveLength(150);
    expect(new Set(subjects).size).toBe(150);
    // They shared the work (each claims its own rows).
    expect(sentBy.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(sentBy.reduce((a, b) => a + b, 0)).toBe(150);
  });

  it('records the last send of a burst at once (no linger once nothing else is under way), and a burst in one go', async () => {
    // A linger far longer than the test waits: only the idle rule records these.
    relay({ concurrency: 4, recordLingerMs: 60_000 });
    const [one] = await store(1, 'alone');
    await settled([one!]);
    expect((await rows([one!]))[0]).toMatchObject({ status: 'sent', attempts: 1 });
    const burst = await store(30, 'burst');
    await settled(burst);
    expect((await rows(burst)).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    expect(smtp.received.filter((r) => r.mail.subject?.startsWith('burst '))).toHaveLength(30);
  });

  it('backs off after a transient failure (the delay doubles per attempt) and delivers when the server is back', async () => {
    await smtp.stop();
    const [id] = await store(1, 'later');
    relay();
    await until(async () => {
      const [r] = await rows([id!]);
      return r!.attempts === 2 && r!.status === 'pending';
    }, 'a second attempt');
    const second = (await rows([id!]))[0]!;
    // Attempt 1 waited 400 ms, attempt 2 waits 800 ms (counted from its claim; the cap is 1 s).
    expect(second.attempts).toBe(2);
    expect(second.retryInMs).toBeGreaterThanOrEqual(800);
    expect(second.retryInMs).toBeLessThan(1000);
    expect(second.lastError).toMatch(/ECONNREFUSED/);
    await smtp.start();
    await settled([id!]);
    expect((await rows([id!]))[0]).toMatchObject({ status: 'sent', lastError: null });
    expect(smtp.received.filter((r) => r.mail.subject === 'later 1')).toHaveLength(1);
  });

  it('records a permanent refusal as failed after one attempt, and gives up a message pending too long', async () => {
    const { rows: refused } = await db.pool.query<{ id: number }>(
      `INSERT INTO email_outbox (dedupe_key, kind, to_address, subject, text_body, html_body, status) VALUES ('gone', 'digest', 'gone@test.local', 'gone', 't', 'h', 'pending') RETURNING id`,
    );
    const old = await store(1, 'old', { createdAgoMs: 21 * 3_600_000 });
    relay({ giveUpAfterMs: { escalation: 3 * 86_400_000, digest: 20 * 3_600_000 } });
    const ids = [Number(refused[0]!.id), old[0]!];
    await settled(ids);
    const [gone, stale] = await rows(ids);
    expect(gone).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('mailbox unavailable') });
    expect(stale).toMatchObject({ status: 'failed', attempts: 0, lastError: expect.stringContaining('not delivered in time') });
    expect(smtp.received.some((r) => r.mail.subject === 'old 1')).toBe(false);
  });

  it('a message left sending longer than the lease is in doubt, never sent again; a stopped relay hands back what it was given', async () => {
    const [orphan] = await store(1, 'orphan', { status: 'sending' });
    await db.pool.query(`UPDATE email_outbox SET claimed_at = now() - interval '10 seconds', attempts = 1 WHERE id = $1`, [orphan]);
    const r = relay({ leaseMs: 5000 });
    await settled([orphan!]);
    expect((await rows([orphan!]))[0]).toMatchObject({ status: 'in-doubt', attempts: 1 });
    expect(smtp.received.some((m) => m.mail.subject === 'orphan 1')).toBe(false);

    await r.stop();
    const [given] = await store(1, 'given', { status: 'sending' });
    await db.pool.query(`UPDATE email_outbox SET claimed_at = now(), attempts = 1 WHERE id = $1`, [given]);
    const message: OutboxMessage = { id: given!, to: 'r1@test.local', subject: 'given 1', text: 't', html: 'h', attempts: 1 };
    expect(r.reserve(1)).toBe(false);
    r.take([message], 0);
    await until(async () => (await rows([given!]))[0]!.status === 'pending', 'the message to be handed back');
    expect((await rows([given!]))[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('a live relay keeps the claim of a slow send: past the lease it is still its own, recorded sent once', async () => {
    const slow = await startSmtpListener({ beforeReply: () => new Promise((r) => setTimeout(r, 1500)) });
    try {
      const mailer = createMailer({ smtpUrl: slow.url, from: 'Ban Tổ chức <btc@test.local>' });
      mailers.push(mailer);
      const [id] = await store(1, 'slow');
      // Sweeps every 200 ms and would take a claim older than 400 ms for a dead relay's.
      relays.push(startOutboxRelay({ pool: db.pool, mailer, pollMs: 30, leaseMs: 400 }));
      await settled([id!]);
      expect((await rows([id!]))[0]).toMatchObject({ status: 'sent', attempts: 1 });
      expect(slow.received.filter((r) => r.mail.subject === 'slow 1')).toHaveLength(1);
    } finally {
      await Promise.all(relays.splice(0).map((r) => r.stop()));
      await slow.stop();
    }
  });
});
