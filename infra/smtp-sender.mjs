/**
 * The SMTP half of infra/mail.ts, run in a worker thread of its own: nodemailer's pooled transport, its
 * MIME encoding and its SMTP conversations stay off the thread that runs activities, so a burst of
 * escalation mail neither delays a sign-off's activities nor waits behind them.
 *
 * Plain JavaScript so that any runtime loads it as it is (tsx, vitest, the production worker).
 * In: { id, mail } to send, { close: true } to finish. Out: { id } when the server accepted the message,
 * { id, error } with the fields classifyMailError reads when it did not.
 */
import { parentPort, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';

const transport = nodemailer.createTransport({
  pool: true,
  url: workerData.smtpUrl,
  maxConnections: workerData.maxConnections,
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
});
// A pooled connection the server drops (a restart, an outage) is reported as an 'error' event on the
// transport; unheard, it would end the thread. The send it hit fails on its own and the outbox retries it.
transport.on('error', () => undefined);

/** What crosses back to the caller: an Error's own fields are lost by the structured clone. */
const REPORTED = ['name', 'message', 'code', 'responseCode', 'response', 'command', 'originalCode', 'timeoutType'];
function reported(err) {
  const out = {};
  for (const key of REPORTED) {
    const value = err?.[key];
    if (typeof value === 'string' || typeof value === 'number') out[key] = value;
  }
  out.message ??= String(err);
  return out;
}

let outstanding = 0;
let closing = false;
/** Closes the pool once no send is under way (closing it fails the sends still waiting for a connection). */
function finishIfIdle() {
  if (!closing || outstanding > 0) return;
  transport.close();
  parentPort.close();
}

parentPort.on('message', (msg) => {
  if (msg.close) {
    closing = true;
    finishIfIdle();
    return;
  }
  outstanding += 1;
  transport
    .sendMail({ from: workerData.from, ...msg.mail })
    .then(
      () => parentPort.postMessage({ id: msg.id }),
      (err) => parentPort.postMessage({ id: msg.id, error: reported(err) }),
    )
    .finally(() => {
      outstanding -= 1;
      finishIfIdle();
    });
});
