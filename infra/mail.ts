/**
 * Outgoing mail through nodemailer: pooled SMTP transports, in threads of their own, when SMTP_URL is set;
 * otherwise none (the outbox keeps the messages for the UI). Errors are sorted by `classifyMailError`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

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

/** Thrown for the sends a sender thread had when it stopped: the server may or may not have taken them. */
export class SenderStoppedError extends Error {
  override readonly name = 'SenderStoppedError';
}

const SENDER = new URL('./smtp-sender.mjs', import.meta.url);

/** SMTP connections in all: the pooled transport's, shared among the sender threads. */
export const SMTP_CONNECTIONS = 4;

/** SMTP_CONNECTIONS shared among `threads` sender threads as evenly as they go (3 threads: 2, 1, 1). */
export function splitConnections(threads: number): number[] {
  return Array.from({ length: threads }, (_, i) => Math.floor(SMTP_CONNECTIONS / threads) + (i < SMTP_CONNECTIONS % threads ? 1 : 0));
}

/**
 * With an SMTP server: pooled transports (SMTP_CONNECTIONS connections in all) in worker threads of their own
 * (infra/smtp-sender.mjs), so that MIME encoding and SMTP conversations never share the event loop with the
 * activities. `threads` (default: 2, or 1 on a single core) split the connections between them: nodemailer
 * builds each message's MIME on its thread, and one thread is busy for as long as a message takes to
 * encode, so two keep both cores of a small machine sending. A send goes to the thread with the fewest sends
 * under way. Each thread starts with its first send and, should it ever stop, the sends it had fail as in
 * doubt (never sent twice) and the next send it is given starts a new one. `sender` is the thread's script
 * (tests give one that stops mid-send).
 */
export function createMailer(opts: { smtpUrl: string | undefined; from: string; sender?: URL; threads?: number }): Mailer {
  if (!opts.smtpUrl) return { kind: 'local', send: async () => undefined, close: () => undefined };
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(2, availableParallelism()), SMTP_CONNECTIONS));
  const connections = splitConnections(threads);
  const smtpUrl = opts.smtpUrl;
  type Waiting = { resolve: () => void; reject: (err: Error) => void };
  type Thread = { worker: Worker; waiting: Map<number, Waiting> };
  /** One slot per sender thread: its thread while it runs. */
  const slots: Array<Thread | undefined> = Array.from({ length: threads }, () => undefined);
  let sequence = 0;
  let closed = false;

  function start(slot: number): Thread {
    const worker = new Worker(opts.sender ?? SENDER, { workerData: { smtpUrl, from: opts.from, maxConnections: connections[slot]! } });
    const started: Thread = { worker, waiting: new Map<number, Waiting>() };
    // Idle, the thread does not keep the process alive; while it has sends, it does (as their sockets would).
    worker.unref();
    worker.on('message', (reply: { id: number; error?: Record<string, unknown> }) => {
      const w = started.waiting.get(reply.id);
      if (!w) return;
      started.waiting.delete(reply.id);
      if (!started.waiting.size) worker.unref();
      if (reply.error) w.reject(Object.assign(new Error(String(reply.error.message)), reply.error));
      else w.resolve();
    });
    const stopped = (why: string) => {
      if (slots[slot] === started) slots[slot] = undefined;
      for (const w of started.waiting.values()) w.reject(new SenderStoppedError(`the SMTP sender thread stopped (${why}) while sending`));
      started.waiting.clear();
    };
    worker.on('error', (err) => stopped(err.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    return started;
  }

  /** The slot with the fewest sends under way (the first of those tied: one thread while sends come one at a time). */
  function leastBusy(): number {
    let best = 0;
    for (let i = 1; i < slots.length; i += 1) if ((slots[i]?.waiting.size ?? 0) < (slots[best]?.waiting.size ?? 0)) best = i;
    return best;
  }

  return {
    kind: 'smtp',
    send(m) {
      if (closed) return Promise.reject(new SenderStoppedError('the mailer is closed'));
      const slot = leastBusy();
      const t = (slots[slot] ??= start(slot));
      const id = (sequence += 1);
      return new Promise<void>((resolve, reject) => {
        t.waiting.set(id, { resolve, reject });
        t.worker.ref();
        t.worker.postMessage({ id, mail: { to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId } });
      });
    },
    close() {
      closed = true;
      // Each thread closes its pooled connections, answers the sends it has, and ends.
      for (const t of slots) t?.worker.postMessage({ close: true });
    },
  };
}
