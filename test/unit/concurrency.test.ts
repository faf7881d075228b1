import { describe, expect, it } from 'vitest';
import { forEachLimit } from '../../functions/core/concurrency';

describe('forEachLimit', () => {
  it('processes every item once with at most `limit` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimit([...Array(25).keys()], 3, async (x) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, (x * 7) % 5));
      seen.push(x);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
    expect(peak).toBe(3);
  });

  it('rejects with the first error, and copes with no items and a limit below 1', async () => {
    await expect(forEachLimit([1, 2, 3], 2, async (x) => { if (x === 2) throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(forEachLimit([], 4, async () => { throw new Error('never'); })).resolves.toBeUndefined();
    const seen: number[] = [];
    await forEachLimit([1, 2], 0, async (x) => { seen.push(x); });
    expect(seen).toEqual([1, 2]);
  });
});
