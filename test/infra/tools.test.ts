import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTemporalTools, ToolInstallError } from '../../infra/tools.js';

describe('ensureTemporalTools', () => {
  let dir: string;
  const fakeBinary = async (folder: string, name: string) => {
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, name);
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o755);
    return file;
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tools-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prefers the env overrides', async () => {
    const cli = await fakeBinary(path.join(dir, 'override'), 'temporal');
    const ts = await fakeBinary(path.join(dir, 'override'), 'temporal-test-server');
    const onPath = path.join(dir, 'path');
    await fakeBinary(onPath, 'temporal');
    await expect(ensureTemporalTools({ toolsDir: path.join(dir, 'none'), cliPath: cli, testServerPath: ts, searchPath: onPath })).resolves.toEqual({
      temporalCli: cli,
      testServer: ts,
    });
  });

  it('then PATH, then the project-local venv', async () => {
    const onPath = path.join(dir, 'path2');
    const toolsDir = path.join(dir, 'tools2');
    const cli = await fakeBinary(onPath, 'temporal');
    const ts = await fakeBinary(path.join(toolsDir, 'venv', 'bin'), 'temporal-test-server');
    await expect(ensureTemporalTools({ toolsDir, searchPath: onPath })).resolves.toEqual({ temporalCli: cli, testServer: ts });
  });

  it('names the variable when an override points nowhere', async () => {
    await expect(ensureTemporalTools({ toolsDir: dir, cliPath: path.join(dir, 'missing') })).rejects.toThrow(/TEMPORAL_CLI_PATH=.*missing: no executable/);
  });

  it('says how to get python when it has to install and cannot', async () => {
    const attempt = ensureTemporalTools({ toolsDir: path.join(dir, 'tools3'), searchPath: path.join(dir, 'empty') });
    await expect(attempt).rejects.toBeInstanceOf(ToolInstallError);
    await expect(attempt).rejects.toThrow(/python3 is not installed.*apt-get install python3 python3-venv.*TEMPORAL_CLI_PATH/s);
  });
});
