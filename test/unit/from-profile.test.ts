import { beforeAll, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../functions/core/decode';
import { windowFeatures } from '../../functions/core/features';
import { parseLine } from '../../functions/core/parse';
import { partitionOf } from '../../functions/core/partition';
import { aggregate, contextFromProfile, processEvent, type ProcessedEvent } from '../../functions/core/pipeline';
import { redact } from '../../functions/core/redact';
import { labelsFor, toSubscriptionPayloads, type IncidentSpec } from '../../functions/core/synth';
import {
  applyIncidentEffect,
  eventsForWindow,
  generateFromProfile,
  INCIDENT_TEMPLATE,
  logGroupFor,
  planFromProfile,
  ProfileGenerationError,
} from '../../functions/core/synth/from-profile';
import { compareWindows, formatRealismTable, jsDivergence, ksCriticalValue } from '../../functions/core/synth/realism';
import { sampleWindows, WindowSamplerError, type WindowSampler } from '../../functions/core/synth/window-sampler';
import { mulberry32 } from '../../functions/core/random';
import type { FeatureName, LogEvent, Profile, WindowFeatures } from '../../functions/core/types';
import { vaeWindowSampler } from '../../models/window-sampler';
import { mergeByTimestamp } from '../../functions/core/synth/merge';
import { historyFixture, HOUR, MIN, RULES, START, type HistoryFixture } from './synth-profile-fixtures';

const CHECKOUT = 'checkout#eu-west-1';
const FORMATS = ['checkout#eu-west-1', 'payments#eu-west-1', 'gateway#eu-west-1', 'auth#eu-west-1'];

/** The scorer's own path: subscription payloads -> decode -> partition -> parse + template -> windows. */
function throughScorer(events: Iterable<LogEvent>, profile: Profile): { processed: ProcessedEvent[]; windows: WindowFeatures[]; partitions: Set<string>; records: number } {
  const ctx = contextFromProfile(profile);
  const processed: ProcessedEvent[] = [];
  const partitions = new Set<string>();
  let records = 0;
  for (const p of toSubscriptionPayloads(events)) {
    const rec = decodeRecord(p.data, { arrivalTimestamp: 0, sequenceNumber: String(records++) });
    if (rec.kind !== 'data') continue;
    for (const e of rec.events) {
      const partition = partitionOf(e.logGroup, RULES, 'us-west-2').key;
      partitions.add(partition);
      processed.push(processEvent(e, partition, ctx));
    }
  }
  const windows = [...aggregate(processed).values()].map(windowFeatures).sort((a, b) => a.windowStart - b.windowStart);
  return { processed, windows, partitions, records };
}

/** Windows of [from, to) only (the history windows carry the whole fixture). */
const within = (ws: WindowFeatures[], from: number, to: number): WindowFeatures[] => ws.filter((w) => w.windowStart >= from && w.windowStart < to);

/** A deliberately wrong profile: 3x the volume and 4x the latency of the real one. */
function wrongProfile(p: Profile): Profile {
  const q = JSON.parse(JSON.stringify(p)) as Profile;
  const scale = (s: { median: number; mad: number; p05: number; p95: number; mean?: number; variance?: number } | null, k: number): void => {
    if (!s) return;
    s.median *= k;
    s.mad *= k;
    s.p05 *= k;
    s.p95 *= k;
    if (s.mean !== undefined) s.mean *= k;
    if (s.variance !== undefined) s.variance *= k * k;
  };
  for (const [f, k] of [['count', 3], ['latencyP50', 4], ['latencyP95', 4], ['latencyP99', 4]] as Array<[FeatureName, number]>) {
    scale(q.global[f], k);
    q.seasonal[f].forEach((s) => scale(s, k));
  }
  return q;
}

let fx: HistoryFixture;
let checkout: Profile;

beforeAll(() => {
  // checkout (JSON) and payments (log4j text, ordered flows) over 4 hours for the distribution
  // checks; gateway (nginx access + error_log text) and auth (logfmt) over the first hour for the
  // format checks.
  const main = historyFixture(['checkout', 'payments'], 4);
  const formats = historyFixture(['gateway', 'auth'], 1);
  fx = {
    events: [...main.events, ...formats.events],
    learned: new Map([...main.learned, ...formats.learned]),
    profiles: new Map([...main.profiles, ...formats.profiles]),
  };
  checkout = fx.profiles.get(CHECKOUT)!;
});

describe('the fixture', () => {
  it('has profiles with learned shapes for the four formats', () => {
    for (const p of FORMATS) {
      const profile = fx.profiles.get(p)!;
      expect(profile.templates.length).toBeGreaterThan(5);
      expect(profile.templates.filter((t) => t.layout).length).toBe(profile.templates.length);
    }
    expect(planFromProfile(checkout).fallbackTemplates).toBe(0);
  });
});

describe('generateFromProfile: lines that parse back through the scorer', () => {
  it('payloads decode with the scorer decoder, map back to the partition and re-template to the profile ids (>= 95%)', () => {
    for (const partition of FORMATS) {
      const profile = fx.profiles.get(partition)!;
      const events = [...generateFromProfile({ profile, start: START, end: START + HOUR, seed: 1 })];
      expect(events.length).toBeGreaterThan(1000);
      const { processed, partitions, records } = throughScorer(events, profile);
      expect(processed).toHaveLength(events.length);
      expect([...partitions]).toEqual([partition]);
      expect(records).toBeGreaterThan(10);
      const known = new Set(profile.templates.map((t) => t.id));
      const matched = processed.filter((e) => !e.match.isNew && known.has(e.match.templateId)).length / processed.length;
      console.log(`${partition}: ${events.length} events, ${(matched * 100).toFixed(2)}% re-templated to profile ids`);
      expect(matched).toBeGreaterThanOrEqual(0.95);
      expect(events[0].logGroup).toBe(logGroupFor(partition));
    }
  });

  it('writes each service its own way: JSON keys of its samples, the log4j header, access lines, logfmt', () => {
    const formatMix = (lines: string[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const l of lines) {
        const f = parseLine(l, 0).format;
        out[f] = (out[f] ?? 0) + 1;
      }
      return out;
    };
    for (const partition of FORMATS) {
      const profile = fx.profiles.get(partition)!;
      const real = fx.events.filter((e) => e.timestamp < START + HOUR && partitionOf(e.logGroup, RULES, 'x').key === partition).map((e) => e.message);
      const gen = [...generateFromProfile({ profile, start: START, end: START + HOUR, seed: 2 })].map((e) => e.message);
      // Same format mix (nginx error_log lines are text among the gateway's access lines).
      expect(jsDivergence(formatMix(real), formatMix(gen))).toBeLessThan(0.01);
    }
    // JSON: every generated key sequence is one the service wrote.
    const keys = (l: string): string => Object.keys(JSON.parse(l)).join(',');
    const realKeys = new Set(fx.events.filter((e) => e.logGroup === logGroupFor(CHECKOUT)).map((e) => keys(e.message)));
    for (const e of generateFromProfile({ profile: checkout, start: START, end: START + 20 * MIN, seed: 2 })) expect(realKeys).toContain(keys(e.message));
    // log4j: timestamp, level, [thread], logger, dash.
    for (const e of generateFromProfile({ profile: fx.profiles.get('payments#eu-west-1')!, start: START, end: START + 10 * MIN, seed: 2 })) {
      expect(e.message).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (TRACE|DEBUG|INFO|WARN|ERROR) \[[^\]]+\] [\w.]+ - \S/);
      expect(parseLine(e.message, 0).timestamp).toBe(e.timestamp);
    }
  });

  it('carries no secrets: redaction placeholders stay literal and nothing new looks like one', () => {
    let placeholders = 0;
    for (const partition of FORMATS) {
      for (const e of generateFromProfile({ profile: fx.profiles.get(partition)!, start: START, end: START + 20 * MIN, seed: 4 })) {
        expect(redact(e.message)).toBe(e.message);
        if (e.message.includes('[REDACTED]')) placeholders++;
      }
    }
    expect(placeholders).toBeGreaterThan(0); // auth tokens and session ids were redacted in the samples
  });
});

describe('generateFromProfile: windows', () => {
  it('honours the sampled windows: count, errors, warnings and latency quantiles', () => {
    const start = START;
    const end = START + 2 * HOUR;
    const sampled = new Map(sampleWindows({ profile: checkout, start, end, seed: 5 }).map((w) => [w.windowStart, w.features]));
    const { windows } = throughScorer(generateFromProfile({ profile: checkout, start, end, seed: 5 }), checkout);
    expect(windows.length).toBeGreaterThan(100);
    let countOk = 0;
    let errorsOk = 0;
    let p50Ok = 0;
    let p95Ok = 0;
    let withLatency = 0;
    for (const w of windows) {
      const s = sampled.get(w.windowStart)!;
      if (Math.abs(w.features.count - (s.count ?? 0)) <= 2) countOk++;
      if (w.features.errorCount === s.errorCount) errorsOk++;
      if (w.features.latencyP50 > 0) {
        withLatency++;
        // The scorer's histogram buckets are 10% wide.
        if (Math.abs(Math.log(w.features.latencyP50 / (s.latencyP50 ?? 1))) <= Math.log(1.1)) p50Ok++;
        if (Math.abs(Math.log(w.features.latencyP95 / (s.latencyP95 ?? 1))) <= Math.log(1.1)) p95Ok++;
      }
    }
    expect(countOk / windows.length).toBeGreaterThanOrEqual(0.9);
    expect(errorsOk / windows.length).toBeGreaterThanOrEqual(0.95);
    expect(p50Ok / withLatency).toBeGreaterThanOrEqual(0.9);
    expect(p95Ok / withLatency).toBeGreaterThanOrEqual(0.85);
  });

  // Main features compared window by window. Threshold: the KS statistic two samples of these sizes
  // exceed with probability 0.001 when they come from the same distribution (about 0.15 for 240 real
  // against 480 synthetic windows): the generated windows must be statistically indistinguishable
  // from the real ones at that level, which a 3x volume or 4x latency error is not by far.
  const MAIN: FeatureName[] = ['count', 'bytes', 'errorCount', 'errorRate', 'warnRate', 'status4xxRate', 'latencyP50', 'latencyP95', 'latencyP99', 'distinctTemplates', 'patternViolations'];

  it('windows aggregated from generated events are close to the real ones (KS, template JS divergence)', () => {
    const start = START;
    const end = START + 4 * HOUR;
    const real = within(fx.learned.get(CHECKOUT)!.windows, start, end);
    const t0 = performance.now();
    const runs = [11, 12].map((seed) => [...generateFromProfile({ profile: checkout, start, end, seed })]);
    const ms = performance.now() - t0;
    const n = runs[0].length + runs[1].length;
    console.log(`generation: ${n} events in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)} events/s`);
    // Two seeds over the same hours (each through its own scorer context): 2 x 240 windows.
    const synthetic = runs.flatMap((events) => throughScorer(events, checkout).windows);
    const report = compareWindows(real, synthetic, { features: MAIN });
    console.log(formatRealismTable(report));
    for (const f of report.features) {
      const limit = ksCriticalValue(f.nReal, f.nSynthetic, 0.001);
      expect(f.ks, `${f.feature}: KS ${f.ks.toFixed(3)} > ${limit.toFixed(3)}`).toBeLessThanOrEqual(limit);
    }
    expect(report.templates.js).toBeLessThan(0.01);
    expect(report.templates.syntheticTemplates).toBeLessThanOrEqual(report.templates.realTemplates);
  });

  it('a deliberately wrong profile gives a large KS (the check above can fail)', () => {
    const start = START;
    const end = START + HOUR;
    const real = within(fx.learned.get(CHECKOUT)!.windows, start, end);
    const wrong = wrongProfile(checkout);
    const synthetic = throughScorer(generateFromProfile({ profile: wrong, start, end, seed: 11 }), checkout).windows;
    const report = compareWindows(real, synthetic, { features: ['count', 'latencyP50', 'latencyP95'] });
    console.log(formatRealismTable(report));
    for (const f of report.features) {
      expect(f.ks).toBeGreaterThan(0.5);
      expect(f.ks).toBeGreaterThan(ksCriticalValue(f.nReal, f.nSynthetic, 0.001));
      expect(f.verdict).toBe('far');
    }
  });

  it('a VAE-style window sampler is used when given', () => {
    const rows = { count: 40, errorCount: 6, errorRate: 0.15, warnRate: 0, latencyP50: 400, latencyP95: 2000 };
    const calls: Array<[string, number, number]> = [];
    const vae: WindowSampler = (partition, hourStart, n) => {
      calls.push([partition, hourStart, n]);
      return Array.from({ length: n }, () => ({ ...rows }));
    };
    const start = START + 30 * MIN;
    const { windows } = throughScorer(generateFromProfile({ profile: checkout, start, end: start + HOUR, seed: 3, windowSampler: vae }), checkout);
    expect(calls).toEqual([[CHECKOUT, START, 60], [CHECKOUT, START + HOUR, 60]]);
    expect(windows).toHaveLength(60);
    for (const w of windows) {
      expect(Math.abs(w.features.count - 40)).toBeLessThanOrEqual(3);
      expect(w.features.errorCount).toBe(6);
      expect(Math.abs(Math.log(w.features.latencyP50 / 400))).toBeLessThanOrEqual(Math.log(1.1));
      expect(Math.abs(Math.log(w.features.latencyP95 / 2000))).toBeLessThanOrEqual(Math.log(1.1));
    }
    const short: WindowSampler = () => [rows];
    expect(() => [...generateFromProfile({ profile: checkout, start, end: start + MIN, seed: 3, windowSampler: short })]).toThrow(WindowSamplerError);
  });
});

describe('integration helpers', () => {
  it('a partition with a segment gets a log group that maps back to it', () => {
    const key = 'api#eu-west-1#blue';
    expect(logGroupFor(key)).toBe('/harbinger/eu-west-1/api/blue');
    expect(partitionOf(logGroupFor(key), RULES, 'us-west-2').key).toBe(key);
    const events = [...generateFromProfile({ profile: { ...checkout, partition: key }, start: START, end: START + MIN, seed: 1 })];
    expect(new Set(events.map((e) => partitionOf(e.logGroup, RULES, 'us-west-2').key))).toEqual(new Set([key]));
  });

  it('mergeByTimestamp interleaves the partitions of a scenario into one sorted stream', () => {
    const sources = FORMATS.map((partition) => generateFromProfile({ profile: fx.profiles.get(partition)!, start: START, end: START + 5 * MIN, seed: 1 }));
    const merged = [...mergeByTimestamp(sources)];
    const separately = FORMATS.map((partition) => [...generateFromProfile({ profile: fx.profiles.get(partition)!, start: START, end: START + 5 * MIN, seed: 1 })]);
    expect(merged).toHaveLength(separately.reduce((s, l) => s + l.length, 0));
    for (let i = 1; i < merged.length; i++) expect(merged[i].timestamp).toBeGreaterThanOrEqual(merged[i - 1].timestamp);
    expect(new Set(merged.map((e) => e.logGroup))).toEqual(new Set(FORMATS.map(logGroupFor)));
    expect(merged.filter((e) => e.logGroup === logGroupFor(CHECKOUT))).toEqual(separately[0]);
  });

  it('vaeWindowSampler draws one call per hour, seeded by seed and hour, with a fallback for unknown partitions', () => {
    const calls: Array<[string, number, number, number]> = [];
    const model = {
      sampleWindows: (partition: string, hourStart: number, count: number, seed: number) => {
        calls.push([partition, hourStart, count, seed]);
        return partition === CHECKOUT ? Array.from({ length: count }, () => ({ count: 5 }) as Record<FeatureName, number>) : [];
      },
    };
    const fallback: WindowSampler = (_p, _h, n) => Array.from({ length: n }, () => ({ count: 1 }));
    const sampler = vaeWindowSampler(model, 100, fallback);
    expect(sampler(CHECKOUT, START, 60)).toHaveLength(60);
    expect(calls[0]).toEqual([CHECKOUT, START, 60, 100 + START / HOUR]);
    expect(sampler('other#eu-west-1', START, 60)[0]).toEqual({ count: 1 });
    expect(vaeWindowSampler(model, 100)('other#eu-west-1', START, 60)).toEqual([]);
  });
});

describe('generateFromProfile: determinism', () => {
  it('same seed -> identical events; another seed -> different; a minute does not depend on the range asked for', () => {
    const run = (seed: number, from: number, to: number): LogEvent[] => [...generateFromProfile({ profile: checkout, start: from, end: to, seed })];
    const a = run(7, START, START + 30 * MIN);
    expect(run(7, START, START + 30 * MIN)).toEqual(a);
    const b = run(8, START, START + 30 * MIN);
    expect(b).not.toEqual(a);
    expect(b.map((e) => e.message).filter((m, i) => m === a[i]?.message).length).toBeLessThan(b.length / 10);
    const part = run(7, START + 10 * MIN, START + 20 * MIN);
    expect(part).toEqual(a.filter((e) => e.timestamp >= START + 10 * MIN && e.timestamp < START + 20 * MIN));
    for (let i = 1; i < a.length; i++) expect(a[i].timestamp).toBeGreaterThanOrEqual(a[i - 1].timestamp);
    expect(new Set(a.map((e) => e.id)).size).toBe(a.length);
  });

  it('eventsForWindow is a pure function of its rng', () => {
    const plan = planFromProfile(checkout);
    const spec = { windowStart: START, features: { count: 50, errorCount: 2, warnRate: 0.04, latencyP50: 40, latencyP95: 300 } };
    expect(eventsForWindow(plan, spec, mulberry32(1))).toEqual(eventsForWindow(plan, spec, mulberry32(1)));
    expect(() => planFromProfile({ ...checkout, templates: [] })).toThrow(ProfileGenerationError);
    expect(() => [...generateFromProfile({ profile: checkout, start: START + 1, end: START, seed: 1 })]).toThrow(ProfileGenerationError);
  });
});

describe('generateFromProfile: incidents', () => {
  const at = START + 60 * MIN;
  const incident = (kind: IncidentSpec['kind'], magnitude?: number): IncidentSpec => ({ kind, service: 'checkout', region: 'eu-west-1', start: at, durationMs: 10 * MIN, magnitude });
  const windowsOf = (incidents: IncidentSpec[]): WindowFeatures[] =>
    throughScorer(generateFromProfile({ profile: checkout, start: at - 10 * MIN, end: at + 20 * MIN, seed: 21, incidents }), checkout).windows;
  const during = (ws: WindowFeatures[]): WindowFeatures[] => within(ws, at, at + 10 * MIN);
  const outside = (ws: WindowFeatures[]): WindowFeatures[] => ws.filter((w) => w.windowStart < at || w.windowStart >= at + 10 * MIN);
  const sum = (ws: WindowFeatures[], f: FeatureName): number => ws.reduce((s, w) => s + w.features[f], 0);
  let clean: WindowFeatures[];

  beforeAll(() => {
    clean = windowsOf([]);
  });

  it('error_burst raises the error share to its magnitude; the rest of the run is unchanged', () => {
    const ws = windowsOf([incident('error_burst', 0.3)]);
    const rate = sum(during(ws), 'errorCount') / sum(during(ws), 'count');
    expect(rate).toBeGreaterThan(0.25);
    expect(rate).toBeLessThan(0.35);
    expect(outside(ws)).toEqual(outside(clean));
  });

  it('latency multiplies the window latency quantiles', () => {
    const ws = during(windowsOf([incident('latency', 5)]));
    const base = during(clean);
    const ratio = ws.reduce((s, w, i) => s + Math.log(w.features.latencyP50 / base[i].features.latencyP50), 0) / ws.length;
    expect(Math.exp(ratio)).toBeGreaterThan(4.3);
    expect(Math.exp(ratio)).toBeLessThan(5.8);
  });

  it('silent stops the partition; flood multiplies its volume', () => {
    expect(during(windowsOf([incident('silent')]))).toHaveLength(0);
    const flood = sum(during(windowsOf([incident('flood', 8)])), 'count') / sum(during(clean), 'count');
    expect(flood).toBeGreaterThan(7);
    expect(flood).toBeLessThan(9);
  });

  it('new_error_template adds ERROR lines of a template the profile never saw; labels are the ground truth', () => {
    const incidents = [incident('new_error_template', 0.1)];
    const events = [...generateFromProfile({ profile: checkout, start: at - 10 * MIN, end: at + 20 * MIN, seed: 21, incidents })];
    const { processed } = throughScorer(events, checkout);
    const fresh = processed.filter((e) => e.match.isNew);
    expect(fresh.length).toBeGreaterThan(0);
    for (const e of fresh) {
      expect(e.windowStart).toBeGreaterThanOrEqual(at);
      expect(e.windowStart).toBeLessThan(at + 10 * MIN);
      expect(e.parsed.level).toBe('ERROR');
      expect(e.parsed.body).toMatch(/^Connection pool exhausted: timeout after 30000ms waiting for connection to db-\d$/);
    }
    const share = fresh.length / processed.filter((e) => e.windowStart >= at && e.windowStart < at + 10 * MIN).length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    expect(INCIDENT_TEMPLATE).toContain('Connection pool exhausted');
    expect(labelsFor(incidents)).toEqual([{ partition: CHECKOUT, start: at, end: at + 10 * MIN, kind: 'new_error_template' }]);
  });

  it('incidents of other partitions are ignored, and applyIncidentEffect leaves a window alone without an effect', () => {
    const other: IncidentSpec = { ...incident('silent'), service: 'payments' };
    expect(windowsOf([other])).toEqual(clean);
    const f = { count: 10, errorCount: 1 };
    expect(applyIncidentEffect(f, undefined)).toEqual({ features: f, newTemplateLines: 0 });
  });
});

describe('realism of the generated windows, another format', () => {
  it('payments (log4j text, ordered flows): KS per main feature below the critical value', () => {
    const profile = fx.profiles.get('payments#eu-west-1')!;
    const real = within(fx.learned.get('payments#eu-west-1')!.windows, START, START + 4 * HOUR);
    const synthetic = throughScorer(generateFromProfile({ profile, start: START, end: START + 4 * HOUR, seed: 31 }), profile).windows;
    const report = compareWindows(real, synthetic, { features: ['count', 'bytes', 'errorCount', 'latencyP50', 'latencyP95', 'distinctTemplates', 'patternViolations'] });
    console.log(formatRealismTable(report));
    for (const f of report.features) expect(f.ks, f.feature).toBeLessThanOrEqual(ksCriticalValue(f.nReal, f.nSynthetic, 0.001));
  });
});
