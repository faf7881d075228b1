/**
 * Turning detector results into one anomaly per window: id, combined probability, severity,
 * deviations, sample events and plain-language root-cause hints.
 */
import { stableHash } from './hash';
import { MINUTE_MS } from './features';
import { fmt } from './detectors/context';
import type { Anomaly, AnomalyKind, Deviation, DetectorResult, Profile, Severity, WindowFeatures } from './types';

/** Model version reported until the VAE lands. */
export const STATISTICAL_MODEL_VERSION = 'statistical-v1';
/** Highest combined probability (never claim certainty). */
export const MAX_PROBABILITY = 0.9999;

/** Deterministic anomaly id: `stableHash("partition|windowStart|kind")` (retries never duplicate). */
export function anomalyId(partition: string, windowStart: number, kind: AnomalyKind): string {
  return stableHash(`${partition}|${windowStart}|${kind}`);
}

/**
 * Kind precedence when detectors tie (scores within 1e-3): the more specific, more actionable kind
 * wins (an error burst is reported as error_spike rather than as a generic band deviation).
 */
export const KIND_PRIORITY: readonly AnomalyKind[] = [
  'error_spike',
  'latency',
  'volume_drop',
  'volume_spike',
  'new_template',
  'pattern_break',
  'rare_template',
  'frequency',
  'rolling_stats',
  'seasonal_band',
];

/** Options of {@link combineScores}. */
export interface CombineOptions {
  /** Weight of the second-strongest agreeing detector (default 0.3). */
  boost?: number;
  /** A second detector "agrees" when its score is at least this (default 0.8). */
  agreeLevel?: number;
}

/**
 * Combined probability: `1 - (1 - s1) * (1 - boost * s2)` where s1 is the strongest score and s2
 * the second strongest if it reaches `agreeLevel` (else no boost); capped at
 * {@link MAX_PROBABILITY}. Detectors are correlated (several look at the same errors), so agreement
 * only nudges the maximum instead of multiplying independent evidence.
 */
export function combineScores(scores: number[], options: CombineOptions = {}): number {
  const boost = options.boost ?? 0.3;
  const agree = options.agreeLevel ?? 0.8;
  const s = scores.filter((x) => Number.isFinite(x)).sort((a, b) => b - a);
  if (s.length === 0) return 0;
  const s1 = Math.max(0, Math.min(1, s[0]));
  const s2 = s.length > 1 && s[1] >= agree ? Math.min(1, s[1]) : 0;
  return Math.min(MAX_PROBABILITY, 1 - (1 - s1) * (1 - boost * s2));
}

/**
 * Severity from probability and magnitude (largest |z| among the deviations):
 * - critical: probability >= 0.999 and magnitude >= 8
 * - high: probability >= 0.999, or probability >= 0.99 and magnitude >= 5
 * - medium: probability >= 0.97
 * - low: anything else that was raised
 */
export function severityOf(probability: number, magnitude: number): Severity {
  if (probability >= 0.999 && magnitude >= 8) return 'critical';
  if (probability >= 0.999 || (probability >= 0.99 && magnitude >= 5)) return 'high';
  if (probability >= 0.97) return 'medium';
  return 'low';
}

/** Picks the strongest result (ties within 1e-3 broken by {@link KIND_PRIORITY}). */
export function strongest(results: DetectorResult[]): DetectorResult | null {
  let best: DetectorResult | null = null;
  for (const r of results) {
    if (!best) {
      best = r;
      continue;
    }
    const d = r.score - best.score;
    if (d > 1e-3 || (Math.abs(d) <= 1e-3 && KIND_PRIORITY.indexOf(r.kind) < KIND_PRIORITY.indexOf(best.kind))) best = r;
  }
  return best;
}

/** Templates whose share in the window is far above their profile share, strongest rise first. */
export function risingTemplates(w: WindowFeatures, profile: Profile, minRatio = 3, minEvents = 3): Array<{ id: string; count: number; share: number; usual: number }> {
  const total = Math.max(1, w.features.count);
  const usual = new Map(profile.templates.map((t) => [t.id, t.share]));
  const out: Array<{ id: string; count: number; share: number; usual: number; ratio: number }> = [];
  for (const [id, count] of Object.entries(w.templates)) {
    if (count < minEvents || w.newTemplates[id] !== undefined) continue;
    const u = usual.get(id);
    if (u === undefined) continue;
    const share = count / total;
    const ratio = share / Math.max(u, 1e-6);
    if (ratio >= minRatio) out.push({ id, count, share, usual: u, ratio });
  }
  return out.sort((a, b) => b.ratio - a.ratio).map(({ ratio: _r, ...x }) => x);
}

/** Options of {@link buildAnomaly}. */
export interface BuildAnomalyOptions {
  /** Epoch ms of detection. */
  detectedAt: number;
  /** Detector results at or above this score are listed as having fired (default 0.5). */
  fireLevel?: number;
  modelVersion?: string;
  /** Maximum sample events (default 5). */
  maxSamples?: number;
  /** Maximum root-cause hints (default 6). */
  maxHints?: number;
}

function templateText(id: string, w: WindowFeatures, profile: Profile): string {
  const t = w.newTemplates[id] || profile.templates.find((x) => x.id === id)?.template || id;
  return t.length > 100 ? `${t.slice(0, 99)}…` : t;
}

/**
 * Builds the anomaly of a window from its detector results and combined probability.
 * Sample events prefer new templates, then templates that rose, then the most frequent ones.
 */
export function buildAnomaly(
  w: WindowFeatures,
  profile: Profile,
  results: DetectorResult[],
  probability: number,
  options: BuildAnomalyOptions,
): Anomaly {
  const fireLevel = options.fireLevel ?? 0.5;
  const fired = results.filter((r) => r.score >= fireLevel);
  const top = strongest(fired.length > 0 ? fired : results);
  const kind: AnomalyKind = top?.kind ?? 'seasonal_band';

  const byFeature = new Map<string, Deviation>();
  for (const r of fired) {
    for (const d of r.deviations) {
      const prev = byFeature.get(d.feature);
      if (!prev || Math.abs(d.z) > Math.abs(prev.z)) byFeature.set(d.feature, d);
    }
  }
  const deviations = [...byFeature.values()].sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  const magnitude = deviations.reduce((m, d) => Math.max(m, Math.abs(d.z)), 0);

  const newIds = Object.keys(w.newTemplates).sort((a, b) => (w.templates[b] ?? 0) - (w.templates[a] ?? 0));
  const rising = risingTemplates(w, profile);
  const byCount = Object.keys(w.templates).sort((a, b) => (w.templates[b] ?? 0) - (w.templates[a] ?? 0));
  const sampleEvents: string[] = [];
  const seen = new Set<string>();
  for (const id of [...newIds, ...rising.map((r) => r.id), ...byCount]) {
    if (sampleEvents.length >= (options.maxSamples ?? 5)) break;
    if (seen.has(id)) continue;
    seen.add(id);
    const s = w.samples[id];
    if (s !== undefined) sampleEvents.push(s);
  }

  const hints: string[] = [];
  // The strongest detector's own evidence first, then the largest deviations.
  const lead = (top?.deviations ?? []).filter((x) => !x.feature.startsWith('template:')).slice(0, 1);
  const hintDevs = [...lead, ...deviations.filter((x) => !x.feature.startsWith('template:') && !lead.some((l) => l.feature === x.feature))];
  for (const d of hintDevs.slice(0, 3)) {
    hints.push(`${d.feature} ${fmt(d.observed)} vs expected ${fmt(d.expected)} (band ${fmt(d.band[0])}..${fmt(d.band[1])})`);
  }
  for (const id of newIds.slice(0, 2)) {
    hints.push(`new template (${w.templates[id] ?? 0} events): ${templateText(id, w, profile)}`);
  }
  for (const r of rising.slice(0, 2)) {
    hints.push(`template rose to ${fmt(100 * r.share)}% of events (usually ${fmt(100 * r.usual)}%): ${templateText(r.id, w, profile)}`);
  }

  return {
    id: anomalyId(w.partition, w.windowStart, kind),
    partition: w.partition,
    windowStart: w.windowStart,
    windowEnd: w.windowStart + MINUTE_MS,
    kind,
    severity: severityOf(probability, magnitude),
    probability,
    deviations,
    sampleEvents,
    rootCauseHints: hints.slice(0, options.maxHints ?? 6),
    detectors: fired.map((r) => ({ name: r.detector, score: r.score })).sort((a, b) => b.score - a.score),
    profileVersion: profile.version,
    modelVersion: options.modelVersion ?? STATISTICAL_MODEL_VERSION,
    detectedAt: options.detectedAt,
  };
}
