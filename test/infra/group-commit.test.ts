import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../infra/db/group-commit.js';

describe('groupCommit', () => {
  it('writes what arrives during a write in the next one, and settles each caller after its own write', async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const write = groupCommit<number>(async (items) => {
      writes.push(items);
      await new Promise<void>((resolve) => (release = resolve));
    });
    const settled: string[] = [];
    const a = write([1]).then(() => settled.push('a'));
    await Promise.resolve();
    const b = write([2, 3]).then(() => settled.push('b'));
    const c = write([4]).then(() => settled.push('c'));
    await new Promise((r) => setTimeout(r, 5));
    expect(writes).toEqual([[1]]);
    expect(settled).toEqual([]);
    release();
    await a;
    await new Promise((r) => setTimeout(r, 5));
    expect(writes).toEqual([[1], [2, 3, 4]]);
    expect(settled).toEqual(['a']);
    release();
    await Promise.all([b, c]);
    expect(settled).toEqual(['a', 'b', 'c']);
  });

  it('fails every caller of a failed write, and later writes still go through', async () => {
    let fail = true;
    const write = groupCommit<number>(async () => {
      if (fail) throw new Error('connection lost');
    });
    await expect(write([1])).rejects.toThrow('connection lost');
    fail = false;
    await expect(write([2])).resolves.toBeUndefined();
    await expect(write([])).resolves.toBeUndefined();
  });

  it("gives each caller of a shared write that write's result", async () => {
    const write = groupCommit<number, number[]>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      return items.map((n) => n * 10);
    });
    const first = write([1]);
    const [second, third] = await Promise.all([write([2]), write([3, 4])]);
    expect(await first).toEqual([10]);
    expect(second).toEqual([20, 30, 40]);
    expect(third).toBe(second);
  });
});
