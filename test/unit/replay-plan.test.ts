/**
 * The replay's put plan: whatever the shard count, no shard gets more than its share of 1,000
 * records/s and 1 MiB/s in a tick (never more than the hard limits), requests stay within 500
 * records and 5 MiB, order is kept and nothing goes out before it is ready.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KINESIS_LIMITS, planPuts, ReplayPlanError, shardOfKey, tickBudgets, type PlanRecord } from '../../functions/core/synth/replay-plan';
import { mulberry32 } from '../../functions/core/random';

const MiB = 1024 * 1024;

/** A minute of records: a few hot keys and many cold ones, sizes from tiny to near 1 MiB. */
function minute(seed: number, n: number, keys: number, maxBytes: number): PlanRecord[] {
  const rng = mulberry32(seed);
  const out: PlanRecord[] = [];
  for (let i = 0; i < n; i++) {
    const hot = rng() < 0.4;
    const key = hot ? `hot-${Math.floor(rng() * 3)}` : `stream-${Math.floor(rng() * keys)}/abc`;
    const big = rng() < 0.02;
    out.push({ partitionKey: key, bytes: big ? Math.floor(maxBytes * (0.5 + rng() / 2)) : 50 + Math.floor(rng() * 4000), readyMs: Math.floor((i / n) * 60_000) });
  }
  return out;
}

/** Checks every promise of the plan for one input; returns the broken ones (plain JS: expect() per record is slow). */
function violations(records: PlanRecord[], shardCount: number, shardShare: number, recordsPerSecond?: number): string[] {
  const plan = planPuts(records, { shardCount, shardShare, recordsPerSecond });
  const budget = tickBudgets({ shardCount, shardShare, recordsPerSecond });
  const shardOf = new Map<string, number>();
  const bad: string[] = [];
  const order: number[] = [];
  let previous = -Infinity;
  for (const tick of plan.ticks) {
    if (tick.atMs - previous < 1000) bad.push(`tick ${tick.atMs} less than 1 s after ${previous}`);
    previous = tick.atMs;
    const perShard = new Map<number, { n: number; bytes: number }>();
    let n = 0;
    for (const req of tick.requests) {
      if (req.length === 0 || req.length > KINESIS_LIMITS.requestRecords) bad.push(`request of ${req.length} records`);
      const bytes = req.reduce((s, i) => s + records[i].bytes, 0);
      if (bytes > KINESIS_LIMITS.requestBytes) bad.push(`request of ${bytes} bytes`);
      for (const i of req) {
        order.push(i);
        if (tick.atMs < records[i].readyMs) bad.push(`record ${i} at ${tick.atMs} before ready ${records[i].readyMs}`);
        const key = records[i].partitionKey;
        let s = shardOf.get(key);
        if (s === undefined) shardOf.set(key, (s = shardOfKey(key, shardCount)));
        const u = perShard.get(s) ?? { n: 0, bytes: 0 };
        u.n++;
        u.bytes += records[i].bytes;
        perShard.set(s, u);
        n++;
      }
    }
    if (n > budget.streamRecords) bad.push(`tick ${tick.atMs}: ${n} records > ${budget.streamRecords}/s`);
    for (const [s, u] of perShard) {
      // Hard limits always; the share unless a single record is alone on its shard in the tick.
      if (u.n > KINESIS_LIMITS.shardRecordsPerSecond || u.bytes > KINESIS_LIMITS.shardBytesPerSecond) bad.push(`tick ${tick.atMs} shard ${s}: ${u.n} records, ${u.bytes} bytes over the hard limit`);
      if (u.n > budget.shardRecords || (u.n > 1 && u.bytes > budget.shardBytes)) bad.push(`tick ${tick.atMs} shard ${s}: ${u.n} records, ${u.bytes} bytes over the share`);
    }
  }
  if (order.length !== records.length || order.some((v, i) => v !== i)) bad.push('records out of order or lost');
  if (plan.records !== records.length) bad.push('record count');
  return bad;
}

describe('shardOfKey', () => {
  it('is the MD5 hash key in an evenly split hash space, as Kinesis computes it', () => {
    const md5 = (k: string): bigint => BigInt(`0x${createHash('md5').update(k).digest('hex')}`);
    for (const k of ['a', 'checkout-us-east-1-0/abc', 'x'.repeat(256)]) {
      for (const n of [1, 2, 3, 7, 64]) {
        const s = shardOfKey(k, n);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(n);
        const lo = ((1n << 128n) * BigInt(s)) / BigInt(n);
        const hi = ((1n << 128n) * BigInt(s + 1)) / BigInt(n);
        expect(md5(k) >= lo && md5(k) < hi).toBe(true);
      }
    }
    expect(shardOfKey('anything', 1)).toBe(0);
  });
});

describe('planPuts', () => {
  it('never exceeds a shard share, the hard shard limits or the request limits, for any shard count (property)', () => {
    let cases = 0;
    for (const shardCount of [1, 2, 3, 4, 5, 8, 13, 32, 64, 200]) {
      for (const [share, rps] of [[0.5, undefined], [1, undefined], [0.25, 300], [0.1, undefined]] as Array<[number, number | undefined]>) {
        for (const seed of [1, 2]) {
          const bad = violations(minute(seed * 1000 + shardCount, 3000, 40, KINESIS_LIMITS.recordBytes - 300), shardCount, share, rps);
          expect(bad.slice(0, 5), `${shardCount} shards, share ${share}, ${rps ?? '-'} records/s`).toEqual([]);
          cases++;
        }
      }
    }
    expect(cases).toBe(80);
  });

  it('spreads a burst on one shard over seconds (1,000 records of one key at half a shard: 2 ticks), and keeps the minute when it fits', () => {
    const burst = Array.from({ length: 1000 }, () => ({ partitionKey: 'one', bytes: 100, readyMs: 0 }));
    const plan = planPuts(burst, { shardCount: 4 });
    expect(plan.ticks.map((t) => [t.atMs, t.requests.map((r) => r.length)])).toEqual([
      [0, [500]],
      [1000, [500]],
    ]);
    expect(plan.peakShardRecords).toBe(500);
    // The same records over many keys and 4 shards go out in one tick (two requests of 500).
    const spread = burst.map((r, i) => ({ ...r, partitionKey: `k${i}` }));
    expect(planPuts(spread, { shardCount: 4 }).ticks.map((t) => t.requests.map((r) => r.length))).toEqual([[500, 500]]);
    // recordsPerSecond caps the whole stream.
    expect(planPuts(spread, { shardCount: 4, recordsPerSecond: 250 }).ticks).toHaveLength(4);
  });

  it('bytes: at half a shard, 3 records of 400 KiB on one shard take 3 ticks; a record near 1 MiB alone is accepted', () => {
    const big = Array.from({ length: 3 }, () => ({ partitionKey: 'p', bytes: 400 * 1024, readyMs: 0 }));
    expect(planPuts(big, { shardCount: 1 }).ticks).toHaveLength(3);
    expect(planPuts([{ partitionKey: 'p', bytes: MiB - 10, readyMs: 0 }], { shardCount: 1 }).ticks).toHaveLength(1);
  });

  it('waits for readiness: a record ready at 10.2 s goes out at 11 s, never before', () => {
    const plan = planPuts(
      [
        { partitionKey: 'a', bytes: 10, readyMs: 0 },
        { partitionKey: 'a', bytes: 10, readyMs: 10_200 },
      ],
      { shardCount: 2 },
    );
    expect(plan.ticks.map((t) => t.atMs)).toEqual([0, 11_000]);
    expect(plan.lastAtMs).toBe(11_000);
  });

  it('refuses what Kinesis would never accept, saying why', () => {
    expect(() => planPuts([{ partitionKey: 'a', bytes: MiB + 1, readyMs: 0 }], { shardCount: 1 })).toThrow(ReplayPlanError);
    expect(() => planPuts([{ partitionKey: 'a', bytes: MiB + 1, readyMs: 0 }], { shardCount: 1 })).toThrow(/Kinesis accepts 1\.\.1048576 per record/);
    expect(() => planPuts([{ partitionKey: '', bytes: 1, readyMs: 0 }], { shardCount: 1 })).toThrow(/partition key must be 1\.\.256/);
    expect(() => planPuts([], { shardCount: 0 })).toThrow(/shardCount must be a whole number >= 1/);
    expect(() => planPuts([], { shardCount: 1, shardShare: 1.5 })).toThrow(/shardShare must be in \(0, 1\]/);
    expect(() => planPuts([], { shardCount: 1, recordsPerSecond: 0 })).toThrow(/recordsPerSecond/);
    expect(planPuts([], { shardCount: 3 })).toMatchObject({ ticks: [], lastAtMs: 0, records: 0 });
  });
});
