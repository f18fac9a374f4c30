import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../infra/mail.js';
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
