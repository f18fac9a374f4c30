import { BroadcastChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyMailError, createMailer, SenderStoppedError, splitConnections, type Mailer } from '../../infra/mail.js';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp.js';

/**
 * The pooled SMTP transport outlives the mail server going away: the dropped connection must not end the
 * process (an unheard 'error' event would), and the next send goes through once the server is back.
 */
describe('pooled mailer across a mail-server outage', () => {
  let smtp: SmtpListener;
  let mailer: Mailer;

  beforeAll(async () => {
    smtp = await startSmtpListener();
    mailer = createMailer({ smtpUrl: smtp.url, from: 'Ban Tổ chức <no-reply@test.local>' });
  });
  afterAll(async () => {
    mailer?.close();
    await smtp?.stop();
  });

  it('keeps running when the server drops its pooled connection, and sends again after it returns', async () => {
    const message = (n: number) => ({ to: 'a@test.local', subject: `Thử ${n}`, text: 'nội dung', html: '<p>nội dung</p>', messageId: `<t${n}@test.local>` });
    await mailer.send(message(1));
    await smtp.stop(); // the pooled connection is cut while idle
    await new Promise((r) => setTimeout(r, 500));
    await expect(mailer.send(message(2))).rejects.toThrow();
    await smtp.start();
    await mailer.send(message(3));
    expect(smtp.received.map((r) => r.mail.subject)).toEqual(['Thử 1', 'Thử 3']);
  });
});

describe('the SMTP sender thread', () => {
  let smtp: SmtpListener;
  beforeAll(async () => {
    smtp = await startSmtpListener();
  });
  afterAll(async () => {
    await smtp?.stop();
  });
  const message = (subject: string) => ({ to: 'a@test.local', subject, text: 'nội dung', html: '<p>nội dung</p>', messageId: `<${subject}@test.local>` });

  it('a thread that stops mid-send fails its sends as in doubt, and the next send starts a new thread', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'btc@test.local', sender: new URL('../fixtures/crashing-smtp-sender.mjs', import.meta.url) });
    try {
      await mailer.send(message('before'));
      const err = await mailer.send(message('crash')).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SenderStoppedError);
      expect(classifyMailError(err)).toBe('in-doubt');
      await mailer.send(message('after'));
      expect(smtp.received.map((r) => r.mail.subject)).toEqual(['before', 'after']);
    } finally {
      mailer.close();
    }
  });

  it('shares the 4 SMTP connections among the threads, none left out', () => {
    expect([1, 2, 3, 4].map(splitConnections)).toEqual([[4], [2, 2], [2, 1, 1], [1, 1, 1, 1]]);
  });

  it('sends from two threads, two connections each: a burst is shared between them, one send at a time goes to the first', async () => {
    const seen: Array<{ threadId: number; subject: string }> = [];
    const channel = new BroadcastChannel('smtp-sender-threads');
    channel.onmessage = (e) => seen.push((e as MessageEvent).data);
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'btc@test.local', threads: 2, sender: new URL('../fixtures/thread-reporting-smtp-sender.mjs', import.meta.url) });
    try {
      const before = smtp.received.length;
      await mailer.send(message('one'));
      await mailer.send(message('two'));
      const burst = Array.from({ length: 12 }, (_, i) => `burst ${i}`);
      await Promise.all(burst.map((s) => mailer.send(message(s))));
      expect(smtp.received.slice(before).map((r) => r.mail.subject).sort()).toEqual([...burst, 'one', 'two'].sort());
      // The channel's messages may trail the replies.
      for (let i = 0; i < 100 && seen.length < 14; i += 1) await new Promise((r) => setTimeout(r, 10));
      const by = (subject: string) => seen.find((x) => x.subject === subject)?.threadId;
      expect(by('one')).toBeDefined();
      expect(by('two')).toBe(by('one'));
      const threads = new Set(burst.map(by));
      expect(threads.size).toBe(2);
      // Half each: every send goes to the thread with fewer under way.
      expect(burst.filter((s) => by(s) === by('one'))).toHaveLength(6);
    } finally {
      channel.close();
      mailer.close();
    }
  });

  it('answers the sends under way when closed, then refuses new ones', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'btc@test.local' });
    const before = smtp.received.length;
    const sending = mailer.send(message('last'));
    mailer.close();
    await expect(sending).resolves.toBeUndefined();
    await expect(mailer.send(message('late'))).rejects.toBeInstanceOf(SenderStoppedError);
    expect(smtp.received.slice(before).map((r) => r.mail.subject)).toEqual(['last']);
  });
});
