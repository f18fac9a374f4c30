import { describe, expect, it } from 'vitest';
import { gateWrites } from '../../api/write-gate.js';

/** A service whose writes wait until released by the test, recording the order they ran in. */
function fakeService() {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const service = {
    async sign(id: string): Promise<string> {
      started.push(id);
      if (id.startsWith('fail')) throw new Error(`refused ${id}`);
      await new Promise<void>((r) => release.set(id, r));
      return `signed ${id}`;
    },
    async list(): Promise<string[]> {
      return [...started];
    },
  };
  return { service, started, release };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('write gate', () => {
  it('runs at most `limit` writes at once and the rest in the order they came', async () => {
    const { service, started, release } = fakeService();
    const gated = gateWrites(service, ['sign'], 2);
    const results = ['a', 'b', 'c', 'd'].map((id) => gated.sign(id));
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect(gated.writeLoad()).toEqual({ inProgress: 2, waiting: 2 });
    release.get('b')!();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    release.get('a')!();
    await tick();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    release.get('c')!();
    release.get('d')!();
    expect(await Promise.all(results)).toEqual(['signed a', 'signed b', 'signed c', 'signed d']);
    expect(gated.writeLoad()).toEqual({ inProgress: 0, waiting: 0 });
  });

  it('a write that fails gives its place to the next and its error to its caller', async () => {
    const { service, started, release } = fakeService();
    const gated = gateWrites(service, ['sign'], 1);
    const failed = gated.sign('fail-1');
    const next = gated.sign('x');
    await expect(failed).rejects.toThrow('refused fail-1');
    await tick();
    expect(started).toEqual(['fail-1', 'x']);
    release.get('x')!();
    await expect(next).resolves.toBe('signed x');
  });

  it('leaves the other methods ungated: reads do not wait behind writes', async () => {
    const { service } = fakeService();
    const gated = gateWrites(service, ['sign'], 1);
    void gated.sign('slow');
    void gated.sign('queued');
    await tick();
    await expect(gated.list()).resolves.toEqual(['slow']);
    expect(gated.writeLoad().waiting).toBe(1);
  });

  it('refuses a name that is not a method', () => {
    expect(() => gateWrites({ x: 1 } as unknown as { x: () => Promise<void> }, ['x'], 1)).toThrow('x is not a method');
  });
});
