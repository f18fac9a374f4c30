/**
 * The README's backup and restore, done once: `scripts/backup-restore-check.ts` dumps Postgres (pg_dump -Fc)
 * and copies Temporal's SQLite file, wipes both, restores them and checks every case. It needs a Postgres
 * server of the machine's pg_dump version (BACKUP_CHECK_DATABASE_URL, TEST_DATABASE_URL or DATABASE_URL, else
 * the machine's own server); without one the script says "skipped" and so does this test.
 */
import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';

const MACHINE_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

function runCheck(cases: number): Promise<{ code: number | null; output: string }> {
  const databaseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || MACHINE_SERVER;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/backup-restore-check.ts', '--cases', String(cases)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_CLI_PATH: inject('temporalCliPath') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), 170_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe('backup and restore', () => {
  it('dumps, wipes and restores Postgres and the Temporal SQLite file; every case is back and goes on', async (ctx) => {
    const { code, output } = await runCheck(5);
    const skipped = /backup\/restore: skipped: (.*)/.exec(output);
    if (skipped && code === 0) {
      console.log(`backup/restore check skipped: ${skipped[1]}`);
      ctx.skip(skipped[1]);
    }
    expect(code, output).toBe(0);
    const line = /^backup\/restore: cases=.*$/m.exec(output)?.[0];
    expect(line, output).toBeDefined();
    const figure = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line!)?.[1]);
    expect({ cases: figure('cases'), restored: figure('restored'), mismatched: figure('mismatched'), continued: figure('continued') }).toEqual({
      cases: 5,
      restored: 5,
      mismatched: 0,
      continued: 1,
    });
    console.log(line);
  }, 180_000);
});
