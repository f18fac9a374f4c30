/**
 * Outgoing mail through nodemailer: a pooled SMTP transport when SMTP_URL is set, otherwise none (the
 * outbox keeps the messages for the UI). Errors are sorted into permanent (the server refused the message
 * or the address with a 5xx reply: retrying cannot help) and transient (anything else: retry later).
 */
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Stable per outbox row, so a receiving system can tell copies apart. */
  readonly messageId: string;
}

export interface Mailer {
  /** 'local': nothing leaves the machine; messages stay in the outbox. */
  readonly kind: 'smtp' | 'local';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A refusal the server will repeat (5xx): recorded and reported instead of retried. */
export function isPermanentMailError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function createMailer(opts: { smtpUrl: string | undefined; from: string }): Mailer {
  if (!opts.smtpUrl) return { kind: 'local', send: async () => undefined, close: () => undefined };
  const transport = nodemailer.createTransport({
    pool: true,
    url: opts.smtpUrl,
    maxConnections: 4,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  // A pooled connection the server drops (a restart, an outage) is reported as an 'error' event on the
  // transport; unheard, it would end the worker. The send it hit fails on its own and the outbox retries it.
  transport.on('error', () => undefined);
  return {
    kind: 'smtp',
    async send(m) {
      await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId });
    },
    close: () => transport.close(),
  };
}
