import { beforeAll, describe, expect, it } from 'vitest';
import { minuteOf } from '../../functions/core/features';
import { learnHistory, profileFromLearned, scoreEvents, type LearnedPartition, type OfflineOptions } from '../../functions/core/offline';
import { DEFAULT_PARTITION_RULES, partitionOf } from '../../functions/core/partition';
import { validateProfile } from '../../functions/core/profile';
import { DEFAULT_SERVICES, generateEvents, withOverrides, type ServiceSpec } from '../../functions/core/synth';
import type { LogEvent, Profile } from '../../functions/core/types';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 2024-05-06 00:00 UTC. */
const MON = Date.UTC(2024, 4, 6);
const SCALE = 0.3;
const OPTS: OfflineOptions = { rules: DEFAULT_PARTITION_RULES, defaultRegion: 'eu-west-1' };

const spec = (name: string, regions: string[]): ServiceSpec => {
  const s = DEFAULT_SERVICES.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return withOverrides(s, { regions });
};
/** One service, one region: eu-west-1 has UTC offset 0, so region-local seasonality is UTC. */
const CHECKOUT_EU = [spec('checkout', ['eu-west-1'])];
const P_EU = 'checkout#eu-west-1';

const partitionKey = (e: LogEvent): string => partitionOf(e.logGroup, DEFAULT_PARTITION_RULES, 'eu-west-1').key;

/** Events per (partition, minute), computed independently of the code under test. */
function countsByMinute(events: Iterable<LogEvent>): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const e of events) {
    const p = partitionKey(e);
    let m = out.get(p);
    if (!m) out.set(p, (m = new Map()));
    const t = Math.floor(e.timestamp / MIN) * MIN;
    m.set(t, (m.get(t) ?? 0) + 1);
  }
  return out;
}

describe('learnHistory (small history: checkout in two regions, 6 hours)', () => {
  const services = [spec('checkout', ['eu-west-1', 'us-east-1'])];
  const start = MON + 8 * HOUR;
  const end = start + 6 * HOUR;
  const gen = (): Iterable<LogEvent> => generateEvents({ services, start, end, seed: 11, scale: SCALE });
  let events: LogEvent[];
  let learned: Map<string, LearnedPartition>;
  let calls = 0;
  const progress: Array<[number, 1 | 2]> = [];

  beforeAll(() => {
    events = [...gen()];
    learned = learnHistory(
      () => {
        calls++;
        return events;
      },
      { ...OPTS, onProgress: (done, pass) => progress.push([done, pass]) },
    );
  });

  it('calls the factory exactly twice (pass 1 templates, pass 2 windows)', () => {
    expect(calls).toBe(2);
    const last1 = progress.filter(([, p]) => p === 1).at(-1);
    const last2 = progress.filter(([, p]) => p === 2).at(-1);
    expect(last1).toEqual([events.length, 1]);
    expect(last2).toEqual([events.length, 2]);
    // Pass 1 is reported before pass 2.
    expect(progress.findIndex(([, p]) => p === 2)).toBeGreaterThan(progress.findIndex(([, p]) => p === 1));
  });

  it('learns one entry per partition, each with templates, windows and patterns', () => {
    expect([...learned.keys()].sort()).toEqual(['checkout#eu-west-1', 'checkout#us-east-1']);
    for (const [key, l] of learned) {
      expect(l.partition).toBe(key);
      expect(l.templates.length).toBeGreaterThan(5);
      expect(l.windows.length).toBeGreaterThan(0);
      expect(Array.isArray(l.patterns)).toBe(true);
      for (const w of l.windows) expect(w.partition).toBe(key);
      const ids = new Set(l.templates.map((t) => t.id));
      expect(ids.size).toBe(l.templates.length);
      for (const t of l.templates) {
        expect(t.id).toMatch(/^[0-9a-f]{16}$/);
        expect(t.count).toBeGreaterThan(0);
      }
      for (const p of l.patterns) {
        expect(ids.has(p.a)).toBe(true);
        expect(ids.has(p.b)).toBe(true);
        expect(p.support).toBeGreaterThanOrEqual(0.9);
      }
    }
  });

  it('learns the ordered flows of checkout as patterns (A then B in one stream)', () => {
    const eu = learned.get(P_EU)!;
    expect(eu.patterns.length).toBeGreaterThan(0);
    const byId = new Map(eu.templates.map((t) => [t.id, t.template]));
    for (const p of eu.patterns) {
      expect(p.a).not.toBe(p.b);
      expect(p.maxGapMs).toBeGreaterThan(0);
      expect(byId.get(p.a)).toBeDefined();
    }
  });

  it('window counts equal the event counts per (partition, minute); windows are sorted and complete', () => {
    const expected = countsByMinute(events);
    for (const [key, l] of learned) {
      const exp = expected.get(key)!;
      const got = new Map(l.windows.map((w) => [w.windowStart, w.features.count]));
      expect(got).toEqual(exp);
      for (let i = 1; i < l.windows.length; i++) expect(l.windows[i].windowStart).toBeGreaterThan(l.windows[i - 1].windowStart);
      for (const w of l.windows) {
        expect(w.windowStart % MIN).toBe(0);
        expect(Object.values(w.templates).reduce((s, n) => s + n, 0)).toBe(w.features.count);
      }
    }
    const total = [...learned.values()].reduce((s, l) => s + l.windows.reduce((a, w) => a + w.features.count, 0), 0);
    expect(total).toBe(events.length);
  });

  it('with the whole history mined, template counts add up to the events and pass 2 finds no new template', () => {
    for (const [key, l] of learned) {
      const n = events.filter((e) => partitionKey(e) === key).length;
      expect(l.templates.reduce((s, t) => s + t.count, 0)).toBe(n);
      const ids = new Set(l.templates.map((t) => t.id));
      for (const w of l.windows) {
        expect(w.features.newTemplateCount).toBe(0);
        for (const id of Object.keys(w.templates)) expect(ids.has(id)).toBe(true);
      }
    }
  });

  it('learns dominant levels: error templates are ERROR, most are INFO', () => {
    const eu = learned.get(P_EU)!;
    const levels = new Set(eu.templates.map((t) => t.level));
    expect(levels.has('INFO')).toBe(true);
    expect(levels.has('ERROR')).toBe(true);
    const top = [...eu.templates].sort((a, b) => b.count - a.count)[0];
    expect(top.level).toBe('INFO');
  });

  it('is deterministic: the same events learn the same result', () => {
    const again = learnHistory(() => events, OPTS);
    expect(again.get(P_EU)!.templates).toEqual(learned.get(P_EU)!.templates);
    expect(again.get(P_EU)!.patterns).toEqual(learned.get(P_EU)!.patterns);
    expect(again.get(P_EU)!.windows.map((w) => w.features)).toEqual(learned.get(P_EU)!.windows.map((w) => w.features));
  });

  it('templateSampleEvents limits pass 1; lines it never saw still land in windows as new templates', () => {
    const progress1: number[] = [];
    const sample = 300;
    const limited = learnHistory(() => events, { ...OPTS, templateSampleEvents: sample, onProgress: (n, p) => p === 1 && progress1.push(n) });
    expect(progress1.at(-1)).toBe(sample);
    // Only the first `sample` events were mined.
    const minedTotal = [...limited.values()].reduce((s, l) => s + l.templates.reduce((a, t) => a + t.count, 0), 0);
    expect(minedTotal).toBe(sample);
    // Every event still lands in a window.
    const expected = countsByMinute(events);
    let newTotal = 0;
    for (const [key, l] of limited) {
      expect(new Map(l.windows.map((w) => [w.windowStart, w.features.count]))).toEqual(expected.get(key));
      const ids = new Set(l.templates.map((t) => t.id));
      for (const w of l.windows) {
        newTotal += w.features.newTemplateCount;
        for (const [id, text] of Object.entries(w.newTemplates)) {
          expect(ids.has(id)).toBe(false);
          expect(text.length).toBeGreaterThan(0);
        }
      }
    }
    expect(newTotal).toBeGreaterThan(0);
    // Unseen lines are counted as new, seen ones are not: new + known = all.
    const knownTotal = [...limited.values()].reduce(
      (s, l) => s + l.windows.reduce((a, w) => a + w.features.count - w.features.newTemplateCount, 0),
      0,
    );
    expect(knownTotal + newTotal).toBe(events.length);
  });

  // A partition whose first event comes after the template sample has no learned dictionary: its
  // lines resolve as new templates and its windows are still returned.
  it('a partition that only appears after the template sample still gets its windows', () => {
    // 200 eu events first, then us events only: the us partition is unseen in pass 1.
    const eu = events.filter((e) => partitionKey(e) === P_EU).slice(0, 200);
    const us = events.filter((e) => partitionKey(e) === 'checkout#us-east-1').slice(0, 500);
    const seq = [...eu, ...us];
    const l = learnHistory(() => seq, { ...OPTS, templateSampleEvents: 200 });
    const usCount = l.get('checkout#us-east-1')?.windows.reduce((s, w) => s + w.features.count, 0) ?? 0;
    expect(usCount).toBe(500);
    const usNew = l.get('checkout#us-east-1')!.windows.reduce((s, w) => s + w.features.newTemplateCount, 0);
    expect(usNew).toBe(500);
  });
});

describe('profileFromLearned', () => {
  let learned: LearnedPartition;
  beforeAll(() => {
    const start = MON + 10 * HOUR;
    learned = learnHistory(() => generateEvents({ services: CHECKOUT_EU, start, end: start + 3 * HOUR, seed: 5, scale: SCALE }), OPTS).get(P_EU)!;
  });

  it('builds a valid profile (validateProfile accepts it) for the partition', () => {
    const builtAt = MON + DAY;
    const p = validateProfile(profileFromLearned(learned, builtAt));
    expect(p.partition).toBe(P_EU);
    expect(p.version).toBe(1);
    expect(p.builtAt).toBe(builtAt);
    expect(p.trainingWindows).toBe(learned.windows.length);
    expect(p.patterns).toEqual(learned.patterns);
    expect(p.seasonal.count).toHaveLength(168);
    expect(p.global.count.median).toBeGreaterThan(0);
    // JSON round trip keeps it valid (what the profile store does).
    expect(() => validateProfile(JSON.parse(JSON.stringify(p)))).not.toThrow();
  });

  it('carries the learned templates with shares that sum to ~1 and their levels', () => {
    const p = profileFromLearned(learned, 0);
    expect(p.templates).toHaveLength(learned.templates.length);
    const byId = new Map(learned.templates.map((t) => [t.id, t]));
    for (const t of p.templates) {
      expect(byId.get(t.id)?.template).toBe(t.template);
      expect(byId.get(t.id)?.level).toBe(t.level);
    }
    expect(p.templates.reduce((s, t) => s + t.share, 0)).toBeCloseTo(1, 4);
    for (let i = 1; i < p.templates.length; i++) expect(p.templates[i].share).toBeLessThanOrEqual(p.templates[i - 1].share);
  });

  it('honours an explicit version', () => {
    expect(validateProfile(profileFromLearned(learned, 0, 7)).version).toBe(7);
  });

  it('fills the seasonal slots the history covers, and only those', () => {
    const p = profileFromLearned(learned, 0);
    const slot = (h: number): number => 1 * 24 + h; // Monday
    for (const h of [10, 11, 12]) expect(p.seasonal.count[slot(h)]).not.toBeNull();
    expect(p.seasonal.count[slot(3)]).toBeNull();
    expect(p.seasonal.count[slot(13)]).toBeNull();
  });
});

describe('scoreEvents (profile learned from Monday-Tuesday of checkout eu-west-1)', () => {
  const H0 = MON;
  const H1 = MON + 2 * DAY;
  let profiles: Map<string, Profile>;
  /** Tuesday 10:00 a week later: the same hour-of-week as the history's Tuesday 10:00. */
  const S = Date.UTC(2024, 4, 14, 10);
  const live = (seed: number, from = S, to = S + HOUR, incidents = [] as Parameters<typeof generateEvents>[0]['incidents']): LogEvent[] => [
    ...generateEvents({ services: CHECKOUT_EU, start: from, end: to, seed, scale: SCALE, incidents }),
  ];

  beforeAll(() => {
    const learned = learnHistory(() => generateEvents({ services: CHECKOUT_EU, start: H0, end: H1, seed: 1, scale: SCALE }), OPTS);
    profiles = new Map([...learned].map(([k, l]) => [k, validateProfile(profileFromLearned(l, H1))]));
  });

  it('a clean continuation of the history raises no anomaly', () => {
    for (const seed of [2, 3]) {
      const events = live(seed);
      const r = scoreEvents(events, profiles, { ...OPTS, now: S + HOUR });
      expect(r.events).toBe(events.length);
      expect(r.windows).toBe(60);
      expect(r.unprofiled).toEqual([]);
      expect(r.anomalies, JSON.stringify(r.anomalies.map((a) => [new Date(a.windowStart).toISOString(), a.kind]))).toEqual([]);
    }
  });

  it('the same weekday one week later but at another hour is clean too', () => {
    const from = Date.UTC(2024, 4, 13, 15); // Monday 15:00
    const r = scoreEvents(live(4, from, from + HOUR), profiles, OPTS);
    expect(r.windows).toBe(60);
    expect(r.anomalies).toEqual([]);
  });

  it('an error burst raises error anomalies inside the incident', () => {
    const incStart = S + 30 * MIN;
    const events = live(2, S, S + HOUR, [{ kind: 'error_burst', service: 'checkout', region: 'eu-west-1', start: incStart, durationMs: 10 * MIN }]);
    const r = scoreEvents(events, profiles, { ...OPTS, now: S + HOUR });
    expect(r.anomalies.length).toBeGreaterThan(0);
    const inside = r.anomalies.filter((a) => a.windowStart >= incStart && a.windowStart < incStart + 10 * MIN);
    expect(inside.length).toBeGreaterThanOrEqual(5);
    expect(inside.some((a) => a.kind === 'error_spike')).toBe(true);
    // Nothing before the incident (the same stretch was clean without it).
    expect(r.anomalies.filter((a) => a.windowStart < incStart)).toEqual([]);
    for (const a of r.anomalies) {
      expect(a.partition).toBe(P_EU);
      expect(a.probability).toBeGreaterThanOrEqual(profiles.get(P_EU)!.sensitivity);
      expect(a.windowEnd).toBe(a.windowStart + MIN);
      expect(a.profileVersion).toBe(1);
    }
    // Sorted by window start.
    for (let i = 1; i < r.anomalies.length; i++) expect(r.anomalies[i].windowStart).toBeGreaterThanOrEqual(r.anomalies[i - 1].windowStart);
  });

  it('silent minutes between the first window and the last event are scored: 20 quiet minutes give volume_drop', () => {
    const qStart = S + 20 * MIN;
    const qEnd = S + 40 * MIN;
    const events = live(2).filter((e) => e.timestamp < qStart || e.timestamp >= qEnd);
    const r = scoreEvents(events, profiles, { ...OPTS, now: S + HOUR });
    // 60 minutes scored although only 40 had events.
    expect(r.windows).toBe(60);
    const drops = r.anomalies.filter((a) => a.kind === 'volume_drop');
    expect(drops.length).toBeGreaterThanOrEqual(10);
    for (const a of drops) {
      expect(a.windowStart).toBeGreaterThanOrEqual(qStart);
      expect(a.windowStart).toBeLessThan(qEnd + 5 * MIN);
    }
    const countDev = drops.flatMap((a) => a.deviations).find((d) => d.feature === 'count');
    expect(countDev?.observed).toBe(0);
    expect(r.anomalies.filter((a) => a.windowStart < qStart)).toEqual([]);
  });

  it("a partition that goes quiet while another still logs is scored up to the last event's minute", () => {
    // Clone the profile for a second log group so the pair shares a baseline.
    const other = 'checkout#eu-west-2';
    const twin = new Map(profiles);
    twin.set(other, { ...profiles.get(P_EU)!, partition: other });
    const base = live(2);
    const quietFrom = S + 35 * MIN;
    const events = [
      ...base,
      ...base.filter((e) => e.timestamp < quietFrom).map((e) => ({ ...e, id: `b${e.id}`, logGroup: '/harbinger/eu-west-2/checkout' })),
    ].sort((a, b) => a.timestamp - b.timestamp);
    const r = scoreEvents(events, twin, { ...OPTS, now: S + HOUR });
    const lastMinute = minuteOf(Math.max(...base.map((e) => e.timestamp)));
    const firstMinute = minuteOf(Math.min(...base.map((e) => e.timestamp)));
    const perPartition = (lastMinute - firstMinute) / MIN + 1;
    expect(r.windows).toBe(2 * perPartition);
    const drops = r.anomalies.filter((a) => a.partition === other && a.kind === 'volume_drop');
    expect(drops.length).toBeGreaterThanOrEqual(10);
    for (const a of drops) expect(a.windowStart).toBeGreaterThanOrEqual(quietFrom);
    expect(r.anomalies.filter((a) => a.partition === P_EU)).toEqual([]);
  });

  it('lists partitions without a profile and does not score them', () => {
    const events = live(2, S, S + 10 * MIN);
    const stranger = (svc: string): LogEvent[] =>
      events.slice(0, 50).map((e) => ({ ...e, id: `${svc}${e.id}`, logGroup: `/harbinger/us-east-1/${svc}` }));
    const r = scoreEvents([...events, ...stranger('payments'), ...stranger('auth'), ...stranger('payments')], profiles, { ...OPTS, now: S + 10 * MIN });
    expect(r.unprofiled).toEqual(['auth#us-east-1', 'payments#us-east-1']);
    expect(r.events).toBe(events.length);
    expect(r.windows).toBe(10);
    expect(r.anomalies.every((a) => a.partition === P_EU)).toBe(true);
  });

  it('only unprofiled input: nothing scored', () => {
    const events = live(2, S, S + 5 * MIN).map((e) => ({ ...e, logGroup: '/harbinger/eu-west-1/gateway' }));
    const r = scoreEvents(events, profiles, OPTS);
    expect(r).toEqual({ windows: 0, events: 0, anomalies: [], unprofiled: ['gateway#eu-west-1'] });
  });

  it('is deterministic and stamps detectedAt with options.now when given', () => {
    const events = live(2, S, S + HOUR, [{ kind: 'error_burst', service: 'checkout', region: 'eu-west-1', start: S + 30 * MIN, durationMs: 10 * MIN }]);
    const now = S + 2 * HOUR;
    const a = scoreEvents(events, profiles, { ...OPTS, now });
    const b = scoreEvents(events, profiles, { ...OPTS, now });
    expect(a).toEqual(b);
    expect(a.anomalies.length).toBeGreaterThan(0);
    for (const x of a.anomalies) expect(x.detectedAt).toBe(now);
    // Without `now`, each window is detected at its own end.
    const c = scoreEvents(events, profiles, OPTS);
    for (const x of c.anomalies) expect(x.detectedAt).toBe(x.windowStart + MIN);
  });
});

describe('learnHistory and ordered patterns', () => {
  it('counts pattern violations in history windows exactly as the scorer will, once patterns are learned', () => {
    // One stream: "order started" then "order completed" 1 s later, every 10 s for two hours;
    // in minute 30, five completions arrive with no start.
    const events: LogEvent[] = [];
    const base = MON + 10 * HOUR;
    const ev = (ts: number, message: string): LogEvent => ({ id: String(events.length), timestamp: ts, message, logGroup: '/harbinger/eu-west-1/orders', logStream: 's1' });
    for (let t = base, i = 0; t < base + 2 * HOUR; t += 10_000, i++) {
      const minute = Math.floor((t - base) / MIN);
      if (minute !== 30) events.push(ev(t, `2024-05-06T10:00:00Z INFO order started id=${1000 + i}`));
      events.push(ev(t + 1000, `2024-05-06T10:00:01Z INFO order completed id=${1000 + i}`));
    }
    const l = learnHistory(() => events, OPTS).get('orders#eu-west-1')!;
    expect(l.patterns.length).toBeGreaterThan(0);
    const byMinute = new Map(l.windows.map((w) => [Math.round((w.windowStart - base) / MIN), w.features.patternViolations]));
    expect(byMinute.get(30)).toBeGreaterThanOrEqual(5);
    const elsewhere = [...byMinute.entries()].filter(([m]) => m !== 30 && m !== 31).reduce((s, [, v]) => s + v, 0);
    expect(elsewhere).toBe(0);
  });
});
