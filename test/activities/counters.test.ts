import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../infra/db/pool.js';
import { counterDifferences, rebuildCounters } from '../../infra/db/queries/counters.js';
import { createOrganizationService } from '../../api/organizations.js';
import { addOrganization, createTestDatabase, createUser, type TestDatabase } from '../helpers/db.js';
import { CaseWriter } from '../helpers/read-model.js';
import type { CaseEvent } from '../../workflows/definitions.js';

/** A small seeded PRNG (mulberry32): the run is random but the same on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

describe('counters under a randomized run', () => {
  let db: TestDatabase;
  let orgs: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    const upper = await addOrganization(db.pool, { name: 'Đảng ủy Ngẫu Nhiên', kind: 'upper-committee' });
    const gc = await addOrganization(db.pool, { name: 'Đảng bộ Ngẫu Nhiên', kind: 'grassroots-committee', parentId: upper });
    orgs = [
      await addOrganization(db.pool, { name: 'Chi bộ 1', kind: 'cell', parentId: gc }),
      await addOrganization(db.pool, { name: 'Chi bộ 2', kind: 'cell', parentId: gc }),
      await addOrganization(db.pool, { name: 'Chi bộ cơ sở 3', kind: 'grassroots-cell', parentId: upper }),
    ];
  });
  afterAll(() => db?.drop());

  it('equal a recount from the events after starts, sign-offs, holds, transfers, withdrawals and retried writes', async () => {
    const rnd = prng(20240331);
    const steps = ['application', 'cell-vote', 'committee-vote', 'decision', 'ceremony', 'probation'];
    const day = () => `2024-${String(rnd.int(12) + 1).padStart(2, '0')}-${String(rnd.int(28) + 1).padStart(2, '0')}`;
    let operations = 0;
    // 40 cases driven at once (each one's events in order, as its workflow writes them).
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const type = i % 5 === 0 ? 'cell-establishment' : 'admission';
        let org = rnd.pick(orgs);
        const w = await CaseWriter.open(db.pool, { type, organizationId: org });
        const written: CaseEvent[] = [];
        let step = type === 'admission' ? 'source' : 'survey';
        for (let k = 0; k < 12; k += 1) {
          operations += 1;
          const roll = rnd.next();
          if (roll < 0.3) {
            step = rnd.pick(steps);
            written.push(await w.enter(step, rnd.next() < 0.8 ? day() : null));
          } else if (roll < 0.5) {
            const outcome = type === 'admission' ? rnd.pick(['admitted', 'rejected', 'held']) : rnd.pick(['established', 'announced']);
            const s = type === 'admission' ? (outcome === 'held' ? 'ceremony' : 'decision') : outcome === 'announced' ? 'announcement' : 'decision';
            written.push(await w.complete(s, { issuedOn: day(), heldOn: day(), outcome }));
          } else if (roll < 0.6) {
            written.push(await w.hold(step));
          } else if (roll < 0.7) {
            written.push(await w.write({ kind: 'step-due-changed', step, dueOn: day() }));
          } else if (roll < 0.8) {
            const to = rnd.pick(orgs.filter((o) => o !== org));
            written.push(await w.transfer(org, to));
            org = to;
          } else if (roll < 0.95 && written.length) {
            await w.replay(rnd.pick(written)); // a retried activity: must change nothing
          } else {
            await w.close(rnd.pick(['withdrawn', 'rejected', 'completed'] as const));
            break;
          }
        }
      }),
    );
    expect(operations).toBeGreaterThan(200);
    const { rows } = await db.pool.query<{ n: number }>('SELECT coalesce(sum(n), 0)::int AS n FROM report_counts');
    expect(rows[0]!.n).toBeGreaterThan(5); // the run counted something
    expect(await counterDifferences(db.pool)).toEqual([]);
  });

  it('follow an organization that moves in the tree: its totals leave the old committee for the new one', async () => {
    const upper = (await db.pool.query<{ id: string }>(`SELECT id FROM organizations WHERE kind = 'upper-committee'`)).rows[0]!.id;
    const gc2 = await addOrganization(db.pool, { name: 'Đảng bộ Nhận', kind: 'grassroots-committee', parentId: upper });
    const admin = await createUser(db.pool, 'counters-admin', [{ role: 'admin', organizationId: null, body: null }]);
    const orgsService = createOrganizationService({ pool: db.pool });
    const principal = { userId: admin.id, username: admin.username, displayName: 'Quản trị', roles: [{ role: 'admin' as const, organizationId: null, body: null }], via: 'token' as const, ip: null };
    const moved = orgs[1]!;
    const w = await CaseWriter.open(db.pool, { organizationId: moved });
    await w.admit('2024-05-05');
    const at = async (org: string) => (await db.pool.query<{ n: number }>(`SELECT coalesce(sum(n), 0)::int AS n FROM report_counts WHERE organization_id = $1`, [org])).rows[0]!.n;
    const inMoved = await at(moved);
    expect(inMoved).toBeGreaterThan(0);
    expect(await at(gc2)).toBe(0);
    await orgsService.update(principal, moved, { parentId: gc2 });
    expect(await at(gc2)).toBe(inMoved);
    expect(await counterDifferences(db.pool)).toEqual([]);
  });

  it('reports a counter that drifted, and the fix rebuilds it from the events', async () => {
    await db.pool.query('UPDATE pipeline_counts SET n = n + 3 WHERE ctid = (SELECT ctid FROM pipeline_counts WHERE n > 0 LIMIT 1)');
    await db.pool.query(`INSERT INTO report_counts (organization_id, kind, day, n) VALUES ($1, 'admission-decision', '2019-05-05', 2)`, [orgs[0]]);
    const diffs = await counterDifferences(db.pool);
    expect(diffs).toHaveLength(2);
    expect(diffs).toContainEqual({ table: 'report_counts', key: `${orgs[0]}|admission-decision|2019-05-05`, stored: 2, recounted: 0 });
    expect(diffs.find((d) => d.table === 'pipeline_counts')!.stored - diffs.find((d) => d.table === 'pipeline_counts')!.recounted).toBe(3);
    await withTransaction(db.pool, (tx) => rebuildCounters(tx));
    expect(await counterDifferences(db.pool)).toEqual([]);
  });
  it('npm run counters:check lists a drift and exits 1; --fix rebuilds and exits 0', async () => {
    await db.pool.query(`INSERT INTO report_counts (organization_id, kind, day, n) VALUES ($1, 'admission-decision', '2018-08-08', 1)`, [orgs[2]]);
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/check-counters.ts', ...args], { env: { ...process.env, DATABASE_URL: db.url } }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    const check = await run();
    expect(check.code).toBe(1);
    expect(check.out).toContain('1 difference(s)');
    expect(check.out).toContain(`report_counts ${orgs[2]}|admission-decision|2018-08-08: stored 1, recounted 0`);
    const fix = await run('--fix');
    expect(fix).toMatchObject({ code: 0 });
    expect(fix.out).toContain('rebuilt from the events: 0 difference(s) left');
    expect((await run()).code).toBe(0);
  });
});
