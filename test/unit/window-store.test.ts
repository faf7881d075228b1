import { describe, expect, it } from 'vitest';
import { bucketOf, bucketOnly, GUARD_BUCKETS, openShardOf, packGroups, padSequence } from '../../functions/adapters/window-store';

describe('window store helpers', () => {
  it('pads sequence numbers so string order is numeric order', () => {
    const seqs = ['9', '10', '49590338271490256608559692538361571095921575989136588898', '100'];
    const sorted = [...seqs].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(seqs.map(padSequence).sort()).toEqual(sorted.map(padSequence));
  });

  it('spreads attribute names over fixed buckets, the same way every time', () => {
    const names = Array.from({ length: 400 }, (_, i) => `t_${i.toString(16).padStart(16, '0')}`);
    const counts = new Array(GUARD_BUCKETS).fill(0);
    for (const n of names) {
      expect(bucketOf(n)).toBe(bucketOf(n));
      counts[bucketOf(n)]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(50);
    const attrs = { adds: Object.fromEntries(names.map((n) => [n, 1])), firsts: { smp_a: 'x' } };
    const parts = Array.from({ length: GUARD_BUCKETS }, (_, b) => bucketOnly(attrs, b));
    expect(parts.reduce((n, p) => n + Object.keys(p.adds).length, 0)).toBe(names.length);
    expect(parts.reduce((n, p) => n + Object.keys(p.firsts).length, 0)).toBe(1);
  });

  it('packs small contributions into one UpdateItem and splits big ones under the 4 KB limit', () => {
    const small = [0, 1, 2, 3].map((b) => ({ bucket: b, attrs: { adds: { [`t_${b}`]: 3 }, firsts: {} } }));
    expect(packGroups(small)).toHaveLength(1);
    const big = [0, 1, 2, 3].map((b) => ({
      bucket: b,
      attrs: { adds: Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`h_latencyMs_${b}_${i}`, 1000 + i])), firsts: {} },
    }));
    const calls = packGroups(big);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.flat()).toHaveLength(4);
  });

  it('assigns each partition a stable open-index shard', () => {
    expect(openShardOf('checkout#us-east-1')).toBe(openShardOf('checkout#us-east-1'));
    const shards = new Set(['a#x', 'b#x', 'c#x', 'd#x', 'e#x', 'f#x', 'g#x', 'h#x'].map(openShardOf));
    expect(shards.size).toBeGreaterThan(1);
  });
});
