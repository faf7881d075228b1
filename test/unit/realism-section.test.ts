/**
 * The realism section of a scenario run's report (functions/core/synth/realism-section.ts): which
 * real windows a partition is compared with (same hours of the week, else of the day), incident
 * windows left out of the synthetic side, the note when there is nothing to compare, the text.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32, normal } from '../../functions/core/random';
import { comparisonSpans, formatRealismSection, NO_REAL_WINDOWS, partitionRealism, realismSection, realismSummary } from '../../functions/core/synth/realism-section';
import type { PartitionGeneration } from '../../functions/core/synth/generation-source';
import { FEATURE_NAMES, type FeatureName, type WindowFeatures } from '../../functions/core/types';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 16, 15);
const P = 'checkout#us-east-1';
const STRETCH = { start: T0, end: T0 + 60 * MIN };

function windowsAt(start: number, minutes: number, mean: number, seed: number): WindowFeatures[] {
  const rng = mulberry32(seed);
  return Array.from({ length: minutes }, (_, i) => {
    const f = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Record<FeatureName, number>;
    f.count = Math.max(1, Math.round(mean + 5 * normal(rng)));
    f.latencyP50 = 40 + 4 * normal(rng);
    return { partition: P, windowStart: start + i * MIN, features: f, templates: { a: f.count - 1, b: 1 }, newTemplates: {}, samples: {} };
  });
}

const GEN: PartitionGeneration = { partition: P, source: 'profile', windows: 'vae', profileVersion: 3, modelVersion: 'vae-1', reason: 'CURRENT profile v3' };

describe('comparisonSpans', () => {
  it('the same hours 1..k weeks back (hour-of-week) or days back (hour-of-day), within the days', () => {
    expect(comparisonSpans(STRETCH, 'hour-of-week', 28)).toEqual([1, 2, 3, 4].map((k) => ({ start: T0 - 7 * k * DAY, end: T0 + 60 * MIN - 7 * k * DAY })));
    expect(comparisonSpans(STRETCH, 'hour-of-day', 3)).toHaveLength(3);
    expect(comparisonSpans(STRETCH, 'hour-of-week', 6)).toEqual([]);
  });
});

describe('partitionRealism', () => {
  const synthetic = windowsAt(T0, 60, 50, 1);
  it('compares with the same hours of the week when there are enough of them, leaving incident windows out', () => {
    const real = [...windowsAt(T0 - 7 * DAY, 60, 50, 2), ...windowsAt(T0 - DAY, 60, 90, 3)];
    const labels = [{ partition: P, start: T0 + 10 * MIN, end: T0 + 20 * MIN, kind: 'error_burst' as const }];
    const r = partitionRealism({ partition: P, generation: GEN, synthetic, real, stretch: STRETCH, labels });
    expect(r).toMatchObject({ partition: P, source: 'profile', windows: 'vae', basis: 'hour-of-week', realWindows: 60, note: null });
    // 10 incident minutes plus the grace after (its end to end + 5 min, inclusive: 6 windows) are not compared.
    expect(r.syntheticWindows).toBe(44);
    expect(r.report!.features.find((f) => f.feature === 'count')!.verdict).toBe('close');
    expect(realismSummary(r)).toMatchObject({ partition: P, js: expect.any(Number), maxKs: expect.any(Number) });
  });

  it('falls back to the same hours of the day when the week has too few (a short history), and says which', () => {
    const real = windowsAt(T0 - DAY, 60, 90, 3);
    const r = partitionRealism({ partition: P, generation: GEN, synthetic, real, stretch: STRETCH, labels: [] });
    expect(r.basis).toBe('hour-of-day');
    expect(r.report!.features.find((f) => f.feature === 'count')!.verdict).toBe('far');
  });

  it('no real windows: no report, and the note says so; the text prints it', () => {
    const section = realismSection([{ partition: P, generation: GEN, synthetic, real: windowsAt(T0 - 40 * DAY, 60, 50, 4), stretch: STRETCH, labels: [] }]);
    expect(section.partitions[0]).toMatchObject({ basis: null, report: null, note: NO_REAL_WINDOWS, realWindows: 0 });
    expect(NO_REAL_WINDOWS).toBe('no real windows to compare with');
    expect(formatRealismSection(section)).toContain(`${P} [profile (VAE decoder)]: no real windows to compare with`);
    expect(realismSummary(section.partitions[0]).verdict).toBe('none');
  });

  it('the text has a header per partition and its per-feature table', () => {
    const section = realismSection([{ partition: P, generation: { ...GEN, source: 'services', windows: null }, synthetic, real: windowsAt(T0 - 7 * DAY, 60, 50, 2), stretch: STRETCH, labels: [] }]);
    const text = formatRealismSection(section);
    expect(text).toMatch(/^Realism: synthetic vs real windows/);
    expect(text).toContain(`${P} [service generator]: 60 synthetic vs 60 real windows (hour-of-week)`);
    expect(text).toMatch(/\n {4}count +60 +60 /);
    expect(text).toMatch(/template mix \(JS\)/);
  });
});
