/**
 * `npm run build:workflows [-- --out dist/workflow-bundle.js]`: the workflows bundled once (webpack, by the
 * SDK's bundler) for production workers, which load it through WORKFLOW_BUNDLE_PATH instead of bundling
 * `workflows/` at every start. Rebuild it with every deploy of workflow code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../infra/config.js';
import { WORKFLOWS_PATH } from '../infra/worker.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js') } } });
const out = path.resolve(values.out!);
const started = Date.now();
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
});
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`workflow bundle: ${path.relative(process.cwd(), out) || out} (${(code.length / 1024).toFixed(0)} KiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`start workers with WORKFLOW_BUNDLE_PATH=${out}`);
