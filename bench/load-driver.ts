/**
 * The load generator of bench/load.ts, in its own process: two autocannon runs at once — approvers signing
 * (each request signs a different prepared case, then the run stops when none is left or time is up) and
 * readers. Latencies are taken from every response (autocannon's own summary has no p95). Prints one JSON
 * line with both groups' figures.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface Plan {
  readonly baseUrl: string;
  readonly duration: number;
  readonly signers: number;
  readonly readers: number;
  readonly signItems: ReadonlyArray<{ path: string; token: string; body: string }>;
  readonly readToken: string;
  /** Requests per second of each reader (a person reading with think time); 0: as fast as answers come. */
  readonly readRate: number;
  readonly reads: readonly string[];
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Plan;

const percentile = (sorted: readonly number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0);

function run(name: string, opts: autocannon.Options): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    const instance = autocannon(opts, (err, result) => {
      if (err) return reject(err);
      latencies.sort((a, b) => a - b);
      resolve({
        requests: latencies.length,
        rps: latencies.length / result.duration,
        p50: Math.round(percentile(latencies, 50)),
        p95: Math.round(percentile(latencies, 95)),
        p99: Math.round(percentile(latencies, 99)),
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        statuses,
        name,
      });
    });
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
}

let nextSign = 0;
let nextRead = 0;
const none = { requests: 0, rps: 0, p50: 0, p95: 0, p99: 0, errors: 0, non2xx: 0, statuses: {} };
const [sign, read] = await Promise.all([
  plan.signers === 0 ? Promise.resolve(none) : run('sign', {
    url: plan.baseUrl,
    connections: plan.signers,
    duration: plan.duration,
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
  run('read', {
    url: plan.baseUrl,
    connections: plan.readers,
    duration: plan.duration,
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
