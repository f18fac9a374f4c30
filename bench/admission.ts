/**
 * `npm run bench:admission`
 * (a) Admission case start → its first activity, cases per second, beside a baseline workflow that only
 *     runs one activity, on the same dev server in the same run (rounds interleaved: the ratio is what
 *     counts on a noisy machine). Also the history events each has written by then.
 * (b) One whole admission case (12 months of probation included) on the time-skipping server: wall time,
 *     history events and size.
 */
import { DEFAULT_LADDER } from '../workflows/escalation.js';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import getPort from 'get-port';
import { loadConfig } from '../infra/config.js';
import { installRuntime } from '../infra/temporal.js';
import { startDevServer } from '../infra/temporal-dev-server.js';
import { ensureTemporalTools } from '../infra/tools.js';
import { OFFICIAL_SCHEDULES } from '../workflows/calendar/official-schedules.js';
import { CURRENT_RULE_SET } from '../workflows/definitions.js';
import { GRASSROOTS_CELL, SCENARIOS, startScenarioEnv } from '../scripts/admission-scenarios.js';

const CASES_PER_ROUND = Number(process.env.BENCH_CASES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 20;
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function startToFirstActivity(): Promise<void> {
  const config = loadConfig();
  const tools = await ensureTemporalTools({ toolsDir: config.toolsDir, cliPath: config.temporal.cliPath });
  const server = await startDevServer({ cliPath: tools.temporalCli, port: await getPort() });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const firstActivity = new Map<string, () => void>();
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url)), logger: quiet }),
    activities: {
      recordCaseEvents: async (events: Array<{ caseId: string }>) => {
        firstActivity.get(events[0]!.caseId)?.();
        return { written: events.length };
      },
      loadCalendar: async () => ({ announced: OFFICIAL_SCHEDULES }),
      loadEscalationPolicy: async () => ({ '*': DEFAULT_LADDER, probation: [] }),
      escalateStep: async () => ({ recipients: 0, stored: 0, delivery: 'local' as const }),
      issueStepDocuments: async (r: { issueKey: string; data: { step: string } }) => ({ documents: [{ id: `doc-${r.data.step}-${r.issueKey}`, form: r.data.step, numberText: null }] }),
      recordMembership: async () => undefined,
    },
    maxConcurrentWorkflowTaskExecutions: 40,
  });
  const running = worker.run();

  const round = async (kind: 'admission' | 'noop') => {
    const ids = Array.from({ length: CASES_PER_ROUND }, () => randomUUID());
    const t0 = performance.now();
    let next = 0;
    const one = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const caseId = ids[i]!;
        const reached = new Promise<void>((resolve) => firstActivity.set(caseId, resolve));
        if (kind === 'admission') {
          await client.workflow.start('admissionWorkflow', {
            taskQueue,
            workflowId: `admission:${caseId}`,
            args: [{ caseId, organizationId: GRASSROOTS_CELL.cell.organizationId, personId: randomUUID(), ruleSet: CURRENT_RULE_SET, chain: GRASSROOTS_CELL, searchAttributes: false }],
          });
        } else {
          await client.workflow.start('noopWorkflow', { taskQueue, workflowId: `noop:${caseId}`, args: [caseId] });
        }
        await reached;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, one));
    const seconds = (performance.now() - t0) / 1000;
    const sample = kind === 'admission' ? `admission:${ids[0]}` : `noop:${ids[0]}`;
    const events = (await client.workflow.getHandle(sample).fetchHistory()).events?.length ?? 0;
    return { perSecond: CASES_PER_ROUND / seconds, events };
  };

  await round('noop'); // warm up
  await round('admission');
  const admission: number[] = [];
  const noop: number[] = [];
  let admissionEvents = 0;
  let noopEvents = 0;
  for (let r = 0; r < ROUNDS; r += 1) {
    const a = await round('admission');
    const n = await round('noop');
    admission.push(a.perSecond);
    noop.push(n.perSecond);
    admissionEvents = a.events;
    noopEvents = n.events;
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`(a) start → first activity, ${CASES_PER_ROUND} cases × ${ROUNDS} rounds, ${CONCURRENCY} at a time, dev server`);
  console.log(`    admission workflow : ${median(admission).toFixed(1)} cases/s; history events at that point: ${admissionEvents}`);
  console.log(`    one-activity no-op : ${median(noop).toFixed(1)} cases/s; history events at that point: ${noopEvents}`);
  console.log(`    ratio no-op / admission: ${(median(noop) / median(admission)).toFixed(2)} (goal ≤ 1.10)`);

  worker.shutdown();
  await running;
  await nativeConnection.close();
  await connection.close();
  await server.stop();
}

async function fullCase(): Promise<void> {
  const s = await startScenarioEnv();
  try {
    await SCENARIOS['admission-v2-full-path-grassroots-cell']!(s); // warm up the bundle and the server
    const t0 = performance.now();
    const handle = await SCENARIOS['admission-v2-full-path-grassroots-cell']!(s);
    await handle.result();
    const wall = performance.now() - t0;
    const history = await handle.fetchHistory();
    const { historyToJSON } = await import('@temporalio/common/lib/proto-utils.js');
    const json = historyToJSON(history);
    const { temporal } = (await import('@temporalio/proto')).default;
    const binary = temporal.api.history.v1.History.encode(history).finish().length;
    console.log('(b) one full admission case (source → full member, 12 months of probation) on the time-skipping server');
    console.log(`    wall time: ${wall.toFixed(0)} ms (goal ≤ 1000)`);
    console.log(`    history: ${history.events?.length ?? 0} events (goal ≤ 250), ${(binary / 1024).toFixed(1)} KB binary, ${(json.length / 1024).toFixed(1)} KB JSON (goal ≤ 200 KB)`);
  } finally {
    await s.close();
  }
}

installRuntime('ERROR');
await startToFirstActivity();
await fullCase();
