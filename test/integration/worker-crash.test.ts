import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../api/auth/policy.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { insertPerson } from '../../infra/db/queries/cases.js';
import { PROJECT_ROOT } from '../../infra/config.js';
import { insertOrganization } from '../helpers/db.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const WORKER_ENTRY = fileURLToPath(new URL('../../infra/worker.ts', import.meta.url));

/** Starts the production worker entry (`tsx infra/worker.ts`) as its own process; resolves once it polls. */
function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', WORKER_HTTP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"worker ready"')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
}

const system: Principal = { userId: randomUUID(), username: 'test', displayName: 'test', roles: [{ role: 'admin', organizationId: null, body: null }], via: 'token', ip: null };

describe('worker crash', () => {
  let stack: TestStack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    // No in-process worker: the cases are served only by worker processes we can kill.
    stack = await startTestStack({ worker: false });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await stack?.stop();
  });

  it('resumes an open case on a new worker after SIGKILL, with no duplicate rows', async () => {
    const env = { DATABASE_URL: stack.db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: stack.taskQueue };
    const first = await startWorkerProcess(env);
    children.push(first);

    const orgId = await insertOrganization(stack.db.pool);
    const opened = await stack.cases.openAdmission(system, { organizationId: orgId, person: { fullName: 'Vũ Thị Hoa', dateOfBirth: '1999-09-09' } });
    expect(opened).toMatchObject({ step: 'source', recorded: true });
    const helper = await insertPerson(stack.db.pool, { fullName: 'Ngô Văn Khải', dateOfBirth: '1975-04-04' });

    const died = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await died;

    // The sign-off is sent while no worker runs; it completes once a new worker picks the case up.
    const signed = stack.cases.sign(system, opened.caseId, { step: 'source', helperPersonId: helper });
    const second = await startWorkerProcess(env);
    children.push(second);
    await expect(signed).resolves.toMatchObject({ step: 'awareness-course' });

    const events = await stack.db.pool.query<{ seq: number; kind: string; step: string }>(
      'SELECT seq, kind, step FROM case_events WHERE case_id = $1 ORDER BY seq',
      [opened.caseId],
    );
    expect(events.rows).toEqual([
      { seq: 1, kind: 'case-opened', step: 'source' },
      { seq: 2, kind: 'step-completed', step: 'source' },
      { seq: 3, kind: 'step-entered', step: 'awareness-course' },
    ]);
    const cases = await stack.db.pool.query('SELECT current_step FROM cases WHERE id = $1', [opened.caseId]);
    expect(cases.rows).toEqual([{ current_step: 'awareness-course' }]);
    const people = await stack.db.pool.query('SELECT count(*)::int AS n FROM people');
    expect(people.rows[0].n).toBe(2);
  });
});
