import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { installRuntime } from '../../infra/temporal.js';
import { workflowBundle } from '../helpers/temporal.js';

const HISTORIES = fileURLToPath(new URL('../histories/', import.meta.url));

/** Every recorded history must replay on today's workflow code without a nondeterminism error. */
describe('replay of recorded histories', async () => {
  const files = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();

  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('replays %s', async (file) => {
    installRuntime();
    const history = JSON.parse(await readFile(path.join(HISTORIES, file), 'utf8'));
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [{ workflowId: file, history }]);
    for await (const result of results) {
      expect(result.error).toBeUndefined();
    }
  });
});
