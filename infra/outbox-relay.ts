/**
 * The outbox relay: delivers what the escalation and digest activities stored in `email_outbox`.
 *
 * Each worker with an SMTP server runs one. It claims due `pending` rows (pending → sending, committed,
 * `FOR UPDATE SKIP LOCKED` so several relays never take the same row) a few at a time — or is handed rows
 * its own process stored already claimed — keeps up to `concurrency` messages with the pooled transport,
 * and records each outcome (see `classifyMailError`):
 * - accepted → `sent` (recorded together with the other sends of the moment; retried while Postgres is
 *   away, since the message did go);
 * - a 5xx refusal → `failed`, reported and never retried;
 * - not taken for certain (a 4xx reply, the server unreachable) → back to `pending`, the next attempt after
 *   a delay that doubles from `retry.initialMs` up to `retry.maxMs`; given up as `failed` after
 *   `giveUpAfterMs`;
 * - any other failure (the connection dropped mid-conversation) → `in-doubt`: reported, never sent again.
 * While a relay holds rows it renews their claim every quarter lease; a row left `sending` longer than
 * `leaseMs` belonged to a relay that died between the claim and recording the server's answer: it may have
 * been delivered, so it becomes `in-doubt` too. An escalation whose step was signed, or whose case closed,
 * before it was claimed becomes `obsolete`.
 *
 * The activities hand the relay of their process what they store (or wake it); a relay also looks every
 * `pollMs` (messages stored by another worker, retries coming due).
 */
import type { Pool } from './db/pool.js';
import { classifyMailError, type Mailer } from './mail.js';

export interface OutboxRelayOptions {
  readonly pool: Pool;
  readonly mailer: Mailer;
  /** Messages handed to the transport at once (it queues those beyond its connections). Default 8. */
  readonly concurrency?: number;
  /** How often an idle relay looks for due rows, in ms. Default 1000. */
  readonly pollMs?: number;
  /** Delay before the next attempt after a transient failure: initialMs, doubled per attempt, at most maxMs. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  /** A row `sending` whose claim was not renewed for this long (ms) is in doubt. Default 2 minutes (renewed every 30 s). */
  readonly leaseMs?: number;
  /** A message not delivered this long (ms) after it was stored is given up as failed. Default 3 days (a digest: 20 hours, before the next one). */
  readonly giveUpAfterMs?: { readonly escalation: number; readonly digest: number };
  /** How long a delivery may wait to be recorded with others (ms) while more are under way. Default 20. */
  readonly recordLingerMs?: number;
  /** Errors of the relay itself (Postgres away): ids and messages only. */
  readonly onError?: (err: unknown, context: string) => void;
}

export interface OutboxRelay {
  /** Settles when the first sweep is done and the relay looks for due rows. */
  readonly ready: Promise<void>;
  /** Messages were stored `pending`: look now instead of at the next poll. */
  wake(): void;
  /**
   * Reserves room for `n` messages this process is about to store already claimed; false when the relay
   * holds enough (3 × concurrency, waiting or with the transport): then they are stored `pending`.
   */
  reserve(n: number): boolean;
  /** The messages stored under a reservation of `reserved` (fewer when some keys were stored before; none when the insert failed). */
  take(messages: readonly OutboxMessage[], reserved: number): void;
  /** Stops claiming, releases what was claimed but not handed to SMTP, waits for the sends in flight. */
  stop(): Promise<void>;
}

/** A stored message, claimed for sending. */
export interface OutboxMessage {
  readonly id: number;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attempts: number;
}

export const RELAY_DEFAULTS = { concurrency: 8, pollMs: 1000, retry: { initialMs: 30_000, maxMs: 600_000 }, leaseMs: 120_000, giveUpAfterMs: { escalation: 3 * 86_400_000, digest: 20 * 3_600_000 } };

/**
 * How long a delivery waits to be recorded with the others of the moment, and how many (× concurrency)
 * are recorded at once without waiting: one statement per batch instead of one per few messages. A relay
 * that dies in this window leaves those rows in doubt (as it would with the record written but not flushed).
 */
const RECORD_LINGER_MS = 20;
const RECORD_BATCH_PER_SLOT = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Postgres is away or restarting (worth waiting for), as opposed to a statement it will always refuse. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code !== 'string' || /^(08|53|57P)/.test(code) || /^E[A-Z]+$/.test(code);
}

/** Error text for `last_error`: bounded, and without the NUL Postgres text refuses. */
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\0/g, '').slice(0, 1000);

export function startOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const { pool, mailer } = opts;
  const concurrency = opts.concurrency ?? RELAY_DEFAULTS.concurrency;
  const pollMs = opts.pollMs ?? RELAY_DEFAULTS.pollMs;
  const retry = opts.retry ?? RELAY_DEFAULTS.retry;
  const leaseMs = opts.leaseMs ?? RELAY_DEFAULTS.leaseMs;
  const giveUpAfterMs = opts.giveUpAfterMs ?? RELAY_DEFAULTS.giveUpAfterMs;
  const onError = opts.onError ?? (() => undefined);
  const recordLingerMs = opts.recordLingerMs ?? RECORD_LINGER_MS;

  let stopped = false;
  /** The claim in progress, if any. */
  let claiming: Promise<void> | undefined;
  /** Rows may be due: set by a wake, by the poll and by a claim that took all it asked for. */
  let mayBeDue = false;
  /** Claimed, not yet handed to the transport (a few times `concurrency` at most). */
  const queue: OutboxMessage[] = [];
  /** Room promised to activities storing claimed messages. */
  let reserved = 0;
  /** Messages with the transport, and outcomes being recorded. */
  const inFlight = new Set<Promise<void>>();
  const recording = new Set<Promise<void>>();
  /** Rows this relay holds `sending` (queued, with the transport, or awaiting their record): their claim is renewed. */
  const held = new Set<number>();

  /**
   * Until it works, while Postgres is away; a statement it refuses is reported once (the row is then left to
   * the lease: in doubt, never sent twice). Gives up when the relay stops.
   */
  async function persist(context: string, write: () => Promise<unknown>): Promise<void> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await write();
        return;
      } catch (err) {
        onError(err, context);
        if (stopped || !isConnectionError(err)) return;
        await sleep(delay);
      }
    }
  }

  // Deliveries are recorded a few milliseconds later (at once when nothing else is under way), many in one
  // statement, and without waiting for the disk: if the relay or Postgres stopped before the record was
  // written or flushed, the row would be found `sending` and reported in doubt (never sent again). The
  // claim before the send does wait.
  let delivered: Array<{ id: number; messageId: string }> = [];
  let flushTimer: NodeJS.Timeout | undefined;
  function recordSent(m: { id: number; messageId: string }): Promise<void> | undefined {
    delivered.push(m);
    if (delivered.length < RECORD_BATCH_PER_SLOT * concurrency) {
      flushTimer ??= setTimeout(() => track(flushSent()), recordLingerMs);
      return undefined;
    }
    return flushSent();
  }
  function flushSent(): Promise<void> {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const batch = delivered;
    delivered = [];
    if (!batch.length) return Promise.resolve();
    return persist('record a delivery', () =>
      pool.query({
        name: 'outbox-sent',
        text: `UPDATE email_outbox o SET status = 'sent', sent_at = now(), message_id = x.mid, last_error = NULL
                 FROM unnest($1::bigint[], $2::text[]) AS x(id, mid), (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
                WHERE o.id = x.id AND o.status IN ('sending', 'in-doubt')`,
        values: [batch.map((o) => o.id), batch.map((o) => o.messageId)],
      }),
    ).finally(() => {
      for (const o of batch) held.delete(o.id);
    });
  }
  /** A write of outcomes in progress: stop() waits for it. */
  function track(write: Promise<void> | undefined): void {
    if (!write) return;
    const tracked = write.catch((err) => onError(err, 'record')).finally(() => recording.delete(tracked));
    recording.add(tracked);
  }

  /**
   * Hands one message to the transport. Resolves when the server has answered, with the write that records
   * the answer: the message's place with the transport is free while that write runs.
   */
  async function send(m: OutboxMessage): Promise<() => Promise<void> | undefined> {
    const messageId = `<outbox-${m.id}@admissions.local>`;
    try {
      await mailer.send({ to: m.to, subject: m.subject, text: m.text, html: m.html, messageId });
    } catch (err) {
      const message = errorText(err);
      const outcome = classifyMailError(err);
      const done = () => held.delete(m.id);
      if (outcome === 'retry') {
        const delay = Math.round(Math.min(retry.maxMs, retry.initialMs * 2 ** Math.max(0, m.attempts - 1)));
        return () =>
          persist('put a message back', () =>
            pool.query(
              `UPDATE email_outbox SET status = 'pending', last_error = $2, next_attempt_at = now() + $3::bigint * interval '1 millisecond'
                WHERE id = $1 AND status IN ('sending', 'in-doubt')`,
              [m.id, message, delay],
            ),
          ).finally(done);
      }
      return () =>
        persist(`record ${outcome === 'permanent' ? 'a refusal' : 'a send in doubt'}`, () =>
          pool.query(`UPDATE email_outbox SET status = $2, last_error = $3 WHERE id = $1`, [m.id, outcome === 'permanent' ? 'failed' : 'in-doubt', message]),
        ).finally(done);
    }
    return () => recordSent({ id: m.id, messageId });
  }

  /**
   * Renews the claim of the rows this relay holds, so that no relay's sweep takes a live relay's slow
   * send (the transport may wait on a slow server) for a dead one's.
   */
  async function renew(): Promise<void> {
    if (!held.size) return;
    await pool.query(`UPDATE email_outbox SET claimed_at = now() WHERE id = ANY($1::bigint[]) AND status = 'sending'`, [[...held]]);
  }

  /** Rows a dead relay left `sending` become in doubt; rows pending too long are given up. Every half lease (at most 30 s). */
  async function sweep(): Promise<void> {
    await pool.query(
      `UPDATE email_outbox SET status = 'in-doubt', last_error = 'the sender stopped between sending and recording'
        WHERE status = 'sending' AND claimed_at < now() - $1::bigint * interval '1 millisecond'`,
      [leaseMs],
    );
    await pool.query(
      `UPDATE email_outbox SET status = 'failed', last_error = 'not delivered in time; last error: ' || coalesce(last_error, 'none')
        WHERE status = 'pending' AND created_at < now() - CASE kind WHEN 'digest' THEN $2::bigint ELSE $1::bigint END * interval '1 millisecond'`,
      [giveUpAfterMs.escalation, giveUpAfterMs.digest],
    );
  }

  /** Claims up to n due rows: those to send, and how many rows it took in all (obsolete ones included). */
  async function claim(n: number): Promise<{ send: OutboxMessage[]; taken: number }> {
    // The due rows, oldest due first; an escalation whose case moved on is set aside, not sent late.
    const { rows } = await pool.query<OutboxMessage & { status: string }>({
      name: 'outbox-claim',
      text: `WITH due AS (
               SELECT o.id, (c.id IS NOT NULL AND (c.status <> 'open' OR c.current_step IS DISTINCT FROM o.step)) AS stale
                 FROM email_outbox o LEFT JOIN cases c ON o.kind = 'escalation' AND c.id = o.case_id
                WHERE o.status = 'pending' AND o.next_attempt_at <= now()
                ORDER BY o.next_attempt_at, o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED)
             UPDATE email_outbox o
                SET status = CASE WHEN due.stale THEN 'obsolete' ELSE 'sending' END,
                    claimed_at = now(),
                    attempts = o.attempts + CASE WHEN due.stale THEN 0 ELSE 1 END,
                    last_error = CASE WHEN due.stale THEN 'the step was signed or the case closed before the message could go' ELSE o.last_error END
               FROM due WHERE o.id = due.id
          RETURNING o.id, o.status, o.to_address AS "to", o.subject, o.text_body AS text, o.html_body AS html, o.attempts`,
      values: [n],
    });
    return { send: rows.filter((r) => r.status === 'sending').sort((a, b) => a.id - b.id), taken: rows.length };
  }

  function pump(): void {
    if (stopped) return;
    while (inFlight.size < concurrency && queue.length) {
      const m = queue.shift()!;
      const sending: Promise<void> = send(m)
        .then((record) => track(record()))
        .catch((err) => onError(err, 'send'))
        .finally(() => {
          inFlight.delete(sending);
          pump();
        });
      inFlight.add(sending);
    }
    // Nothing with the transport, queued or promised: no more deliveries to wait for, so the ones waiting
    // are recorded now (the last send of a burst is not left for the linger).
    if (delivered.length && !inFlight.size && !queue.length && !reserved) track(flushSent());
    // Claim ahead while the transport is busy, so it never waits on a round trip to Postgres: when fewer
    // than `concurrency` wait, enough for twice that.
    if (!mayBeDue || claiming || queue.length >= concurrency) return;
    mayBeDue = false;
    const n = 2 * concurrency - queue.length;
    claiming = claim(n).then(
      ({ send, taken }) => {
        claiming = undefined;
        if (stopped) return release(send);
        for (const m of send) held.add(m.id);
        queue.push(...send);
        if (taken === n) mayBeDue = true;
        pump();
      },
      (err) => {
        claiming = undefined;
        onError(err, 'claim');
      },
    );
  }

  /** Claimed but never handed to SMTP: back to pending as they were. */
  async function release(rows: OutboxMessage[]): Promise<void> {
    if (!rows.length) return;
    for (const r of rows) held.delete(r.id);
    await pool
      .query(`UPDATE email_outbox SET status = 'pending', attempts = attempts - 1 WHERE id = ANY($1::bigint[]) AND status = 'sending'`, [rows.map((r) => r.id)])
      .catch((err) => onError(err, 'release'));
  }

  // Sweeps now and every half lease; looks for due rows after the first sweep and then every pollMs
  // (rows stored by other workers, retries coming due) or when woken.
  const poll = () => {
    mayBeDue = true;
    pump();
  };
  let sweeping: Promise<void> | undefined;
  const sweepNow = () =>
    (sweeping ??= sweep()
      .catch((err) => onError(err, 'sweep'))
      .finally(() => (sweeping = undefined)));
  const sweeper = setInterval(sweepNow, Math.min(leaseMs / 2, 30_000));
  sweeper.unref();
  const renewer = setInterval(() => void renew().catch((err) => onError(err, 'renew claims')), leaseMs / 4);
  renewer.unref();
  let timer: NodeJS.Timeout | undefined;
  const ready = sweepNow().then(() => {
    if (stopped) return;
    timer = setInterval(poll, pollMs);
    timer.unref();
    poll();
  });
  return {
    ready,
    reserve(n) {
      if (stopped || queue.length + inFlight.size + reserved + n > 3 * concurrency) return false;
      reserved += n;
      return true;
    },
    take(messages, reservation) {
      reserved -= reservation;
      if (stopped) {
        track(release([...messages]));
        return;
      }
      for (const m of messages) held.add(m.id);
      queue.push(...messages);
      pump();
    },
    wake: poll,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(sweeper);
      clearInterval(renewer);
      await sweeping;
      await claiming;
      await release(queue.splice(0));
      await Promise.all(inFlight);
      track(flushSent());
      await Promise.all(recording);
    },
  };
}
