/**
 * Realism check: how close synthetic windows are to real windows of the same partition. Per
 * feature, the two-sample Kolmogorov-Smirnov statistic and its asymptotic p-value; for the
 * template mix, the Jensen-Shannon divergence (base 2, in [0, 1]); a verdict per line and overall,
 * and a readable table. Pure.
 */
import { featureObserved } from '../profile';
import { FEATURE_NAMES, type FeatureName, type WindowFeatures } from '../types';

/**
 * Two-sample Kolmogorov-Smirnov statistic: the largest distance between the two empirical CDFs,
 * evaluated after each distinct value (ties in and across samples handled).
 * @returns D in [0, 1]; 0 when either sample is empty
 */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * The Kolmogorov distribution's upper tail `Q(λ) = 2 Σ_{j≥1} (-1)^{j-1} exp(-2 j² λ²)`
 * (1 for λ = 0; Q(1.36) ≈ 0.05, Q(1.63) ≈ 0.01).
 */
export function kolmogorovQ(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    sum += (j % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-12) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * Asymptotic p-value of a two-sample KS statistic: `Q((√nₑ + 0.12 + 0.11/√nₑ) D)` with
 * `nₑ = n m / (n + m)` (Stephens' small-sample correction, as in Numerical Recipes).
 * @returns 1 when either sample is empty
 */
export function ksPValue(d: number, n: number, m: number): number {
  if (!(n > 0 && m > 0)) return 1;
  const ne = Math.sqrt((n * m) / (n + m));
  return kolmogorovQ((ne + 0.12 + 0.11 / ne) * d);
}

/**
 * The KS statistic a sample pair of sizes n and m exceeds with probability `alpha` when both come
 * from the same distribution (large-sample approximation `c(α) √((n+m)/(n m))`, c(α) = √(-ln(α/2)/2)).
 */
export function ksCriticalValue(n: number, m: number, alpha: number): number {
  if (!(n > 0 && m > 0)) return 1;
  return Math.sqrt(-Math.log(alpha / 2) / 2) * Math.sqrt((n + m) / (n * m));
}

/**
 * Jensen-Shannon divergence (base 2) of two distributions given as non-negative weights per key
 * (counts need not be normalised): 0 for identical mixes, 1 for disjoint ones.
 * @returns 0 when both are empty, 1 when exactly one is
 */
export function jsDivergence(p: Readonly<Record<string, number>>, q: Readonly<Record<string, number>>): number {
  const sum = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((s, v) => s + (v > 0 ? v : 0), 0);
  const sp = sum(p);
  const sq = sum(q);
  if (sp === 0 && sq === 0) return 0;
  if (sp === 0 || sq === 0) return 1;
  let js = 0;
  for (const k of new Set([...Object.keys(p), ...Object.keys(q)])) {
    const a = Math.max(0, p[k] ?? 0) / sp;
    const b = Math.max(0, q[k] ?? 0) / sq;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log2(a / m);
    if (b > 0) js += 0.5 * b * Math.log2(b / m);
  }
  return Math.min(1, Math.max(0, js));
}

/** How close one comparison is. */
export type RealismVerdict = 'close' | 'fair' | 'far' | 'insufficient';

/** One feature's comparison. */
export interface FeatureRealism {
  feature: FeatureName;
  /** Windows where the feature is observed (see featureObserved). */
  nReal: number;
  nSynthetic: number;
  ks: number;
  pValue: number;
  realMedian: number;
  syntheticMedian: number;
  verdict: RealismVerdict;
}

/** Result of {@link compareWindows}. */
export interface RealismReport {
  features: FeatureRealism[];
  templates: { js: number; realTemplates: number; syntheticTemplates: number; verdict: RealismVerdict };
  /** Worst verdict among the features with enough data and the template mix. */
  verdict: RealismVerdict;
}

/** Options of {@link compareWindows}. */
export interface RealismOptions {
  /** Features compared (default all). */
  features?: readonly FeatureName[];
  /** KS at or below this is `close` (default 0.1). */
  closeKs?: number;
  /** KS at or below this is `fair` (default 0.2); above: `far`. */
  fairKs?: number;
  /** JS divergence at or below this is `close` (default 0.05), at or below `fairJs` `fair` (default 0.15). */
  closeJs?: number;
  fairJs?: number;
  /** Fewer observed windows on either side: `insufficient` (default 20). */
  minWindows?: number;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const RANK: Record<RealismVerdict, number> = { close: 0, fair: 1, far: 2, insufficient: -1 };

/**
 * Compares synthetic with real windows of one partition.
 * Per feature (over the windows where it is observed, as the profile does): KS statistic, p-value,
 * medians and a verdict: `close` when KS ≤ `closeKs` or the test cannot tell the samples apart
 * (p ≥ 0.05), `fair` when KS ≤ `fairKs`, else `far`. Effect size first: with thousands of windows
 * the p-value flags differences far below the histogram's 5% resolution. Template mix: JS
 * divergence of the summed per-template counts.
 */
export function compareWindows(real: readonly WindowFeatures[], synthetic: readonly WindowFeatures[], options: RealismOptions = {}): RealismReport {
  const closeKs = options.closeKs ?? 0.1;
  const fairKs = options.fairKs ?? 0.2;
  const closeJs = options.closeJs ?? 0.05;
  const fairJs = options.fairJs ?? 0.15;
  const minWindows = options.minWindows ?? 20;
  const features = (options.features ?? FEATURE_NAMES).map((feature): FeatureRealism => {
    const a = real.filter((w) => featureObserved(feature, w.features)).map((w) => w.features[feature]);
    const b = synthetic.filter((w) => featureObserved(feature, w.features)).map((w) => w.features[feature]);
    const ks = ksStatistic(a, b);
    const pValue = ksPValue(ks, a.length, b.length);
    const verdict: RealismVerdict =
      a.length < minWindows || b.length < minWindows ? 'insufficient' : ks <= closeKs || pValue >= 0.05 ? 'close' : ks <= fairKs ? 'fair' : 'far';
    return { feature, nReal: a.length, nSynthetic: b.length, ks, pValue, realMedian: median(a), syntheticMedian: median(b), verdict };
  });
  const sumTemplates = (ws: readonly WindowFeatures[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const w of ws) for (const [id, c] of Object.entries(w.templates)) out[id] = (out[id] ?? 0) + c;
    return out;
  };
  const rt = sumTemplates(real);
  const st = sumTemplates(synthetic);
  const js = jsDivergence(rt, st);
  const templates = {
    js,
    realTemplates: Object.keys(rt).length,
    syntheticTemplates: Object.keys(st).length,
    verdict: (real.length === 0 || synthetic.length === 0 ? 'insufficient' : js <= closeJs ? 'close' : js <= fairJs ? 'fair' : 'far') as RealismVerdict,
  };
  let worst: RealismVerdict = 'insufficient';
  for (const v of [...features.map((f) => f.verdict), templates.verdict]) if (RANK[v] > RANK[worst]) worst = v;
  return { features, templates, verdict: worst };
}

function num(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1000 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** A fixed-width text table of a {@link RealismReport}, one line per feature plus the template mix. */
export function formatRealismTable(report: RealismReport): string {
  const head = ['feature', 'n real', 'n synth', 'KS', 'p-value', 'median real', 'median synth', 'verdict'];
  const rows = report.features.map((f) => [f.feature, String(f.nReal), String(f.nSynthetic), f.ks.toFixed(3), f.pValue < 1e-4 ? '<1e-4' : f.pValue.toFixed(4), num(f.realMedian), num(f.syntheticMedian), f.verdict]);
  rows.push([
    'template mix (JS)',
    String(report.templates.realTemplates),
    String(report.templates.syntheticTemplates),
    report.templates.js.toFixed(3),
    '',
    '',
    '',
    report.templates.verdict,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), `overall: ${report.verdict}`].join('\n');
}
