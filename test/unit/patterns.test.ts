import { describe, expect, it } from 'vitest';
import { stableHash } from '../../functions/core/hash';
import { PatternTracker, learnPatterns, patternId } from '../../functions/core/patterns';
import { mulberry32 } from '../../functions/core/random';
import type { OrderedPattern } from '../../functions/core/types';

const A = 'a000000000000001';
const B = 'b000000000000002';
const C = 'c000000000000003'; // background noise, everywhere
const D = 'd000000000000004'; // only sometimes after A

/** Request start A, then B 1-5 s later (always), D sometimes, C at random. */
function sequences(seed: number, streams = 4, requests = 200): Map<string, Array<{ ts: number; templateId: string }>> {
  const rng = mulberry32(seed);
  const out = new Map<string, Array<{ ts: number; templateId: string }>>();
  for (let s = 0; s < streams; s++) {
    const ev: Array<{ ts: number; templateId: string }> = [];
    let t = 0;
    for (let i = 0; i < requests; i++) {
      t += 2000 + Math.floor(rng() * 20000);
      ev.push({ ts: t, templateId: A });
      ev.push({ ts: t + 1000 + Math.floor(rng() * 4000), templateId: B });
      if (rng() < 0.3) ev.push({ ts: t + 500, templateId: D });
      ev.push({ ts: t + Math.floor(rng() * 30000), templateId: C });
    }
    out.set(`stream-${s}`, ev);
  }
  return out;
}

describe('learnPatterns', () => {
  it('finds A>B and rejects weak or trivial pairs', () => {
    const ps = learnPatterns(sequences(1), { maxGapMs: 10_000 });
    const pairs = ps.map((p) => `${p.a}>${p.b}`);
    expect(pairs).toContain(`${A}>${B}`);
    expect(pairs).not.toContain(`${A}>${D}`); // support 0.3
    expect(pairs).not.toContain(`${A}>${C}`); // C is not reliably after A
    for (const p of ps) {
      expect(p.a).not.toBe(p.b);
      expect(p.id).toBe(stableHash(`${p.a}>${p.b}`));
      expect(p.support).toBeGreaterThanOrEqual(0.9);
      expect(p.maxGapMs).toBe(10_000);
    }
    const ab = ps.find((p) => p.a === A && p.b === B) as OrderedPattern;
    expect(ab.support).toBe(1);
    expect(patternId(A, B)).toBe(ab.id);
  });

  it('respects minOccurrences and maxPatterns, and is deterministic', () => {
    expect(learnPatterns(sequences(1, 1, 10), { minOccurrences: 20 })).toEqual([]);
    expect(learnPatterns(sequences(2), { maxPatterns: 1 })).toHaveLength(1);
    expect(learnPatterns(sequences(3))).toEqual(learnPatterns(sequences(3)));
  });
});

describe('PatternTracker', () => {
  const p: OrderedPattern = { id: patternId(A, B), a: A, b: B, maxGapMs: 10_000, support: 1 };

  it('matches B to a pending A and reports B without A', () => {
    const t = new PatternTracker([p]);
    expect(t.observe('s1', A, 0)).toEqual([]);
    expect(t.observe('s1', B, 5000)).toEqual([]);
    // No A pending any more, but the tracker has watched s1 for less than the gap: it cannot know
    // whether an A came just before it started, so this is not (yet) a violation.
    expect(t.observe('s1', B, 6000)).toEqual([]);
    expect(t.observe('s1', B, 20_000)).toEqual([p.id]); // watched longer than the gap: a real B without A
    expect(t.observe('s2', C, 6000)).toEqual([]); // unrelated template
    expect(t.trackedStreams).toBe(0);
  });

  it('does not blame B on a fresh tracker for an A it never had the chance to see (cold start)', () => {
    const t = new PatternTracker([p]);
    expect(t.observe('s9', B, 100_000)).toEqual([]);
    expect(t.observe('s9', B, 100_000 + p.maxGapMs - 1)).toEqual([]);
    expect(t.observe('s9', B, 100_000 + p.maxGapMs + 1)).toEqual([p.id]);
  });

  it('keeps streams apart and expires A without B', () => {
    const t = new PatternTracker([p]);
    t.observe('s1', A, 0);
    t.observe('s2', A, 1000);
    expect(t.observe('s2', B, 2000)).toEqual([]);
    expect(t.expire(9000)).toEqual([]);
    expect(t.expire(10_001)).toEqual([p.id]);
    expect(t.expire(20_000)).toEqual([]);
    // A B beyond the gap does not consume a stale A; the stale A still expires.
    t.observe('s3', A, 0);
    // The B comes too late: its own stream proves the A went without B, and the B had no A.
    expect(t.observe('s3', B, 15_000)).toEqual([p.id, p.id]);
    expect(t.expire(15_000)).toEqual([]);
  });

  it('on clean training-like data reports almost no violations', () => {
    const seqs = sequences(9, 2, 300);
    const t = new PatternTracker([p]);
    const all = [...seqs.entries()].flatMap(([s, evs]) => evs.map((e) => ({ s, ...e }))).sort((x, y) => x.ts - y.ts);
    let v = 0;
    for (const e of all) {
      v += t.observe(e.s, e.templateId, e.ts).length;
      v += t.expire(e.ts).length;
    }
    expect(v).toBe(0);
  });

  it('bounds memory per stream and in number of streams', () => {
    const t = new PatternTracker([p], { maxPendingPerPattern: 5, maxStreams: 3 });
    for (let i = 0; i < 20; i++) t.observe('s1', A, i);
    expect((t.snapshot().streams[0][1][p.id] as number[]).length).toBe(5);
    for (let s = 0; s < 10; s++) t.observe(`x${s}`, A, 100);
    expect(t.trackedStreams).toBe(3);
    expect(t.dropped).toBeGreaterThan(0);
  });

  it('snapshot / restore round-trips and drops unknown patterns', () => {
    const t = new PatternTracker([p]);
    t.observe('s1', A, 0);
    t.observe('s2', A, 100);
    const snap = JSON.parse(JSON.stringify(t.snapshot()));
    const r = PatternTracker.restore([p], snap);
    expect(r.snapshot()).toEqual(t.snapshot());
    expect(r.observe('s1', B, 500)).toEqual([]);
    expect(r.expire(60_000)).toEqual([p.id]);
    expect(PatternTracker.restore([], snap).trackedStreams).toBe(0);
    expect(PatternTracker.restore([p], { garbage: true }).trackedStreams).toBe(0);
  });
});
