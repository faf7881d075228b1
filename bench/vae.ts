/**
 * VAE benchmarks (synthetic, no ../shared data needed):
 * - joint anomalies: incidents where every single feature stays inside its per-feature band but the
 *   combination is abnormal (latency at its high-load level while volume is low, bytes per event far
 *   off, errors and latency both up a little) — the VAE against the per-feature bands and against all
 *   statistical detectors; plus ordinary single-feature incidents for contrast;
 * - training time of 20 partitions x 14 days of 1-minute windows;
 * - one conditional model with a partition embedding against one model per partition (time and
 *   holdout average precision on the same data).
 */
import { initBackend } from '../models/backend';
import { AnomalyModel } from '../models/model';
import { DEFAULT_HYPERPARAMETERS, type VaeHyperparameters } from '../models/vae';
import { synthWindows } from '../functions/core/synth/windows';
import { buildProfile } from '../functions/core/profile';
import { featureZ, seasonalBand } from '../functions/core/detectors/index';
import { scoreWindow } from '../functions/core/scoring';
import { combineScores } from '../functions/core/anomaly';
import { averagePrecision, holdoutMetrics } from '../functions/core/evaluation';
import { injectAnomalies } from '../functions/core/holdout';
import { mulberry32 } from '../functions/core/random';
import { FEATURE_NAMES, type FeatureName, type Profile, type WindowFeatures } from '../functions/core/types';
import type { ModelWindow } from '../functions/core/model-contract';
import type { DetectorContext } from '../functions/core/detectors/index';

const DAY = 86_400_000;

/** Detection quality of one detector on one labelled set. */
export interface Quality {
  averagePrecision: number;
  recallAt95: number;
  falsePositiveRateAt95: number;
}

function quality(scores: number[], labels: (0 | 1)[]): Quality {
  const m = holdoutMetrics(scores, labels, 0.95);
  return { averagePrecision: round(averagePrecision(scores, labels)), recallAt95: round(m.recall), falsePositiveRateAt95: round(m.falsePositiveRate, 5) };
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));
const asWindow = (w: ModelWindow): WindowFeatures => ({ ...w, templates: {}, newTemplates: {}, samples: {} });

type Injector = (w: ModelWindow, rng: () => number) => ModelWindow;

/** Joint incidents: each feature plausible on its own, their relation broken. */
const JOINT: Record<string, Injector> = {
  // The latency of a busy minute in a quiet one: queueing without the traffic to explain it.
  latency_without_load: (w) => {
    const f = { ...w.features };
    const k = 1.9;
    f.latencyP50 *= k;
    f.latencyP95 *= k;
    f.latencyP99 *= k;
    return { ...w, features: f };
  },
  // The same number of lines, each much larger: bytes moves within its band, bytes per line does not.
  bytes_per_event: (w) => ({ ...w, features: { ...w.features, bytes: w.features.bytes * 1.7 } }),
  // Errors and latency both up a little: neither alone crosses its band.
  errors_and_latency: (w) => {
    const f = { ...w.features };
    f.errorCount = Math.round(f.errorCount + Math.max(2, f.count * 0.012));
    f.errorRate = f.count ? Math.min(1, f.errorCount / f.count) : 0;
    f.status5xxRate = Math.min(1, f.status5xxRate + (0.7 * Math.max(2, f.count * 0.012)) / Math.max(1, f.count));
    f.latencyP50 *= 1.35;
    f.latencyP95 *= 1.35;
    f.latencyP99 *= 1.35;
    return { ...w, features: f };
  },
};

/** Ordinary incidents: one feature far out of its band. */
const SINGLE: Record<string, Injector> = {
  latency_x3: (w) => ({ ...w, features: { ...w.features, latencyP50: w.features.latencyP50 * 3, latencyP95: w.features.latencyP95 * 3, latencyP99: w.features.latencyP99 * 3 } }),
  error_burst: (w) => {
    const f = { ...w.features };
    f.errorCount = Math.round(f.count * 0.2);
    f.errorRate = f.count ? f.errorCount / f.count : 0;
    f.status5xxRate = f.errorRate * 0.8;
    return { ...w, features: f };
  },
  volume_drop: (w) => {
    const f = { ...w.features };
    const k = 0.15;
    f.count = Math.round(f.count * k);
    f.bytes *= k;
    f.errorCount = Math.round(f.errorCount * k);
    f.distinctTemplates = Math.min(f.distinctTemplates, f.count);
    return { ...w, features: f };
  },
};

/** Recall at 0.95 of one injected kind. */
export interface KindRecall {
  windows: number;
  vae: number;
  seasonalBand: number;
}

/** Result of {@link runJointBench}. */
export interface JointBenchResult {
  partitions: number;
  trainDays: number;
  testWindows: number;
  trainSeconds: number;
  joint: { injected: number; insideBands: number; byKind: Record<string, KindRecall>; vae: Quality; seasonalBand: Quality; statistical: Quality };
  single: { injected: number; byKind: Record<string, KindRecall>; vae: Quality; seasonalBand: Quality; statistical: Quality };
}

/**
 * VAE vs per-feature bands on joint and single-feature incidents.
 * @param options.days - training days (default 7)
 */
export async function runJointBench(options: { days?: number; log?: (l: string) => void } = {}): Promise<JointBenchResult> {
  const log = options.log ?? (() => undefined);
  await initBackend();
  const partitions = ['checkout#eu-west-1', 'search#us-east-1', 'auth#eu-west-1', 'gateway#us-east-1'];
  const days = options.days ?? 7;
  const start = Date.UTC(2026, 10, 2);
  const train = synthWindows({ partitions, days, seed: 21, start, burstiness: 0.35 });
  const t0 = Date.now();
  const model = AnomalyModel.train(train, { version: 'bench', hyperparameters: DEFAULT_HYPERPARAMETERS });
  const trainSeconds = (Date.now() - t0) / 1000;
  log(`  trained on ${train.length.toLocaleString('en-US')} windows (${partitions.length} partitions x ${days} days, bursty load) in ${trainSeconds.toFixed(1)} s`);
  const profiles = new Map<string, Profile>();
  for (const p of partitions) {
    profiles.set(p, buildProfile({ partition: p, windows: train.filter((w) => w.partition === p).map(asWindow), templates: [], version: 1, builtAt: start + days * DAY }));
  }
  const test = synthWindows({ partitions, days: 2, seed: 22, start: start + days * DAY, burstiness: 0.35 });

  const ctxOf = (w: ModelWindow): DetectorContext => ({ profile: profiles.get(w.partition)!, recent: [], rolling: {} });
  const bandScore = (w: ModelWindow): number => seasonalBand(asWindow(w), ctxOf(w))?.score ?? 0;
  const statScore = (w: ModelWindow): number => combineScores(scoreWindow(asWindow(w), ctxOf(w), { now: w.windowStart, enabled: ['seasonalBand', 'frequency', 'errorSpike', 'templates', 'patternBreak'] }).results.map((r) => r.score));
  /** True when every feature of the window is within |z| < 3 of its per-feature band. */
  const insideBands = (w: ModelWindow): boolean =>
    FEATURE_NAMES.every((f: FeatureName) => {
      const z = featureZ(f, asWindow(w), ctxOf(w));
      return !z || Math.abs(z.z) < 3;
    });

  const evaluate = (injectors: Record<string, Injector>, requireInside: boolean) => {
    const rng = mulberry32(5);
    const kinds = Object.keys(injectors);
    const rows: Array<{ w: ModelWindow; label: 0 | 1; kind?: string }> = [];
    let tried = 0;
    let inside = 0;
    const byKind: Record<string, number> = {};
    test.forEach((w, i) => {
      rows.push({ w, label: 0 });
      if (i % 10 !== 3 || w.features.count < 30) return;
      const k = kinds[Math.floor(i / 10) % kinds.length];
      const bad = injectors[k](w, rng);
      tried++;
      if (requireInside && !insideBands(bad)) return;
      inside++;
      byKind[k] = (byKind[k] ?? 0) + 1;
      rows.push({ w: bad, label: 1, kind: k });
    });
    const labels = rows.map((r) => r.label);
    const vae = model.scoreWindows(rows.map((r) => r.w)).map((s) => s.anomalyProbability);
    const band = rows.map((r) => bandScore(r.w));
    const recallOf = (scores: number[], kind: string): number => {
      const idx = rows.map((r, i) => (r.kind === kind ? i : -1)).filter((i) => i >= 0);
      return round(idx.filter((i) => scores[i] >= 0.95).length / Math.max(1, idx.length));
    };
    const recallByKind = Object.fromEntries(kinds.map((k) => [k, { windows: byKind[k] ?? 0, vae: recallOf(vae, k), seasonalBand: recallOf(band, k) }]));
    return {
      tried,
      inside,
      byKind: recallByKind,
      vae: quality(vae, labels),
      seasonalBand: quality(band, labels),
      statistical: quality(rows.map((r) => statScore(r.w)), labels),
    };
  };
  const joint = evaluate(JOINT, true);
  const single = evaluate(SINGLE, false);
  model.dispose();
  return {
    partitions: partitions.length,
    trainDays: days,
    testWindows: test.length,
    trainSeconds: round(trainSeconds, 1),
    joint: { injected: joint.tried, insideBands: joint.inside, byKind: joint.byKind, vae: joint.vae, seasonalBand: joint.seasonalBand, statistical: joint.statistical },
    single: { injected: single.inside, byKind: single.byKind, vae: single.vae, seasonalBand: single.seasonalBand, statistical: single.statistical },
  };
}

/** Result of {@link runTrainingBench}. */
export interface TrainingBenchResult {
  partitions: number;
  days: number;
  windows: number;
  sampledWindows: number;
  epochs: number;
  seconds: number;
  windowsPerSecond: number;
  finalLoss: number;
  peakRssMb: number;
  design: {
    partitions: number;
    days: number;
    shared: { seconds: number; averagePrecision: number; falsePositiveRate: number };
    perPartition: { seconds: number; averagePrecision: number; falsePositiveRate: number };
  };
}

/** Training time at scale, and the shared conditional model against one model per partition. */
export async function runTrainingBench(options: { partitions?: number; days?: number; log?: (l: string) => void } = {}): Promise<TrainingBenchResult> {
  const log = options.log ?? (() => undefined);
  await initBackend();
  const P = options.partitions ?? 20;
  const days = options.days ?? 14;
  const names = Array.from({ length: P }, (_, i) => `svc${String(i).padStart(2, '0')}#${i % 2 ? 'us-east-1' : 'eu-west-1'}`);
  const windows = synthWindows({ partitions: names, days, seed: 31 });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  let epochs = 0;
  const t0 = Date.now();
  const model = AnomalyModel.train(windows, {
    version: 'bench',
    hyperparameters: DEFAULT_HYPERPARAMETERS,
    onEpoch: (r) => {
      epochs = r.epochs;
      log(`    epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)} (${r.seconds.toFixed(1)} s)`);
    },
  });
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const training = model.artifact.training;
  model.dispose();
  log(`  ${windows.length.toLocaleString('en-US')} windows (${P} partitions x ${days} days): ${seconds.toFixed(1)} s`);

  // Design comparison on a slice: shared conditional model vs one model per partition.
  const dP = 5;
  const dDays = 7;
  const slice = synthWindows({ partitions: names.slice(0, dP), days: dDays, seed: 32 });
  const holdout = injectAnomalies(synthWindows({ partitions: names.slice(0, dP), days: 1, seed: 33, start: Date.UTC(2026, 10, 2) + dDays * DAY }), { seed: 3, share: 0.1 });
  const labels = holdout.map((h) => h.label);
  const hp: VaeHyperparameters = { ...DEFAULT_HYPERPARAMETERS };
  const s0 = Date.now();
  const shared = AnomalyModel.train(slice, { version: 'shared', hyperparameters: hp });
  const sharedSeconds = (Date.now() - s0) / 1000;
  const sharedScores = shared.scoreWindows(holdout).map((s) => s.anomalyProbability);
  shared.dispose();
  const p0 = Date.now();
  const perScores = new Array<number>(holdout.length).fill(0);
  for (const p of names.slice(0, dP)) {
    const m = AnomalyModel.train(slice.filter((w) => w.partition === p), { version: p, hyperparameters: { ...hp, embeddingDim: 0 } });
    const idx = holdout.map((h, i) => (h.partition === p ? i : -1)).filter((i) => i >= 0);
    m.scoreWindows(idx.map((i) => holdout[i])).forEach((s, k) => (perScores[idx[k]] = s.anomalyProbability));
    m.dispose();
  }
  const perSeconds = (Date.now() - p0) / 1000;
  const q = (scores: number[]) => {
    const m = holdoutMetrics(scores, labels, 0.95);
    return { averagePrecision: round(m.averagePrecision), falsePositiveRate: round(m.falsePositiveRate, 5) };
  };
  return {
    partitions: P,
    days,
    windows: windows.length,
    sampledWindows: training.windows,
    epochs,
    seconds: round(seconds, 1),
    windowsPerSecond: Math.round((training.windows * epochs) / seconds),
    finalLoss: round(training.losses.at(-1) ?? Number.NaN),
    peakRssMb: Math.round(peak / 1e6),
    design: {
      partitions: dP,
      days: dDays,
      shared: { seconds: round(sharedSeconds, 1), ...q(sharedScores) },
      perPartition: { seconds: round(perSeconds, 1), ...q(perScores) },
    },
  };
}
