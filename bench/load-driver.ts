/**
 * The load generator of bench/load.ts, in its own process: two autocannon runs at once — approvers signing
 * (each request signs a different prepared case, then the run stops when none is left or time is up) and
 * readers. Latencies are taken from every response (autocannon's own summary has no p95). The load runs
 * `warmup` seconds before the measured `duration` (connections opened, code paths compiled, pools filled — a
 * cold start is not the steady state the figures are about); requests sent during the warm-up are counted apart.
 * Errors count over the whole run. Prints one JSON line with both groups' figures.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';

interface Plan {
  readonly baseUrl: string;
  readonly duration: number;
  /** Seconds of the same load before the measured `duration` (reported apart). */
  readonly warmup: number;
  readonly signers: number;
  readonly readers: number;
  readonly signItems: ReadonlyArray<{ path: string; token: string; body: string }>;
  readonly readToken: string;
  /** Requests per second of each reader (a person reading with think time); 0: as fast as answers come. */
  readonly readRate: number;
  readonly reads: readonly string[];
  /**
   * How the readers' requests fall in each second. `staggered` (default): each reader keeps its own clock, the
   * 200 clocks spread evenly over the second, as people reading pages do. `synchronized`: autocannon's
   * connectionRate, whose per-connection timers all start together, so every reader sends in the same
   * millisecond: a burst of `readers` requests once a second (the worst case).
   */
  readonly readArrival: 'staggered' | 'synchronized';
  /** Reads slower than this (ms) are counted, with the seconds they fell in. */
  readonly goalMs: number;
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Plan;

const percentile = (sorted: readonly number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0);

/** When the measured window opens (requests sent before it belong to the warm-up) and closes. */
const measuredFrom = performance.now() + plan.warmup * 1000;
const measuredUntil = measuredFrom + plan.duration * 1000;
const summary = (sorted: readonly number[]) => ({ p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), p99: Math.round(percentile(sorted, 99)) });

function run(name: string, opts: autocannon.Options): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const warm: number[] = [];
    const statuses: Record<string, number> = {};
    // With `amount` set autocannon runs until that many requests are answered, whatever `duration` says:
    // responses to requests sent after the window are left out of the figures, and a run that ran out of
    // requests before the window closed says when.
    let after = 0;
    const instance = autocannon(opts, (err, result) => {
      if (err) return reject(err);
      latencies.sort((a, b) => a - b);
      warm.sort((a, b) => a - b);
      const ended = performance.now();
      const span = (Math.min(ended, measuredUntil) - measuredFrom) / 1000;
      resolve({
        requests: latencies.length,
        rps: latencies.length / Math.max(0.001, span),
        ...(ended < measuredUntil - 1000 ? { endedEarly: Math.max(0, Math.round(span)) } : {}),
        afterWindow: after,
        ...summary(latencies),
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        statuses,
        warmup: { requests: warm.length, ...summary(warm) },
        name,
      });
    });
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
      const sent = performance.now() - responseTime;
      if (sent >= measuredUntil) after += 1;
      else (sent >= measuredFrom ? latencies : warm).push(responseTime);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
}

/**
 * Readers at a fixed rate with their own clocks (phase i/readers of the period), one keep-alive connection
 * each; a reader whose page has not come back waits for it (no second click), and the next read is due one
 * period after the last was sent. Latency: from send to the whole body.
 */
async function staggeredReaders(): Promise<Record<string, unknown>> {
  const latencies: number[] = [];
  const warm: number[] = [];
  /** Measured reads over the goal, by the second they were sent in (a stall shows as many in one second). */
  const slowSeconds = new Set<number>();
  const byKind: Record<string, number[]> = {};
  const kindOf = (path: string) => (path.startsWith('/api/v1/reports') ? 'report' : /^\/api\/v1\/cases\/[0-9a-f-]{36}/.test(path) ? 'detail' : 'list');
  const statuses: Record<string, number> = {};
  let errors = 0;
  const url = new URL(plan.baseUrl);
  const period = 1000 / plan.readRate;
  const started = performance.now();
  const end = started + (plan.warmup + plan.duration) * 1000;
  let next = 0;
  const get = (agent: http.Agent, path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.get({ host: url.hostname, port: url.port, path, agent, headers: { authorization: `Bearer ${plan.readToken}` }, timeout: 30_000 }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      });
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', reject);
    });
  const reader = async (i: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let due = started + (i * period) / plan.readers;
    while (due < end) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      const path = plan.reads[next++ % plan.reads.length]!;
      try {
        const status = await get(agent, path);
        const took = performance.now() - t0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (t0 < measuredFrom) warm.push(took);
        else {
          latencies.push(took);
          (byKind[kindOf(path)] ??= []).push(took);
          if (took > plan.goalMs) slowSeconds.add(Math.floor((t0 - measuredFrom) / 1000));
        }
      } catch {
        errors++;
      }
      due = Math.max(t0 + period, performance.now());
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: plan.readers }, (_, i) => reader(i)));
  latencies.sort((a, b) => a - b);
  warm.sort((a, b) => a - b);
  const seconds = (performance.now() - measuredFrom) / 1000;
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    ...summary(latencies),
    overGoal: latencies.filter((l) => l > plan.goalMs).length,
    overGoalSeconds: slowSeconds.size,
    warmup: { requests: warm.length, ...summary(warm) },
    errors,
    non2xx: Object.entries(statuses).filter(([s]) => !s.startsWith('2')).reduce((a, [, n]) => a + n, 0),
    statuses,
    name: 'read',
    byKind: Object.fromEntries(
      Object.entries(byKind).map(([k, v]) => {
        v.sort((a, b) => a - b);
        return [k, { n: v.length, p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)) }];
      }),
    ),
  };
}

let nextSign = 0;
let nextRead = 0;
const none = { requests: 0, rps: 0, p50: 0, p95: 0, p99: 0, errors: 0, non2xx: 0, statuses: {}, warmup: { requests: 0, p50: 0, p95: 0, p99: 0 } };
const [sign, read] = await Promise.all([
  plan.signers === 0 ? Promise.resolve(none) : run('sign', {
    url: plan.baseUrl,
    connections: plan.signers,
    duration: plan.warmup + plan.duration,
    amount: plan.signItems.length,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const item = plan.signItems[nextSign++ % plan.signItems.length]!;
          return { ...req, path: item.path, body: item.body, headers: { 'content-type': 'application/json', authorization: `Bearer ${item.token}` } };
        },
      },
    ],
  }),
  plan.readRate > 0 && plan.readArrival === 'staggered' ? staggeredReaders() : run('read', {
    url: plan.baseUrl,
    connections: plan.readers,
    duration: plan.warmup + plan.duration,
    timeout: 30,
    ...(plan.readRate > 0 ? { connectionRate: plan.readRate } : {}),
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: plan.reads[nextRead++ % plan.reads.length]!, headers: { authorization: `Bearer ${plan.readToken}` } }),
      },
    ],
  }),
]);
console.log(JSON.stringify({ sign, read }));
