import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../api/app.js';
import { createHttpServer, listen } from '../../api/http-server.js';

/**
 * The app's HTTP server (api/http-server.ts): requests and responses arrive with the app's prototypes, so
 * Express's per-request `Object.setPrototypeOf` changes nothing — and everything Express puts on them works.
 */
describe('HTTP server of the app', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function started(server: Server): Promise<string> {
    servers.push(server);
    if (!server.listening) await new Promise((r) => server.once('listening', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Before Express sees each request: were the request and response already made with the app's prototypes? */
  function watchPrototypes(server: Server, app: express.Express): Array<[boolean, boolean]> {
    const seen: Array<[boolean, boolean]> = [];
    server.prependListener('request', (req, res) => seen.push([Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response]));
    return seen;
  }

  it("makes requests and responses with the app's prototypes, keeping what Express and the app put there", async () => {
    const app = express();
    // Something a module adds to the app's request prototype before the server is made is kept.
    (app.request as unknown as { tenant: string }).tenant = 'ĐUKKT';
    app.set('query parser', 'simple');
    app.get('/echo', (req, res) => {
      res.locals.seen = true;
      res.status(201).json({
        q: req.query.q,
        path: req.path,
        sameApp: req.app === app && res.app === app,
        tenant: (req as unknown as { tenant: string }).tenant,
        circular: req.res === res && res.req === req,
        locals: res.locals.seen,
        isMessage: req instanceof http.IncomingMessage && res instanceof http.ServerResponse,
      });
    });
    const server = createHttpServer(app);
    const seen = watchPrototypes(server, app);
    const base = await started(server.listen(0, '127.0.0.1'));
    for (let i = 0; i < 3; i += 1) {
      const r = await fetch(`${base}/echo?q=Nguy%E1%BB%85n`);
      expect(r.status).toBe(201);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await r.json()).toEqual({ q: 'Nguyễn', path: '/echo', sameApp: true, tenant: 'ĐUKKT', circular: true, locals: true, isMessage: true });
    }
    expect(seen).toEqual([
      [true, true],
      [true, true],
      [true, true],
    ]);
  });

  it("Express's own server still works with an app whose prototypes were adopted (supertest serves it that way)", async () => {
    const app = express();
    app.get('/x', (req, res) => {
      res.json({ sameApp: req.app === app });
    });
    // Adopted by one server, served by Express's: its requests come plain and Express sets the prototype.
    createHttpServer(app);
    const plain = http.createServer(app).listen(0, '127.0.0.1');
    const seen = watchPrototypes(plain, app);
    const base = await started(plain);
    const r = await fetch(`${base}/x`);
    expect(await r.json()).toEqual({ sameApp: true });
    expect(seen).toEqual([[false, false]]);
  });

  it("createApp's listen uses it: the real app's routes, headers and errors through it", async () => {
    const pool = { totalCount: 1, idleCount: 1, waitingCount: 0, query: async () => ({ rows: [] }) };
    const deps = { pool, health: async () => ({ status: 'ok', checks: {} }), session: { secret: 'x'.repeat(40), secureCookies: false, trustProxy: false } } as unknown as AppDeps;
    const app = createApp(deps);
    let server!: Server;
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    const seen = watchPrototypes(server, app);
    const base = await started(server);
    const live = await fetch(`${base}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    // helmet's headers, set on the response through Express's prototype methods
    expect(live.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await fetch(`${base}/api/v1/no-such-route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found', message: 'No route for GET /api/v1/no-such-route' } });
    expect(seen).toEqual([
      [true, true],
      [true, true],
    ]);
  });

  it('listen calls its callback once: a later server error (an accept failing) is not reported as a failure to listen', async () => {
    const calls: unknown[][] = [];
    let server!: Server;
    await new Promise<void>((resolve) => {
      server = listen(express(), 0, '127.0.0.1', (...a: unknown[]) => {
        calls.push(a);
        resolve();
      });
    });
    servers.push(server);
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    expect(calls).toEqual([[]]);
    expect(server.listening).toBe(true);
  });

  it('listen reports a port already taken to its callback', async () => {
    const taken = await started(http.createServer().listen(0, '127.0.0.1'));
    const port = Number(new URL(taken).port);
    const err = await new Promise<unknown>((resolve) => {
      const s = listen(express(), port, '127.0.0.1', resolve);
      servers.push(s);
    });
    expect((err as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });
});
