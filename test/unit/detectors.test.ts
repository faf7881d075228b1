import { beforeAll, describe, expect, it } from 'vitest';
import {
  errorSpike,
  frequency,
  kindForFeature,
  minimalDenominator,
  patternBreak,
  rollingStats,
  seasonalBand,
  tailToScore,
  templates,
  updateRollingState,
} from '../../functions/core/detectors/index';
import type { DetectorContext } from '../../functions/core/detectors/index';
import { emptyWindowFeatures } from '../../functions/core/features';
import type { Profile, WindowFeatures } from '../../functions/core/types';
import { DAY, HOUR, MINUTE, T0, TEMPLATES, genWindows, trainProfile } from './core-fixtures';

let profile: Profile;
/** Monday 14:00-16:00 of the week after training: ordinary windows. */
let normal: WindowFeatures[];
const AT = T0 + 7 * DAY + 14 * HOUR;

const ctx = (over: Partial<DetectorContext> = {}): DetectorContext => ({ profile, recent: [], rolling: {}, ...over });
const clone = (w: WindowFeatures): WindowFeatures => JSON.parse(JSON.stringify(w)) as WindowFeatures;

beforeAll(() => {
  profile = trainProfile(5, { base: 40 }).profile;
  normal = genWindows(55, AT, 120, { base: 40 });
});

describe('helpers', () => {
  it('tailToScore maps tiny tails to high scores, capped below 1', () => {
    expect(tailToScore(1e-12, 1e4)).toBe(0.9999);
    expect(tailToScore(5e-6, 1e4)).toBeCloseTo(0.95);
    expect(tailToScore(0.01, 1e4)).toBe(0);
  });
  it('minimalDenominator finds the least-evidence count behind a rate', () => {
    expect(minimalDenominator(0.5, 100)).toBe(2);
    expect(minimalDenominator(1 / 3, 100)).toBe(3);
    expect(minimalDenominator(0.25, 3)).toBe(3);
  });
  it('kindForFeature', () => {
    expect(kindForFeature('count', -5)).toBe('volume_drop');
    expect(kindForFeature('bytes', 5)).toBe('volume_spike');
    expect(kindForFeature('latencyP95', 5)).toBe('latency');
    expect(kindForFeature('errorRate', 5)).toBe('error_spike');
    expect(kindForFeature('warnRate', 5)).toBe('seasonal_band');
  });
});

describe('seasonalBand', () => {
  it('stays quiet on ordinary windows', () => {
    for (const w of normal) expect(seasonalBand(w, ctx())?.score ?? 0).toBeLessThan(0.5);
  });

  it('scores a silent busy partition high as volume_drop', () => {
    const r = seasonalBand(emptyWindowFeatures(profile.partition, AT), ctx());
    expect(r?.kind).toBe('volume_drop');
    expect(r?.score).toBeGreaterThan(0.999);
    const count = r?.deviations.find((d) => d.feature === 'count');
    expect(count?.observed).toBe(0);
    expect(count?.z).toBeLessThan(-5);
  });

  it('catches a quieter partition going silent over several minutes (recent windows)', () => {
    const quiet = trainProfile(6, { base: 8 }).profile;
    const silentRecent = [0, 1, 2, 3].map((i) => emptyWindowFeatures(quiet.partition, AT + i * MINUTE));
    const w = emptyWindowFeatures(quiet.partition, AT + 4 * MINUTE);
    const qctx = { profile: quiet, recent: silentRecent, rolling: {} };
    const alone = seasonalBand(w, { ...qctx, recent: [] });
    const r = seasonalBand(w, qctx);
    expect(r?.score ?? 0).toBeGreaterThan(alone?.score ?? 0);
    expect(r?.kind).toBe('volume_drop');
    expect(r?.score).toBeGreaterThan(0.99);
    expect(r?.deviations.some((d) => d.feature === 'count (last 5 min)')).toBe(true);
    // Without history reaching back, missing minutes are not assumed silent.
    expect(seasonalBand(w, { ...qctx, recent: silentRecent.slice(2) })?.deviations.some((d) => d.feature.startsWith('count ('))).toBe(false);
  });

  it('flags a latency shift as latency with a band in milliseconds', () => {
    const w = clone(normal[10]);
    w.features.latencyP50 *= 3;
    w.features.latencyP95 *= 3;
    const r = seasonalBand(w, ctx());
    expect(r?.kind).toBe('latency');
    expect(r?.score).toBeGreaterThan(0.99);
    const d = r?.deviations.find((x) => x.feature === 'latencyP50');
    expect(d?.observed).toBe(w.features.latencyP50);
    expect(d?.band[1]).toBeLessThan(w.features.latencyP50);
    expect(d?.band[0]).toBeLessThan(d?.expected ?? 0);
  });

  it('does not call one slow line a latency anomaly: p99 of a 40-line minute needs 3 lines above it', () => {
    const w = clone(normal[10]);
    expect(w.features.count).toBeLessThan(300);
    w.features.latencyP99 = 60_000; // one request timed out after 60 s
    expect(seasonalBand(w, ctx())?.score ?? 0).toBeLessThan(0.5);
    // The same p99 in a busy minute (enough lines above it) is an anomaly.
    const busy = clone(w);
    busy.features.count = 400;
    const strict = seasonalBand(busy, ctx(), { features: ['latencyP99'] });
    expect(strict?.kind).toBe('latency');
    expect(strict?.score).toBeGreaterThan(0.99);
  });

  it('ignores drops of up-only features (fewer errors is not an anomaly)', () => {
    const w = clone(normal[10]);
    w.features.errorCount = 0;
    w.features.errorRate = 0;
    w.features.latencyP50 /= 3;
    expect(seasonalBand(w, ctx())?.score ?? 0).toBeLessThan(0.5);
  });
});

describe('frequency', () => {
  it('scores many ERROR lines against the expected count', () => {
    const w = clone(normal[20]);
    expect(frequency(w, ctx())?.score).toBe(0);
    w.features.errorCount = 25;
    w.features.errorRate = 25 / w.features.count;
    const r = frequency(w, ctx());
    expect(r?.kind).toBe('frequency');
    expect(r?.score).toBeGreaterThan(0.99);
    expect(r?.evidence[0]).toMatch(/ERROR lines 25 vs expected/);
  });
});

describe('errorSpike', () => {
  const burst = (w: WindowFeatures, rate: number): WindowFeatures => {
    const x = clone(w);
    x.features.errorCount = Math.round(rate * x.features.count);
    x.features.errorRate = x.features.errorCount / x.features.count;
    return x;
  };

  it('detects a burst in the current minute', () => {
    const r = errorSpike(burst(normal[30], 0.2), ctx({ recent: normal.slice(20, 30) }));
    expect(r?.kind).toBe('error_spike');
    expect(r?.score).toBeGreaterThan(0.999);
    expect(r?.deviations[0].feature).toBe('errorRate');
  });

  it('treats errors that come in clusters (dispersion from training) as weaker evidence', () => {
    const eight = burst(normal[30], 8 / normal[30].features.count);
    const withDispersion = (d: number): Profile => ({
      ...profile,
      global: { ...profile.global, errorCount: { ...profile.global.errorCount, mean: 0.4, variance: 0.4 * d } },
    });
    expect(errorSpike(eight, ctx({ profile: withDispersion(1) }))?.score).toBeGreaterThan(0.95);
    expect(errorSpike(eight, ctx({ profile: withDispersion(3) }))?.score ?? 0).toBeLessThan(0.95);
    // A real burst is still a burst when errors cluster.
    expect(errorSpike(burst(normal[30], 0.3), ctx({ profile: withDispersion(3) }))?.score).toBeGreaterThan(0.95);
  });

  it('detects a sustained moderate rise over the sliding window', () => {
    const recent = normal.slice(15, 30).map((w) => burst(w, 0.04));
    const r = errorSpike(burst(normal[30], 0.04), ctx({ recent }));
    expect(r?.score).toBeGreaterThan(0.95);
    expect(r?.evidence.some((e) => /last 15 min/.test(e))).toBe(true);
  });

  it('ignores volume changes at the normal rate and stops after recovery', () => {
    const big = clone(normal[30]);
    big.features.count *= 5;
    big.features.errorCount = Math.round(big.features.count * 0.01);
    big.features.errorRate = big.features.errorCount / big.features.count;
    expect(errorSpike(big, ctx())?.score).toBe(0);
    const recent = normal.slice(20, 30).map((w) => burst(w, 0.3));
    expect(errorSpike(burst(normal[30], 0.01), ctx({ recent }))?.score).toBe(0);
  });
});

describe('rollingStats', () => {
  it('warms up, scores a jump, and updates state purely', () => {
    let rolling: DetectorContext['rolling'] = {};
    for (const w of normal.slice(0, 60)) rolling = updateRollingState(rolling, w);
    expect(rolling.latencyP50.n).toBe(60);
    expect(rollingStats(normal[60], ctx({ rolling }))?.score).toBeLessThan(0.5);
    const w = clone(normal[60]);
    w.features.latencyP50 *= 4;
    const before = JSON.stringify(rolling);
    const r = rollingStats(w, ctx({ rolling }));
    expect(r?.kind).toBe('rolling_stats');
    expect(r?.score).toBeGreaterThan(0.99);
    expect(JSON.stringify(rolling)).toBe(before);
    // Clipped update: one incident window does not move the mean by much.
    const after = updateRollingState(rolling, w);
    expect(Math.abs(after.latencyP50.mean - rolling.latencyP50.mean)).toBeLessThan(0.1);
  });

  it('does not score against a stale state and restarts it', () => {
    let rolling: DetectorContext['rolling'] = {};
    for (const w of normal.slice(0, 60)) rolling = updateRollingState(rolling, w);
    const later = clone(normal[60]);
    later.windowStart += 2 * HOUR;
    later.features.latencyP50 *= 4;
    expect(rollingStats(later, ctx({ rolling }))).toBeNull();
    expect(updateRollingState(rolling, later).latencyP50.n).toBe(1);
  });
});

describe('templates', () => {
  const NEW = 'feedfacefeedface';
  it('reports a new ERROR-level template with its text', () => {
    const w = clone(normal[40]);
    w.templates[NEW] = 4;
    w.newTemplates[NEW] = 'connection pool exhausted after <*> ms';
    w.samples[NEW] = '2024-01-08T14:40:00Z ERROR connection pool exhausted after 3000 ms';
    const r = templates(w, ctx());
    expect(r?.kind).toBe('new_template');
    expect(r?.score).toBeGreaterThanOrEqual(0.97);
    expect(r?.evidence[0]).toMatch(/new error template \(4 events\): connection pool exhausted/);
  });

  it('needs more events for a non-error new template', () => {
    const w = clone(normal[40]);
    w.templates[NEW] = 5;
    w.newTemplates[NEW] = 'cache warmed <*>';
    w.samples[NEW] = '{"level":"info","msg":"cache warmed 12"}';
    expect(templates(w, ctx())?.score).toBe(0);
    w.templates[NEW] = 40;
    expect(templates(w, ctx())?.score).toBeGreaterThanOrEqual(0.95);
  });

  it('reports a rare template that became frequent', () => {
    const rare = { id: 'abababababababab', template: 'retrying <*>', share: 0.0001, level: 'WARN' as const };
    const p = { ...profile, templates: [...profile.templates, rare] };
    const w = clone(normal[40]);
    w.templates[rare.id] = 30;
    const r = templates(w, { profile: p, recent: [], rolling: {} });
    expect(r?.kind).toBe('rare_template');
    expect(r?.score).toBeGreaterThan(0.99);
    expect(r?.evidence[0]).toMatch(/retrying/);
  });

  it('stays silent without a dictionary and on known templates', () => {
    expect(templates(normal[0], ctx({ profile: { ...profile, templates: [] } }))).toBeNull();
    for (const w of normal) expect(templates(w, ctx())?.score).toBe(0);
    expect(TEMPLATES.every((t) => profile.templates.some((p) => p.id === t.id))).toBe(true);
  });
});

describe('patternBreak', () => {
  it('is skipped without patterns and fires on many violations', () => {
    const w = clone(normal[50]);
    w.features.patternViolations = 20;
    expect(patternBreak(w, ctx())).toBeNull();
    const p: Profile = { ...profile, patterns: [{ id: 'p', a: 'x', b: 'y', maxGapMs: 1000, support: 1 }] };
    const r = patternBreak(w, { profile: p, recent: [], rolling: {} });
    expect(r?.kind).toBe('pattern_break');
    expect(r?.score).toBeGreaterThan(0.99);
    w.features.patternViolations = 1;
    expect(patternBreak(w, { profile: p, recent: [], rolling: {} })?.score).toBe(0);
  });

  it('expects violations in clumps when training saw them clumped (one broken flow breaks several patterns)', () => {
    const w = clone(normal[50]);
    w.features.patternViolations = 12;
    const withMoments = (mean: number, variance: number): Profile => ({
      ...profile,
      patterns: [{ id: 'p', a: 'x', b: 'y', maxGapMs: 1000, support: 1 }],
      global: { ...profile.global, patternViolations: { ...profile.global.patternViolations, mean, variance } },
    });
    expect(patternBreak(w, { profile: withMoments(0.5, 0.5), recent: [], rolling: {} })?.score).toBeGreaterThan(0.99);
    expect(patternBreak(w, { profile: withMoments(0.5, 3), recent: [], rolling: {} })?.score ?? 0).toBeLessThan(0.95);
  });
});

describe('windows', () => {
  it('fixture windows are minute-aligned and contiguous', () => {
    normal.forEach((w, i) => expect(w.windowStart).toBe(AT + i * MINUTE));
  });
});
