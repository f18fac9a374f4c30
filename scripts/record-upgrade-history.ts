/**
 * `npm run record:upgrade-history -- <old checkout>/workflows/index.ts`: records a case that starts under an
 * older build of the workflows and continues under this one, as every case running at a deploy does. The
 * replay test then proves today's code replays that history: `patched()` turning true in the middle.
 *
 * Example (the build before step papers and ladders):
 *   git worktree add /tmp/old-tree 388b26e && ln -s "$PWD/node_modules" /tmp/old-tree/node_modules
 *   npm run record:upgrade-history -- /tmp/old-tree/workflows/index.ts
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { PROJECT_ROOT } from '../infra/config.js';
import { installRuntime } from '../infra/temporal.js';
import { addDays } from '../workflows/calendar/dates.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import { caseStatusQuery, signStepUpdate, withdrawCaseUpdate, type StepData } from '../workflows/definitions.js';
import { cell, scenarioWorker, staff, startCase, startTimeSkipping } from './admission-scenarios.js';

const oldWorkflows = process.argv[2];
if (!oldWorkflows) {
  console.error('usage: npm run record:upgrade-history -- <old checkout>/workflows/index.ts');
  process.exit(2);
}
installRuntime();
const env = await startTimeSkipping();
const taskQueue = `upgrade-${Date.now()}`;
try {
  const before = await scenarioWorker(env, taskQueue, path.resolve(oldWorkflows), { sticky: false });
  const h = await startCase({ env, taskQueue });
  const today = async () => vietnamDate(await env.currentTimeMs());
  const sign = (data: StepData, actor = staff) => h.executeUpdate(signStepUpdate, { args: [{ data, actor }] });
  await sign({ step: 'source', helperPersonId: 'helper-person' });
  await sign({ step: 'awareness-course', certificateIssuedOn: addDays(await today(), -30) });
  // The deploy: the old worker stops at the application step; the new build takes the case over.
  await before.stop();
  const after = await scenarioWorker(env, taskQueue);
  console.log('status after the handover:', (await h.query(caseStatusQuery)).step);
  await env.sleep('10 days');
  await sign({ step: 'application', receivedOn: await today(), biographySealedOn: await today() });
  await env.sleep('45 days'); // the verification step runs late: its ladder fires
  await sign({ step: 'verification', completedOn: await today(), result: 'clear' });
  await sign({
    step: 'introduction',
    introducedOn: await today(),
    introducers: [
      { personId: 'introducer-1', official: true, coWorkingMonths: 24 },
      { personId: 'introducer-2', official: true, coWorkingMonths: 24 },
    ],
    unionResolution: null,
  });
  await sign({ step: 'opinions', summarizedOn: await today() });
  await sign({ step: 'cell-vote', vote: { heldOn: await today(), eligible: 9, present: 9, for: 7, against: 2 }, candidateAgeMonths: 300 }, cell);
  await h.executeUpdate(withdrawCaseUpdate, { args: [{ reason: 'Chuyển công tác' }] });
  await h.result();
  const file = path.join(PROJECT_ROOT, 'test', 'histories', 'admission-upgrade-v2-to-v4-mid-case.json');
  await writeFile(file, `${historyToJSON(await h.fetchHistory())}\n`);
  console.log(`recorded ${path.relative(PROJECT_ROOT, file)}`);
  await after.stop();
} finally {
  await env.teardown();
}
