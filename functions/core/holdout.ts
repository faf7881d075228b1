/**
 * Labelled holdout sets for champion/challenger evaluation: real normal windows plus injected
 * anomalies made from real windows, so both models are judged on incidents that look like the ones
 * Harbinger must catch. Pure and seeded (mulberry32): same input and seed, same holdout.
 */
import type { ModelWindow } from './model-contract';
import { mulberry32 } from './random';
import type { FeatureName } from './types';

/** Kinds of injected incident. */
export const INJECTED_KINDS = ['error_burst', 'latency_shift', 'volume_drop', 'volume_spike', 'new_templates', 'combined_moderate'] as const;
/** One kind of injected incident. */
export type InjectedKind = (typeof INJECTED_KINDS)[number];

/**
 * A holdout window: label 1 = an anomaly (an injected one with its kind, or a scenario run's
 * labelled incident window, see core/scenario-data), 0 = a real, normal window.
 */
export interface HoldoutWindow extends ModelWindow {
  label: 0 | 1;
  /** Kind of the injected incident (label 1 only). */
  injected?: InjectedKind;
  /** The scenario run and incident kind of a real labelled anomaly (label 1 only, `scenarioData: "include"`). */
  scenario?: { runId: string; kind: string };
}

/** Options of {@link injectAnomalies}. */
export interface InjectOptions {
  /** PRNG seed. */
  seed: number;
  /** Injected anomalies per normal window, in (0, 1]. E.g. 0.1: one anomaly per ten normal windows. */
  share: number;
  /** Kinds to inject, cycled evenly. Default: all of {@link INJECTED_KINDS}. */
  kinds?: readonly InjectedKind[];
  /**
   * Anomalies are made only from windows with at least this many events (default 10): an "error
   * burst" in a minute with no lines cannot be told from that minute, and would only be label noise.
   * When no window qualifies, any window is used.
   */
  minEvents?: number;
}

/** Invalid options for {@link injectAnomalies}. */
export class HoldoutOptionsError extends Error {
  override readonly name = 'HoldoutOptionsError';
}

type Features = Record<FeatureName, number>;
type Rng = () => number;

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const nonNeg = (x: number): number => (Number.isFinite(x) && x > 0 ? x : 0);

/** Raises a rate multiplicatively, with an additive floor so a rate of 0 still moves. */
const raiseRate = (base: number, mult: number, floor: number): number => clamp01(Math.max(nonNeg(base) * mult, nonNeg(base) + floor));

/** Keeps counts consistent with rates after a change. */
function settleCounts(f: Features): Features {
  f.count = Math.max(0, Math.round(f.count));
  f.errorCount = Math.min(f.count, Math.round(f.count * f.errorRate));
  f.newTemplateCount = Math.round(f.newTemplateCount);
  f.distinctTemplates = Math.round(f.distinctTemplates);
  f.patternViolations = Math.round(f.patternViolations);
  return f;
}

/** Scales the latency quantiles, keeping p50 <= p95 <= p99 (the tail stretches at least as much). */
function shiftLatency(f: Features, mult: number, rng: Rng): void {
  const floorMs = 5;
  f.latencyP50 = Math.max(nonNeg(f.latencyP50), floorMs) * mult;
  f.latencyP95 = Math.max(nonNeg(f.latencyP95) * mult * uniform(rng, 1, 1.15), f.latencyP50);
  f.latencyP99 = Math.max(nonNeg(f.latencyP99) * mult * uniform(rng, 1, 1.25), f.latencyP95);
}

/** One incident applied to a copy of a real window's features. */
const INCIDENTS: Record<InjectedKind, (f: Features, rng: Rng) => void> = {
  // A dependency fails: errors and 5xx responses jump, a few error templates appear, warnings too.
  error_burst: (f, rng) => {
    f.errorRate = raiseRate(f.errorRate, uniform(rng, 4, 10), uniform(rng, 0.08, 0.35));
    f.status5xxRate = raiseRate(f.status5xxRate, uniform(rng, 4, 10), f.errorRate * uniform(rng, 0.5, 0.9));
    f.warnRate = raiseRate(f.warnRate, uniform(rng, 1.2, 2), 0.01);
    f.distinctTemplates += Math.round(uniform(rng, 1, 3));
  },
  // Saturation: every latency quantile ×2–4, the tail more.
  latency_shift: (f, rng) => shiftLatency(f, uniform(rng, 2, 4), rng),
  // Traffic lost (a broken upstream, a failed deploy): volume ×0.05–0.3, rates unchanged.
  volume_drop: (f, rng) => {
    const m = uniform(rng, 0.05, 0.3);
    f.count *= m;
    f.bytes *= m;
    f.distinctTemplates = Math.max(1, f.distinctTemplates * uniform(rng, 0.5, 1));
  },
  // A retry storm or a bot: volume ×3–6, rates unchanged, bigger responses.
  volume_spike: (f, rng) => {
    const m = uniform(rng, 3, 6);
    f.count *= m;
    f.bytes *= m * uniform(rng, 1, 1.3);
    f.bytesP95 *= uniform(rng, 1, 1.5);
  },
  // New code paths logging what the service never logged before, some breaking ordered patterns.
  new_templates: (f, rng) => {
    const n = Math.round(uniform(rng, 2, 6));
    f.newTemplateCount += n;
    f.distinctTemplates += n;
    f.warnRate = raiseRate(f.warnRate, uniform(rng, 1.5, 3), 0.02);
    f.patternViolations += Math.round(uniform(rng, 0, 3));
  },
  // The hard case: several moderate shifts at once, none extreme alone, volume normal.
  combined_moderate: (f, rng) => {
    shiftLatency(f, uniform(rng, 1.5, 1.8), rng);
    f.errorRate = raiseRate(f.errorRate, uniform(rng, 2.5, 3.5), uniform(rng, 0.02, 0.05));
    f.status5xxRate = raiseRate(f.status5xxRate, uniform(rng, 2, 3), f.errorRate * 0.5);
  },
};

/**
 * Makes injected anomalies from real (normal) windows and returns the labelled holdout: every input
 * window with label 0, followed by `round(share × windows)` (at least one) anomalies with label 1.
 * Each anomaly is a copy of a randomly drawn window with at least `minEvents` events (same partition and window start, so the
 * time-of-day context stays real) with one realistic multivariate incident applied: an error burst
 * (errorCount/errorRate/status5xxRate up), a latency shift (p50/p95/p99 ×2–4), a volume drop or
 * spike (count and bytes), new templates, or combined moderate shifts (latency ×1.6 and errorRate ×3
 * while the volume stays normal). Kinds are cycled evenly in a seeded order.
 * @param windows - real windows considered normal
 * @throws HoldoutOptionsError for a share outside (0, 1] or an empty kinds list
 */
export function injectAnomalies(windows: readonly ModelWindow[], options: InjectOptions): HoldoutWindow[] {
  const { share } = options;
  const kinds = options.kinds ?? INJECTED_KINDS;
  if (!(share > 0 && share <= 1)) throw new HoldoutOptionsError(`injectAnomalies: share must be in (0, 1], got ${share}`);
  if (kinds.length === 0) throw new HoldoutOptionsError('injectAnomalies: kinds must name at least one incident kind');
  const out: HoldoutWindow[] = windows.map((w) => ({ partition: w.partition, windowStart: w.windowStart, features: { ...w.features }, label: 0 }));
  if (windows.length === 0) return out;
  const rng = mulberry32(options.seed);
  const n = Math.max(1, Math.round(share * windows.length));
  const busy = windows.filter((w) => w.features.count >= (options.minEvents ?? 10));
  const sources = busy.length > 0 ? busy : windows;
  // Seeded shuffle of the kind order, then cycled: every kind gets its share.
  const order = [...kinds];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let k = 0; k < n; k++) {
    const source = sources[Math.floor(rng() * sources.length)];
    const kind = order[k % order.length];
    const features = { ...source.features };
    INCIDENTS[kind](features, rng);
    out.push({ partition: source.partition, windowStart: source.windowStart, features: settleCounts(features), label: 1, injected: kind });
  }
  return out;
}
