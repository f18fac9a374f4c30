/**
 * Runs `temporal server start-dev` as a child process: the local Temporal server of `npm start` (persisted to
 * a SQLite file) and of the integration tests (in memory, headless). Production uses a real cluster instead
 * (TEMPORAL_ADDRESS).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';

/**
 * The custom search attributes the workflows set (ids, kinds and dates only: never personal data). A dev
 * server gets them at start; another server needs them registered once (`ensureSearchAttributes`).
 */
export const SEARCH_ATTRIBUTES = {
  CaseType: 'Keyword',
  CaseStep: 'Keyword',
  CaseOrganization: 'Keyword',
  CaseDueOn: 'Keyword',
} as const;

export interface DevServerOptions {
  readonly cliPath: string;
  readonly ip?: string;
  readonly port: number;
  /** Web UI port; omit for a headless server. */
  readonly uiPort?: number | undefined;
  /** SQLite file that keeps workflows across restarts; omit for an in-memory server. */
  readonly dbFile?: string | undefined;
  readonly namespace?: string;
  readonly log?: (line: string) => void;
  readonly startTimeoutMs?: number;
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string | undefined;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
  if (opts.dbFile) {
    await mkdir(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);

  // Own process group: a terminal's Ctrl-C reaches only us, and we stop the server after the worker drained.
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-8_000);
    for (const line of text.split('\n')) if (line.trim()) opts.log?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const address = `${ip}:${opts.port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  let ready = false;
  while (!ready) {
    if (child.exitCode !== null) {
      throw new Error(`temporal server start-dev exited with code ${child.exitCode} before it was ready:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server start-dev did not answer on ${address} in time:\n${output}`);
    }
    ready = await isServing(address);
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }

  return {
    address,
    uiUrl: opts.uiPort === undefined ? undefined : `http://localhost:${opts.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True when a Temporal frontend answers on `address` and its default namespace is usable. */
export async function isServing(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    // No retry interceptor: this probe polls on its own, and a retry timer left pending when the probe gives up
    // and closes the connection would fire on a shut-down channel and throw out of a timer (seen when the
    // fault bench restarts the server).
    connection = await Connection.connect({ address, connectTimeout: 1_000, interceptors: [] });
    await connection.workflowService.getSystemInfo({});
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
