/**
 * `npm run user:create -- --username admin [--name "Quản trị"] [--email a@b] [--role admin|organizer|viewer|approver]
 *   [--org <organization id>] [--body cell|partial-committee|grassroots-committee|standing-committee]`
 * Creates a user (the first admin, typically). The password is read from standard input when piped
 * (`echo … | npm run user:create -- …`), else asked for twice without echo. Uses DATABASE_URL or the embedded
 * server (the running one of `npm start`, or starts it).
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../api/auth/passwords.js';
import { roleProblems } from '../api/users.js';
import { loadConfig } from '../infra/config.js';
import { prepareDatabase } from '../infra/db/migrate.js';
import { createPool, withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { findCredentials, insertUser, replaceRoles, ROLES, type Role, type RoleGrant } from '../infra/db/queries/users.js';
import { openDatabase } from '../infra/postgres.js';
import { BODIES, type Body } from '../workflows/org/tree.js';

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) data += chunk;
    return data.replace(/\r?\n$/, '');
  }
  let muted = false;
  const output = new Writable({ write: (chunk, _enc, cb) => (muted || process.stdout.write(chunk), cb()) });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const ask = async (q: string) => {
    process.stdout.write(q);
    muted = true;
    const answer = await rl.question('');
    muted = false;
    process.stdout.write('\n');
    return answer;
  };
  const first = await ask('Password: ');
  const second = await ask('Again: ');
  rl.close();
  if (first !== second) throw new Error('The two passwords differ.');
  return first;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      username: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string', default: 'admin' },
      org: { type: 'string' },
      body: { type: 'string' },
    },
  });
  const username = values.username?.trim().toLowerCase();
  if (!username || !/^[a-z0-9._-]{3,64}$/.test(username)) {
    throw new Error('--username is required: 3–64 characters, letters a–z, digits, dot, underscore, hyphen.');
  }
  if (!ROLES.includes(values.role as Role)) throw new Error(`--role must be one of ${ROLES.join(', ')}.`);
  if (values.body !== undefined && !BODIES.includes(values.body as Body)) throw new Error(`--body must be one of ${BODIES.join(', ')}.`);
  const grant: RoleGrant = { role: values.role as Role, organizationId: values.org ?? null, body: (values.body as Body | undefined) ?? null };

  const password = await readPassword();
  if ([...password].length < MIN_PASSWORD_LENGTH) throw new Error(`The password must be at least ${MIN_PASSWORD_LENGTH} characters.`);

  const config = loadConfig();
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.embeddedDataDir, port: config.database.embeddedPort });
  const pool = createPool(db.url, 2);
  try {
    await prepareDatabase(db.url);
    const problems = await roleProblems(pool, [grant]);
    if (problems.length) throw new Error(problems.map((p) => `${p.field.replace('roles.0.', '--')}: ${p.message}`).join('\n'));
    const passwordHash = await hashPassword(password);
    const id = await withTransaction(pool, async (tx) => {
      if (await findCredentials(tx, username)) throw new Error(`The username ${username} is taken.`);
      const userId = await insertUser(tx, { username, displayName: values.name ?? username, email: values.email ?? null, passwordHash });
      await replaceRoles(tx, userId, [grant]);
      await appendAudit(tx, { actorUserId: null, actorIp: null, action: 'user.created', entityType: 'user', entityId: userId, details: { roles: [grant], via: 'cli' } });
      return userId;
    });
    console.log(`Created user ${username} (${grant.role}${grant.organizationId ? ` of ${grant.organizationId}` : ''}), id ${id}.`);
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
