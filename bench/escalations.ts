/**
 * `npm run bench:escalations [-- --messages 2000 --rounds 5 --recipients 1,3 --settings 4/4,8/8,16/16,100/8]`
 * Escalation emails per second through the outbox: the activity (recipients resolved from the tree and
 * users, rendered, stored under their key) and the outbox relay (claimed, sent over pooled SMTP from the
 * mailer's two sender threads, recorded), timed from the first activity until every row is recorded `sent` —
 * beside raw pooled nodemailer sending the same rendered messages from this process's main thread, both to
 * the same local SMTP listener over 4 connections in all, with the same number of messages with the transport
 * at once (goal ≥ 0.9×), for
 * one and three recipients per rung and four settings of activities at once / messages in flight (SETTINGS).
 * A warm-up round of each side, then interleaved rounds (which side goes first alternates); medians. Also
 * prints the CPU each side spent per message (this process's main thread and all its threads, the listener,
 * PostgreSQL), from /proc.
 * Postgres: DATABASE_URL or the embedded one.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import nodemailer from 'nodemailer';
import { escalationActivities } from '../activities/escalations.js';
import { loadConfig } from '../infra/config.js';
import { prepareDatabase } from '../infra/db/migrate.js';
import { createPool } from '../infra/db/pool.js';
import { createMailer, type Mailer } from '../infra/mail.js';
import { RELAY_DEFAULTS, startOutboxRelay } from '../infra/outbox-relay.js';
import { ensureDatabase, openDatabase } from '../infra/postgres.js';
import { DEFAULT_LADDER, type EscalationRequest } from '../workflows/escalation.js';
import { cpuAvailable, cpuOfProcess, cpuOfProgram } from './cpu.js';

const { values: args } = parseArgs({
  options: {
    // Rounds of 2,000 (about 2 s each here): with 600, the fixed start of a round (the first lookups and
    // inserts before the first send) weighed 5–10 % of the outbox side's time.
    messages: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    // e.g. --settings 4/4,100/8 (activities at once / messages with the transport); default: all of SETTINGS
    settings: { type: 'string' },
    // 1, 3, or 1,3 (the default)
    recipients: { type: 'string', default: '1,3' },
  },
});
const MESSAGES = Number(args.messages);
/** As a worker runs: the SDK's default of 100 activities at once (a burst of rungs at 08:00), the relay at its default. */
const AS_A_WORKER = { activities: 100, inFlight: RELAY_DEFAULTS.concurrency };
/**
 * Settings: activities at once, and messages with the transport at once (the relay's concurrency, and raw
 * nodemailer's sends at once). A few, the relay's default, more; and a burst as a worker runs it — its
 * default of 100 activities at once (many cases' rungs fire at 08:00) with the relay at its default.
 */
const SETTINGS: ReadonlyArray<{ activities: number; inFlight: number }> = [
  { activities: 4, inFlight: 4 },
  { activities: RELAY_DEFAULTS.concurrency, inFlight: RELAY_DEFAULTS.concurrency },
  { activities: 16, inFlight: 16 },
  AS_A_WORKER,
];
const ROUNDS = Number(args.rounds);
const RECIPIENTS = args.recipients.split(',').map(Number);
const CHOSEN = args.settings
  ? args.settings.split(',').map((x) => {
      const [activities, inFlight] = x.split('/').map(Number);
      return { activities: activities!, inFlight: inFlight! };
    })
  : SETTINGS;
for (const [name, ok] of [
  ['--messages', Number.isInteger(MESSAGES) && MESSAGES >= 10],
  ['--rounds', Number.isInteger(ROUNDS) && ROUNDS >= 1],
  ['--recipients (1 and/or 3)', RECIPIENTS.every((r) => r === 1 || r === 3)],
  ['--settings (activities/in-flight, positive integers)', CHOSEN.every((c) => Number.isInteger(c.activities) && c.activities > 0 && Number.isInteger(c.inFlight) && c.inFlight > 0)],
] as const) {
  if (!ok) throw new Error(`bench:escalations: ${name} is not valid`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// A local SMTP listener in its own process, as a mail relay is (its parsing does not share this process's CPU).
const listener = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/smtp-listener.ts', import.meta.url))], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: listener.stdout! })[Symbol.asyncIterator]();
const nextLine = async () => String((await lines.next()).value);
const smtpUrl = `smtp://127.0.0.1:${await nextLine()}`;
async function received(): Promise<number> {
  listener.stdin!.write('count\n');
  return Number(await nextLine());
}

const config = loadConfig();
const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
const url = new URL(db.url);
url.pathname = '/bench_escalations';
// A fresh database per run: the rows (and dead row versions) of earlier runs would slow every later one.
{
  const admin = createPool(db.url, 1);
  await admin.query('DROP DATABASE IF EXISTS bench_escalations WITH (FORCE)');
  await admin.end();
}
await ensureDatabase(db.url, 'bench_escalations');
await prepareDatabase(url.toString());
const pool = createPool(url.toString());

// One upper committee with a cell; the cell's approver has an email; one open case per message.
const tag = randomUUID().slice(0, 8);
const { rows: orgs } = await pool.query<{ id: string }>(
  `WITH upper AS (INSERT INTO organizations (name, kind, path) VALUES ($1, 'upper-committee', '{}') RETURNING id)
   INSERT INTO organizations (name, kind, parent_id, path) SELECT $2, 'grassroots-cell', id, '{}' FROM upper RETURNING id, parent_id`,
  [`Đảng ủy Đo ${tag}`, `Chi bộ Đo ${tag}`],
);
const cell = orgs[0]!.id;
await pool.query(`UPDATE organizations SET path = CASE WHEN parent_id IS NULL THEN ARRAY[id] ELSE ARRAY[parent_id, id] END WHERE path = '{}'`);
// The cell's approvers: one, or (fan-out runs) three — a level-1 rung mails each once.
let approvers = 0;
async function addApprover(): Promise<void> {
  approvers += 1;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (username, display_name, email, password_hash) VALUES ($1, 'Bí thư Đo', $2, 'x') RETURNING id`,
    [`bench-${tag}-${approvers}`, `bench-${tag}-${approvers}@test.local`],
  );
  await pool.query(`INSERT INTO user_roles (user_id, role, organization_id, body) VALUES ($1, 'approver', $2, 'cell')`, [rows[0]!.id, cell]);
}
await addApprover();

async function newCases(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  await pool.query(
    `INSERT INTO cases (id, type, workflow_id, organization_id, status, current_step, current_step_due_on, rule_set, opened_at, updated_at, last_seq)
     SELECT id, 'admission', 'admission:' || id, $2, 'open', 'cell-vote', current_date, 'bench', now(), now(), 0 FROM unnest($1::uuid[]) AS id`,
    [ids, cell],
  );
  return ids;
}

const smtpMailer = createMailer({ smtpUrl, from: 'Ban Tổ chức <btc@bench.local>' });
/** Sends counted in this process, so a round ends without polling the listener. */
let delivered = 0;
let onDelivered: (() => void) | undefined;
const mailer: Mailer = {
  kind: 'smtp',
  async send(m) {
    await smtpMailer.send(m);
    delivered += 1;
    onDelivered?.();
  },
  close: () => smtpMailer.close(),
};
let relay = startOutboxRelay({ pool, mailer, concurrency: CHOSEN[0]!.inFlight });
const acts = escalationActivities({ pool, mailer, publicUrl: 'http://localhost:3000', relay: { wake: () => relay.wake(), reserve: (n) => relay.reserve(n), take: (m, n) => relay.take(m, n) } });
const env = new MockActivityEnvironment();
const request = (caseId: string): EscalationRequest => ({
  caseId,
  caseType: 'admission',
  step: 'cell-vote',
  stepKey: '7',
  rung: DEFAULT_LADDER[1]!,
  dueOn: '2026-11-26',
  firedOn: '2026-11-26',
  daysOverdue: 0,
  actor: { body: 'cell', organizationId: cell },
});
const rawTransport = nodemailer.createTransport({ pool: true, url: smtpUrl, maxConnections: 4 } as Parameters<typeof nodemailer.createTransport>[0]);

/** `lanes` workers taking jobs from one list, as a worker runs that many activities at once. */
async function run(lanes: number, n: number, job: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let i = next++; i < n; i = next++) await job(i);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/** Resolves when `n` more messages went out and every row from `firstId` on is recorded `sent`. */
async function allSent(n: number, firstId: number): Promise<void> {
  const target = delivered + n;
  if (delivered < target) await new Promise<void>((resolve) => (onDelivered = () => delivered >= target && resolve()));
  onDelivered = undefined;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_outbox WHERE id >= $1 AND status <> 'sent'`, [firstId]);
    if (rows[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}
const nextId = async () => Number((await pool.query<{ id: string }>(`SELECT coalesce(max(id), 0) + 1 AS id FROM email_outbox`)).rows[0]!.id);

// The message raw nodemailer sends: one rendered by the activity (same size and parts).
const first = (await newCases(1))[0]!;
const firstId = await nextId();
await env.run(acts.escalateStep, request(first));
await allSent(1, firstId);
const { rows: rendered } = await pool.query<{ to: string; subject: string; text: string; html: string }>(
  `SELECT to_address AS "to", subject, text_body AS text, html_body AS html FROM email_outbox ORDER BY id DESC LIMIT 1`,
);
const message = rendered[0]!;

/** CPU seconds so far: this process's main thread and all its threads, the listener, PostgreSQL. */
const cpuNow = () => ({
  main: cpuOfProcess(process.pid, { mainThread: true }),
  process: cpuOfProcess(process.pid),
  listener: cpuOfProcess(listener.pid!),
  postgres: cpuOfProgram('postgres'),
});
type Cpu = ReturnType<typeof cpuNow>;
/** Milliseconds of CPU per message between two readings, by place. */
const perMessage = (a: Cpu, b: Cpu, n: number): Cpu =>
  Object.fromEntries(Object.keys(a).map((k) => [k, ((b[k as keyof Cpu] - a[k as keyof Cpu]) * 1000) / n])) as Cpu;

/** Rounds of the outbox path beside raw nodemailer, each sending the same number of messages (a warm-up round first). */
async function compare(recipients: number, setting: (typeof SETTINGS)[number]): Promise<{ outbox: number; raw: number; outboxCpu: Cpu; rawCpu: Cpu }> {
  const outboxRuns: number[] = [];
  const rawRuns: number[] = [];
  const outboxCpu: Cpu[] = [];
  const rawCpu: Cpu[] = [];
  const rungs = Math.floor(MESSAGES / recipients);
  const n = rungs * recipients;
  await relay.stop();
  relay = startOutboxRelay({ pool, mailer, concurrency: setting.inFlight });
  await relay.ready;
  const outboxRound = async (): Promise<{ rate: number; cpu: Cpu }> => {
    const cases = await newCases(rungs);
    const firstId = await nextId();
    const c0 = cpuNow();
    const t0 = performance.now();
    const done = allSent(n, firstId);
    await run(setting.activities, rungs, (i) => env.run(acts.escalateStep, request(cases[i]!)));
    await done;
    const rate = n / ((performance.now() - t0) / 1000);
    return { rate, cpu: perMessage(c0, cpuNow(), n) };
  };
  const rawRound = async (): Promise<{ rate: number; cpu: Cpu }> => {
    const c0 = cpuNow();
    const rate = await run(setting.inFlight, n, () => rawTransport.sendMail({ from: 'Ban Tổ chức <btc@bench.local>', ...message }));
    return { rate, cpu: perMessage(c0, cpuNow(), n) };
  };
  for (let r = -1; r < ROUNDS; r += 1) {
    // Which side goes first alternates, so that a drift of the machine's speed weighs on both alike.
    let outbox, raw;
    if (r % 2 === 0) {
      outbox = await outboxRound();
      raw = await rawRound();
    } else {
      raw = await rawRound();
      outbox = await outboxRound();
    }
    if (r < 0) continue; // warm-up
    outboxRuns.push(outbox.rate);
    rawRuns.push(raw.rate);
    outboxCpu.push(outbox.cpu);
    rawCpu.push(raw.cpu);
  }
  const medianCpu = (runs: Cpu[]): Cpu => Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, median(runs.map((c) => c[k as keyof Cpu]))])) as Cpu;
  return { outbox: median(outboxRuns), raw: median(rawRuns), outboxCpu: medianCpu(outboxCpu), rawCpu: medianCpu(rawCpu) };
}

const before = await received();
const cpuText = (c: Cpu) =>
  `main thread ${c.main.toFixed(2)}, whole process ${c.process.toFixed(2)}, listener ${c.listener.toFixed(2)}, PostgreSQL ${c.postgres.toFixed(2)}`;
const ratios: Array<{ recipients: number; setting: (typeof SETTINGS)[number]; ratio: number }> = [];
const report = (recipients: number, setting: (typeof SETTINGS)[number], r: Awaited<ReturnType<typeof compare>>) => {
  ratios.push({ recipients, setting, ratio: r.outbox / r.raw });
  console.log(
    `escalation emails, ${recipients} recipient(s) per rung, ${setting.activities} activities at once, ${setting.inFlight} messages with the transport: outbox activity ${r.outbox.toFixed(0)} msg/s, ` +
      `raw pooled nodemailer ${r.raw.toFixed(0)} msg/s, ratio ${(r.outbox / r.raw).toFixed(2)} (goal ≥ 0.9)`,
  );
  if (cpuAvailable) console.log(`  CPU ms per message — outbox: ${cpuText(r.outboxCpu)}; raw: ${cpuText(r.rawCpu)}`);
};
console.log(
  `${MESSAGES} messages × ${ROUNDS} interleaved rounds per figure after a warm-up round (the side going first alternates); medians; both sides use 4 SMTP connections (raw: one pooled transport; the outbox: two sender threads of 2); ` +
    '"N messages with the transport": the relay\'s concurrency, beside N raw sends at once',
);
if (RECIPIENTS.includes(1)) for (const setting of CHOSEN) report(1, setting, await compare(1, setting));
if (RECIPIENTS.includes(3)) {
  await addApprover();
  await addApprover();
  for (const setting of CHOSEN) report(3, setting, await compare(3, setting));
}
const workerSetting = ratios.filter((r) => r.setting.activities === AS_A_WORKER.activities && r.setting.inFlight === AS_A_WORKER.inFlight);
if (workerSetting.length) {
  const met = workerSetting.every((r) => r.ratio >= 0.9);
  console.log(
    `as a worker runs (${AS_A_WORKER.activities} activities at once, the relay's ${AS_A_WORKER.inFlight} messages with the transport): ` +
      `${workerSetting.map((r) => `${r.ratio.toFixed(2)} with ${r.recipients} recipient(s) per rung`).join(', ')} — goal ≥ 0.9 ${met ? 'met' : 'MISSED'}; ` +
      `every other setting: ${ratios.filter((r) => !workerSetting.includes(r)).filter((r) => r.ratio < 0.9).length} of ${ratios.length - workerSetting.length} below 0.9`,
  );
}
const { rows: sent } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_outbox WHERE status = 'sent'`);
console.log(`listener received ${(await received()) - before} messages; outbox rows sent: ${sent[0]!.n}`);

await relay.stop();
rawTransport.close();
mailer.close();
await pool.end();
listener.stdin!.end();
await db.stop();
