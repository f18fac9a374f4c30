/**
 * `npm run demo` (with `npm start` running): loads the reference committee's demo through the API — the org
 * tree, the 2024 targets, cases brought in through the in-flight import, two enterprises taken to their
 * establishment — and prints where to look: the dashboard as of 31/03/2024 reads 96/190 and 2/11.
 * Idempotent. The demo's admin account is `demo-admin` (password printed; for a local demo only).
 */
import { randomUUID } from 'node:crypto';
import cliProgress from 'cli-progress';
import { hashPassword, newApiToken } from '../api/auth/passwords.js';
import { loadConfig } from '../infra/config.js';
import { createPool, withTransaction } from '../infra/db/pool.js';
import { findCredentials, insertApiToken, insertUser, replaceRoles } from '../infra/db/queries/users.js';
import { openDatabase } from '../infra/postgres.js';
import { DEMO, httpApi, loadDemo } from './demo-data.js';

const DEMO_ADMIN = 'demo-admin';
const DEMO_PASSWORD = 'demo-mật-khẩu-2024';

async function main(): Promise<void> {
  const config = loadConfig();
  const baseUrl = process.env.DEMO_URL ?? `http://127.0.0.1:${config.http.port}`;
  const health = await fetch(`${baseUrl}/healthz`).catch(() => undefined);
  if (!health?.ok) throw new Error(`No engine answers at ${baseUrl}: run \`npm start\` in another terminal first (or set DEMO_URL).`);
  // The demo's admin: created once in the database, as `npm run user:create` would; a fresh API token each run.
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
  const pool = createPool(db.url, 2);
  let token: string;
  try {
    token = await withTransaction(pool, async (tx) => {
      const found = await findCredentials(tx, DEMO_ADMIN);
      const id = found?.id ?? (await insertUser(tx, { username: DEMO_ADMIN, displayName: 'Quản trị (demo)', email: null, passwordHash: await hashPassword(DEMO_PASSWORD) }));
      if (!found) await replaceRoles(tx, id, [{ role: 'admin', organizationId: null, body: null }]);
      const t = newApiToken();
      await insertApiToken(tx, { userId: id, name: `demo ${randomUUID().slice(0, 8)}`, tokenHash: t.tokenHash });
      return t.token;
    });
  } finally {
    await pool.end();
    await db.stop();
  }

  const bar = new cliProgress.SingleBar({ format: 'cases {bar} {value}/{total}', hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  const result = await loadDemo(httpApi(baseUrl, { token }), {
    baseUrl,
    log: (line) => console.log(line),
    progress: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
      if (done === total) bar.stop();
    },
  });
  console.log(
    [
      '',
      `Demo loaded (${result.casesCreated} cases imported now, ${result.casesFound} were already there).`,
      `Open ${baseUrl}/dashboard?organizationId=${result.upperId}&year=${DEMO.year}&asOf=${DEMO.asOf}`,
      `and log in as ${DEMO_ADMIN} / ${DEMO_PASSWORD}: admissions ${DEMO.admitted}/${DEMO.targets.admissions}, new organizations ${DEMO.established}/${DEMO.targets.organizations}.`,
      'Overdue cases have sent their escalations to the local outbox (/admin/outbox).',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
