/**
 * `npm run bench:http [-- --requests 20000 --rounds 3]`
 * The app's HTTP server (api/http-server.ts: requests and responses made with the app's prototypes) beside
 * Express's own (`http.createServer(app)`: Express changes each request's and response's prototype), on
 * the same routes: the real app's /livez, and an Express route answering a page of 50 cases (21 kB of JSON).
 * Each side runs in a fresh process of its own (the collector's state is not shared), one request at a
 * time over keep-alive, after a warm-up; sides alternate in rounds; medians of the rounds. Prints requests
 * per second, p50/p95, and the minor collections (scavenges): how many per 1,000 requests and their time.
 * No database or Temporal needed. Runs with the API's own V8 flags (package.json).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { createApp, type AppDeps } from '../api/app.js';
import { createHttpServer } from '../api/http-server.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    // internal: run one side in this process and print its figures as JSON
    side: { type: 'string' },
    route: { type: 'string' },
  },
});
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(REQUESTS) || REQUESTS < 1000) throw new Error('bench:http: --requests must be an integer ≥ 1000');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('bench:http: --rounds must be a positive integer');

const SIDES = { adopted: "the app's server (api/http-server.ts)", express: "Express's own (http.createServer(app))" } as const;
type Side = keyof typeof SIDES;
const ROUTES = { livez: 'the real app, GET /livez', page: 'an Express route answering a page of 50 cases' } as const;
type Route = keyof typeof ROUTES;

interface Figures {
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly scavengesPer1000: number;
  readonly scavengeMs: number;
}

/** A page of the case list as the API answers it (50 items and a cursor). */
function casePage(): unknown {
  return {
    items: Array.from({ length: 50 }, (_, i) => ({
      id: `0b6f3c2e-5d1a-4c8e-9f00-${String(i).padStart(12, '0')}`,
      type: 'admission',
      status: 'open',
      currentStep: 'cell-vote',
      currentStepDueOn: '2026-03-02',
      organizationId: '7d0c9a4e-1b2f-4e3a-8c5d-6f7e8a9b0c1d',
      enterpriseId: null,
      personId: `1a2b3c4d-5e6f-4a8b-9c0d-${String(i).padStart(12, '0')}`,
      personName: 'Nguyễn Thị Thu Hạnh',
      ruleSet: '2024-01',
      openedAt: '2025-11-20T01:15:00+00:00',
      closedAt: null,
      updatedAt: '2026-01-05T02:30:00+00:00',
      daysOverdue: i % 7,
    })),
    nextCursor: 'WyItb3BlbmVkQXQiLCIyMDI1LTExLTIwIDA4OjE1OjAwKzA3IiwiMGI2ZjNjMmUiXQ',
  };
}

function appFor(route: Route): express.Express {
  if (route === 'livez') {
    const pool = { totalCount: 1, idleCount: 1, waitingCount: 0, query: async () => ({ rows: [] }) };
    return createApp({ pool, health: async () => ({ status: 'ok', checks: {} }), session: { secret: 'b'.repeat(40), secureCookies: false, trustProxy: false } } as unknown as AppDeps);
  }
  const app = express();
  app.set('etag', false);
  const page = casePage();
  app.get('/page', (_req, res) => {
    res.json(page);
  });
  return app;
}

/** One side, one route, in this process. */
async function runSide(side: Side, route: Route): Promise<Figures> {
  const app = appFor(route);
  const server = side === 'adopted' ? createHttpServer(app) : http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const path = route === 'livez' ? '/livez' : '/page';
  const get = () =>
    new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`))));
        })
        .on('error', reject);
    });
  for (let i = 0; i < 2000; i += 1) await get();
  let scavenges = 0;
  let scavengeMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue;
      scavenges += 1;
      scavengeMs += e.duration;
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < REQUESTS; i += 1) {
    const t = performance.now();
    await get();
    times.push(performance.now() - t);
  }
  const elapsed = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20)); // the last collections' entries
  gc.disconnect();
  agent.destroy();
  server.close();
  times.sort((a, b) => a - b);
  return {
    perSecond: (REQUESTS / elapsed) * 1000,
    p50: times[Math.floor(times.length * 0.5)]!,
    p95: times[Math.floor(times.length * 0.95)]!,
    scavengesPer1000: (scavenges / REQUESTS) * 1000,
    scavengeMs: scavenges ? scavengeMs / scavenges : 0,
  };
}

/** A side in a fresh process with this process's V8 flags. */
function inChild(side: Side, route: Route): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--side', side, '--route', route, '--requests', String(REQUESTS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Figures) : reject(new Error(`bench:http: the ${side} side (${route}) exited with ${code}`))));
  });
}

if (args.side) {
  if (!(args.side in SIDES) || !(args.route! in ROUTES)) throw new Error('bench:http: --side adopted|express and --route livez|page');
  process.stdout.write(JSON.stringify(await runSide(args.side as Side, args.route as Route)));
} else {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`${REQUESTS.toLocaleString('en')} requests one at a time per side and round, ${ROUNDS} rounds (the side going first alternates); medians; V8 flags: ${process.execArgv.filter((a) => a.startsWith('--max')).join(' ') || 'none'}`);
  for (const route of Object.keys(ROUTES) as Route[]) {
    const runs: Record<Side, Figures[]> = { adopted: [], express: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      const order: Side[] = round % 2 ? ['express', 'adopted'] : ['adopted', 'express'];
      for (const side of order) runs[side].push(await inChild(side, route));
    }
    const m = (side: Side, key: keyof Figures) => median(runs[side].map((f) => f[key]));
    console.log(`${ROUTES[route]}:`);
    for (const side of Object.keys(SIDES) as Side[]) {
      console.log(
        `  ${SIDES[side]}: ${m(side, 'perSecond').toFixed(0)} req/s, p50 ${m(side, 'p50').toFixed(3)} ms, p95 ${m(side, 'p95').toFixed(3)} ms; ` +
          `${m(side, 'scavengesPer1000').toFixed(1)} scavenges per 1,000 requests of ${m(side, 'scavengeMs').toFixed(2)} ms each`,
      );
    }
    console.log(`  requests per second: ${(m('adopted', 'perSecond') / m('express', 'perSecond')).toFixed(2)}× Express's own server; p95 ${(m('adopted', 'p95') / m('express', 'p95')).toFixed(2)}×`);
  }
}
