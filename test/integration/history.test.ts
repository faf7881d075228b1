/**
 * The demo's parallel history learning (worker threads) gives exactly what one in-process run gives.
 */
import { describe, expect, it } from 'vitest';
import { learnHistoryInParallel } from '../../infra/local/history';
import { learnHistory } from '../../functions/core/offline';
import { generateEvents } from '../../functions/core/synth/generator';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';

describe('learnHistoryInParallel', () => {
  it('splits services over worker threads and returns the same windows, templates and patterns as one process', async () => {
    const start = Date.UTC(2026, 10, 16, 12, 0);
    const end = start + 90 * 60_000;
    const seen: number[] = [];
    const parallel = await learnHistoryInParallel({ start, end, seed: 3, scale: 0.5, workers: 2, onProgress: (p) => seen.push(p.at) });
    const serial = learnHistory(() => generateEvents({ start, end, seed: 3, scale: 0.5 }), { rules: DEFAULT_PARTITION_RULES, defaultRegion: 'us-east-1' });
    expect([...parallel.keys()]).toEqual([...serial.keys()].sort());
    expect(parallel.size).toBe(8);
    for (const [p, l] of serial) {
      const q = parallel.get(p)!;
      expect(q.windows).toEqual(l.windows);
      expect(q.templates.map((t) => t.id).sort()).toEqual(l.templates.map((t) => t.id).sort());
      expect(q.patterns).toEqual(l.patterns);
    }
    expect(seen.at(-1)).toBe(end);
  }, 120_000);
});
