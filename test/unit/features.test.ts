import { describe, expect, it } from 'vitest';
import {
  addEvent,
  addPatternViolations,
  attributesToPartial,
  emptyPartial,
  mergePartials,
  minuteOf,
  partialToAttributes,
  windowFeatures,
} from '../../functions/core/features';
import { bucketOf } from '../../functions/core/histogram';
import { mulberry32 } from '../../functions/core/random';
import { FEATURE_NAMES } from '../../functions/core/types';
import type { Level, ParsedEvent, WindowPartial } from '../../functions/core/types';
import { T0, genMinute } from './core-fixtures';

const TA = 'aaaaaaaaaaaaaaaa';
const TB = 'bbbbbbbbbbbbbbbb';

function ev(level: Level, numeric: ParsedEvent['numeric'] = {}, status?: number): ParsedEvent {
  return { timestamp: T0, level, format: 'json', body: 'x', status, numeric, fields: {} };
}

describe('minuteOf', () => {
  it('floors to the minute', () => {
    expect(minuteOf(T0 + 59_999)).toBe(T0);
    expect(minuteOf(T0 + 60_000)).toBe(T0 + 60_000);
  });
});

describe('addEvent / windowFeatures', () => {
  it('counts everything and computes the features', () => {
    const p = emptyPartial('svc#eu', T0);
    addEvent(p, { parsed: ev('INFO', { latencyMs: 100, bytes: 500 }, 200), match: { templateId: TA, template: 'a <*>', isNew: false }, raw: 'héllo', sample: 's1' });
    addEvent(p, { parsed: ev('ERROR', { latencyMs: 300 }, 503), match: { templateId: TB, template: 'b <*>', isNew: true }, raw: 'abc', sample: 's2' });
    addEvent(p, { parsed: ev('WARN', {}, 404), match: { templateId: TA, template: 'a <*>', isNew: false }, raw: 'abcd', sample: 's3' });
    addEvent(p, { parsed: ev('FATAL'), match: { templateId: TB, template: 'b <*>', isNew: true }, raw: '' });
    addPatternViolations(p, ['p1', 'p1', 'p2']);
    expect(p.count).toBe(4);
    expect(p.bytes).toBe(6 + 3 + 4); // é is 2 bytes in UTF-8
    expect(p.levels).toEqual({ INFO: 1, ERROR: 1, WARN: 1, FATAL: 1 });
    expect(p.statusClasses).toEqual({ '2xx': 1, '5xx': 1, '4xx': 1 });
    expect(p.templates).toEqual({ [TA]: 2, [TB]: 2 });
    expect(p.newTemplates).toEqual({ [TB]: 2 });
    expect(p.templateText).toEqual({ [TB]: 'b <*>' });
    expect(p.samples).toEqual({ [TA]: 's1', [TB]: 's2' });
    expect(p.sums).toEqual({ latencyMs: 400, bytes: 500 });
    const f = windowFeatures(p);
    expect(Object.keys(f.features).sort()).toEqual([...FEATURE_NAMES].sort());
    expect(f.features.errorCount).toBe(2);
    expect(f.features.errorRate).toBe(0.5);
    expect(f.features.warnRate).toBe(0.25);
    expect(f.features.status5xxRate).toBeCloseTo(1 / 3);
    expect(f.features.status4xxRate).toBeCloseTo(1 / 3);
    expect(Math.abs(f.features.latencyP50 - 100) / 100).toBeLessThan(0.05);
    expect(Math.abs(f.features.latencyP99 - 300) / 300).toBeLessThan(0.05);
    expect(Math.abs(f.features.bytesP95 - 500) / 500).toBeLessThan(0.05);
    expect(f.features.newTemplateCount).toBe(2);
    expect(f.features.distinctTemplates).toBe(2);
    expect(f.features.patternViolations).toBe(3);
    expect(f.newTemplates).toEqual({ [TB]: 'b <*>' });
  });

  it('gives zeros for an empty window', () => {
    const f = windowFeatures(emptyPartial('svc#eu', T0));
    for (const n of FEATURE_NAMES) expect(f.features[n]).toBe(0);
  });
});

describe('mergePartials', () => {
  const rng = mulberry32(11);
  const a = genMinute(rng, T0, { base: 100 });
  const b = genMinute(rng, T0, { base: 100 });
  const c = genMinute(rng, T0, { base: 100 }, { errorRate: 0.3, newTemplate: { id: TB, template: 'new <*>', level: 'ERROR', count: 3 } });
  addPatternViolations(b, ['p1']);

  it('is commutative and associative for every additive field', () => {
    const strip = (p: WindowPartial): unknown => ({ ...p, samples: Object.keys(p.samples).sort(), templateText: Object.keys(p.templateText).sort() });
    expect(strip(mergePartials(a, b))).toEqual(strip(mergePartials(b, a)));
    expect(mergePartials(mergePartials(a, b), c)).toEqual(mergePartials(a, mergePartials(b, c)));
  });

  it('adds counts and keeps the first sample', () => {
    const m = mergePartials(a, c);
    expect(m.count).toBe(a.count + c.count);
    expect(m.bytes).toBe(a.bytes + c.bytes);
    expect(m.levels.ERROR).toBe((a.levels.ERROR ?? 0) + (c.levels.ERROR ?? 0));
    const id = Object.keys(a.samples)[0];
    expect(m.samples[id]).toBe(a.samples[id]);
    expect(m.newTemplates[TB]).toBe(3);
    expect(m.templateText[TB]).toBe('new <*>');
    expect(a.count).toBeGreaterThan(0); // inputs untouched
    expect(windowFeatures(m).features.count).toBe(a.count + c.count);
  });

  it('events split over shards then merged equal one partial of all events', () => {
    const r = mulberry32(5);
    const whole = emptyPartial('svc#eu', T0);
    const shards = [emptyPartial('svc#eu', T0), emptyPartial('svc#eu', T0), emptyPartial('svc#eu', T0)];
    for (let i = 0; i < 500; i++) {
      const level: Level = r() < 0.1 ? 'ERROR' : 'INFO';
      const id = `${Math.floor(r() * 8)}`.repeat(16);
      const e = {
        parsed: ev(level, { latencyMs: Math.round(50 + 500 * r()) }, level === 'ERROR' ? 500 : 200),
        match: { templateId: id, template: `t${id[0]} <*>`, isNew: id[0] === '7' },
        raw: `line ${i}`,
        sample: `line ${i}`,
      };
      addEvent(whole, e);
      addEvent(shards[Math.floor(r() * 3)], e);
    }
    const merged = mergePartials(mergePartials(shards[0], shards[1]), shards[2]);
    const { samples: _s1, ...a } = merged;
    const { samples: _s2, ...b } = whole;
    expect(a).toEqual(b);
    expect(windowFeatures(merged).features).toEqual(windowFeatures(whole).features);
  });
});

describe('flat attribute encoding', () => {
  it('round-trips exactly through DynamoDB-style attributes', () => {
    const rng = mulberry32(21);
    const p = genMinute(rng, T0, { base: 150 }, { newTemplate: { id: TB, template: 'boom <*>', level: 'ERROR', count: 4 } });
    addPatternViolations(p, ['0123456789abcdef', '0123456789abcdef']);
    // A zero-bucket value and a tiny value (negative bucket index).
    addEvent(p, { parsed: ev('INFO', { latencyMs: 0, cpuPct: 0.004 }), match: { templateId: TA, template: 'a', isNew: false }, raw: 'x' });
    expect(Object.keys(p.histograms.cpuPct ?? {}).map(Number)).toContain(bucketOf(0.004));
    const { adds, firsts } = partialToAttributes(p);
    for (const name of [...Object.keys(adds), ...Object.keys(firsts)]) expect(name).toMatch(/^[A-Za-z0-9_]+$/);
    expect(adds.n).toBe(p.count);
    expect(adds[`t_${TB}`]).toBe(4);
    expect(adds[`nt_${TB}`]).toBe(4);
    expect(adds[`pv_0123456789abcdef`]).toBe(2);
    expect(adds[`h_cpuPct_m${-bucketOf(0.004)}`]).toBe(1);
    expect(firsts[`tt_${TB}`]).toBe('boom <*>');
    const stored = { pk: 'WINDOW#svc', sk: 'M#x', openShard: 'OPEN#1', windowStart: T0, g_batch1: 1, ...adds, ...firsts };
    expect(attributesToPartial(p.partition, T0, stored)).toEqual(p);
  });

  it('adding two encodings attribute-wise equals encoding the merge', () => {
    const rng = mulberry32(4);
    const a = genMinute(rng, T0, { base: 80 });
    const b = genMinute(rng, T0, { base: 80 });
    const item: Record<string, unknown> = {};
    for (const p of [a, b]) {
      const { adds, firsts } = partialToAttributes(p);
      for (const [k, v] of Object.entries(adds)) item[k] = ((item[k] as number) ?? 0) + v; // ADD
      for (const [k, v] of Object.entries(firsts)) item[k] ??= v; // if_not_exists
    }
    expect(attributesToPartial(a.partition, T0, item)).toEqual(mergePartials(a, b));
  });

  it('ignores unknown and malformed attributes', () => {
    const p = attributesToPartial('svc', T0, { n: 3, l_BOGUS: 1, h_latencyMs_x1: 2, h_nope_3: 1, t_: 5, smp_x: 7, zzz: 'q' });
    expect(p).toEqual({ ...emptyPartial('svc', T0), count: 3 });
  });
});
