/**
 * Outgoing mail through nodemailer: a pooled SMTP transport when SMTP_URL is set, otherwise none (the
 * outbox keeps the messages for the UI). Errors are sorted by `classifyMailError`.
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

/**
 * What a failed send means for its message:
 * - 'permanent': the server refused it with a 5xx reply (retrying cannot help): recorded and reported;
 * - 'retry': it certainly did not take the message — a 4xx reply, or no conversation at all (the address
 *   could not be resolved or reached, the connection or greeting timed out): sent again later;
 * - 'in-doubt': anything else (the connection dropped or timed out mid-conversation, perhaps after the
 *   server had the whole message): sending again could deliver it twice, so it is reported instead.
 */
export type MailFailure = 'permanent' | 'retry' | 'in-doubt';

const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

export function classifyMailError(err: unknown): MailFailure {
  const e = (err ?? {}) as { responseCode?: unknown; code?: unknown; originalCode?: unknown; timeoutType?: unknown };
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) return 'permanent';
  if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500) return 'retry';
  if (e.code === 'EDNS') return 'retry';
  if (typeof e.originalCode === 'string' && NEVER_CONNECTED.has(e.originalCode)) return 'retry';
  if (typeof e.code === 'string' && NEVER_CONNECTED.has(e.code)) return 'retry';
  if (e.code === 'ETIMEDOUT' && (e.timeoutType === 'CONNECT_TIMEOUT' || e.timeoutType === 'GREETING_TIMEOUT')) return 'retry';
  return 'in-doubt';
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
