/**
 * Injected holdout anomalies: seeded, labelled, every kind present, and each kind moves the
 * features the way the incident it imitates would (and only plausibly: rates stay in [0,1],
 * counts stay whole, latency quantiles stay ordered).
 */
import { describe, expect, it } from 'vitest';
import { HoldoutOptionsError, INJECTED_KINDS, injectAnomalies, type HoldoutWindow } from '../../functions/core/holdout';
import type { ModelWindow } from '../../functions/core/model-contract';
import { mulberry32 } from '../../functions/core/random';
import { FEATURE_NAMES, type FeatureName } from '../../functions/core/types';

function normalWindows(n: number, seed = 1): ModelWindow[] {
  const rng = mulberry32(seed);
  const start = Date.UTC(2026, 10, 16);
  return Array.from({ length: n }, (_, i) => {
    const count = Math.round(400 + 100 * rng());
    const errorRate = 0.002 * rng();
    const p50 = 40 + 10 * rng();
    const features = {
      count,
      bytes: count * 180,
      errorCount: Math.round(count * errorRate),
      errorRate,
      warnRate: 0.01,
      status5xxRate: errorRate / 2,
      status4xxRate: 0.02,
      latencyP50: p50,
      latencyP95: p50 * 2.5,
      latencyP99: p50 * 4,
      bytesP95: 900,
      newTemplateCount: 0,
      distinctTemplates: 12,
      patternViolations: 0,
    } satisfies Record<FeatureName, number>;
    return { partition: i % 2 ? 'checkout#us-east-1' : 'search#eu-west-1', windowStart: start + i * 60_000, features };
  });
}

const byKind = (h: HoldoutWindow[], kind: string): HoldoutWindow[] => h.filter((w) => w.injected === kind);
const source = (normals: ModelWindow[], w: HoldoutWindow): ModelWindow =>
  normals.find((n) => n.partition === w.partition && n.windowStart === w.windowStart)!;

describe('injectAnomalies', () => {
  const normals = normalWindows(600);
  const holdout = injectAnomalies(normals, { seed: 42, share: 0.1 });
  const injected = holdout.filter((w) => w.label === 1);

  it('keeps every normal window (label 0) and adds share × n anomalies (label 1)', () => {
    expect(holdout.slice(0, normals.length).every((w) => w.label === 0 && w.injected === undefined)).toBe(true);
    expect(holdout.slice(0, normals.length).map((w) => w.features)).toEqual(normals.map((w) => w.features));
    expect(injected).toHaveLength(60);
  });

  it('does not modify its input', () => {
    const copy = structuredClone(normals);
    injectAnomalies(normals, { seed: 1, share: 0.5 });
    expect(normals).toEqual(copy);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(injectAnomalies(normals, { seed: 42, share: 0.1 })).toEqual(holdout);
    expect(injectAnomalies(normals, { seed: 43, share: 0.1 })).not.toEqual(holdout);
  });

  it('cycles every kind evenly', () => {
    for (const k of INJECTED_KINDS) expect(byKind(holdout, k)).toHaveLength(10);
  });

  it('keeps anomalies on a real partition and window start, with valid features', () => {
    for (const w of injected) {
      expect(source(normals, w)).toBeDefined();
      for (const f of FEATURE_NAMES) expect(Number.isFinite(w.features[f]) && w.features[f] >= 0).toBe(true);
      for (const f of ['errorRate', 'warnRate', 'status5xxRate', 'status4xxRate'] as const) expect(w.features[f]).toBeLessThanOrEqual(1);
      for (const f of ['count', 'errorCount', 'newTemplateCount', 'distinctTemplates', 'patternViolations'] as const) expect(Number.isInteger(w.features[f])).toBe(true);
      expect(w.features.errorCount).toBeLessThanOrEqual(w.features.count);
      expect(w.features.latencyP50).toBeLessThanOrEqual(w.features.latencyP95);
      expect(w.features.latencyP95).toBeLessThanOrEqual(w.features.latencyP99);
    }
  });

  it('error bursts raise errors and 5xx', () => {
    for (const w of byKind(holdout, 'error_burst')) {
      const s = source(normals, w).features;
      expect(w.features.errorRate).toBeGreaterThanOrEqual(s.errorRate + 0.08 - 1e-9);
      expect(w.features.errorCount).toBeGreaterThan(s.errorCount);
      expect(w.features.status5xxRate).toBeGreaterThan(s.status5xxRate);
    }
  });

  it('latency shifts multiply every quantile by 2 to 4 (the tail at least as much)', () => {
    for (const w of byKind(holdout, 'latency_shift')) {
      const s = source(normals, w).features;
      const m = w.features.latencyP50 / s.latencyP50;
      expect(m).toBeGreaterThanOrEqual(2);
      expect(m).toBeLessThanOrEqual(4);
      expect(w.features.latencyP99 / s.latencyP99).toBeGreaterThanOrEqual(m - 1e-9);
      expect(w.features.count).toBe(s.count);
    }
  });

  it('volume drops and spikes move count and bytes together, rates unchanged', () => {
    for (const w of byKind(holdout, 'volume_drop')) {
      const s = source(normals, w).features;
      expect(w.features.count / s.count).toBeLessThanOrEqual(0.31);
      expect(w.features.bytes / s.bytes).toBeLessThanOrEqual(0.31);
      expect(w.features.errorRate).toBe(s.errorRate);
    }
    for (const w of byKind(holdout, 'volume_spike')) {
      const s = source(normals, w).features;
      expect(w.features.count / s.count).toBeGreaterThanOrEqual(2.99);
      expect(w.features.bytes / s.bytes).toBeGreaterThanOrEqual(2.99);
      expect(w.features.errorRate).toBe(s.errorRate);
    }
  });

  it('new templates add unseen templates', () => {
    for (const w of byKind(holdout, 'new_templates')) {
      const s = source(normals, w).features;
      expect(w.features.newTemplateCount).toBeGreaterThanOrEqual(2);
      expect(w.features.distinctTemplates - s.distinctTemplates).toBe(w.features.newTemplateCount - s.newTemplateCount);
    }
  });

  it('combined moderate shifts: latency ×1.5–1.8 and errorRate ≥ ×2.5 while the volume stays normal', () => {
    for (const w of byKind(holdout, 'combined_moderate')) {
      const s = source(normals, w).features;
      const m = w.features.latencyP50 / s.latencyP50;
      expect(m).toBeGreaterThanOrEqual(1.5);
      expect(m).toBeLessThanOrEqual(1.8);
      expect(w.features.errorRate).toBeGreaterThanOrEqual(Math.max(s.errorRate * 2.5, s.errorRate + 0.02) - 1e-9);
      expect(w.features.count).toBe(s.count);
      expect(w.features.bytes).toBe(s.bytes);
    }
  });

  it('honours kinds, always injects at least one, and handles an empty holdout', () => {
    const only = injectAnomalies(normals.slice(0, 20), { seed: 3, share: 0.01, kinds: ['latency_shift'] });
    expect(only.filter((w) => w.label === 1).map((w) => w.injected)).toEqual(['latency_shift']);
    expect(injectAnomalies([], { seed: 1, share: 0.2 })).toEqual([]);
  });

  it('makes anomalies only from windows busy enough to show them, unless none is', () => {
    const mixed = normals.slice(0, 40).map((w, i) => ({ ...w, features: { ...w.features, count: i % 2 ? 0 : 50 } }));
    const injected = injectAnomalies(mixed, { seed: 5, share: 0.5, kinds: ['latency_shift'] }).filter((w) => w.label === 1);
    expect(injected.length).toBe(20);
    expect(injected.every((w) => w.features.count === 50)).toBe(true);
    const quiet = mixed.map((w) => ({ ...w, features: { ...w.features, count: 2 } }));
    expect(injectAnomalies(quiet, { seed: 5, share: 0.1 }).filter((w) => w.label === 1).length).toBe(4);
  });

  it('rejects a share outside (0, 1] and an empty kinds list', () => {
    expect(() => injectAnomalies(normals, { seed: 1, share: 0 })).toThrow(HoldoutOptionsError);
    expect(() => injectAnomalies(normals, { seed: 1, share: 1.5 })).toThrow(/share must be in/);
    expect(() => injectAnomalies(normals, { seed: 1, share: 0.1, kinds: [] })).toThrow(HoldoutOptionsError);
  });
});
