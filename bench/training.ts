/**
 * Training-time benchmark of the VAE, and the case for ONE conditional model.
 *
 * 1. AnomalyModel.train on 20 partitions x 14 days of 1-minute windows (synthWindows: 403,200
 *    windows) with the default hyperparameters (which sample at most `maxWindows` windows):
 *    seconds, windows/s, epochs, final loss, peak RSS (sampled at every epoch end).
 * 2. The alternative: one model per partition (embeddingDim 0) on the same data, timed per model;
 *    when 20 of them would take more than `perPartitionBudgetSeconds`, only the first N partitions
 *    are trained (and the output says so) and the time is extrapolated to 20.
 * Both are judged on the same labelled holdout: a fresh day with injected incidents
 * (functions/core/holdout.ts, the training job's own evaluation), average precision and
 * recall/false-positive rate at 0.95.
 *
 * Run directly: `npx tsx bench/training.ts`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../models/backend';
import { AnomalyModel } from '../models/model';
import { DEFAULT_HYPERPARAMETERS, type VaeHyperparameters } from '../models/vae';
import { synthWindows } from '../functions/core/synth/windows';
import { injectAnomalies, type HoldoutWindow } from '../functions/core/holdout';
import { holdoutMetrics, type HoldoutMetrics } from '../functions/core/evaluation';
import type { ModelWindow } from '../functions/core/model-contract';

/** The shared model's training run. */
export interface SharedTrainingResult {
  partitions: number;
  days: number;
  windows: number;
  /** Windows the VAE was fitted on (after sampling and the calibration hold-out). */
  sampledWindows: number;
  seconds: number;
  /** All windows / seconds (the data set's throughput). */
  windowsPerSecond: number;
  /** Fitted windows x epochs / seconds. */
  sampleEpochsPerSecond: number;
  epochs: number;
  finalLoss: number;
  peakRssMb: number;
  holdout: HoldoutMetrics;
  /** On the per-partition slice's holdout only (same windows as perPartition.holdout). */
  holdoutSlice: HoldoutMetrics;
}

/** The per-partition alternative. */
export interface PerPartitionResult {
  /** Partitions actually trained (a slice when the budget would be exceeded). */
  partitions: number;
  slice: boolean;
  note: string;
  seconds: number;
  secondsPerModel: number;
  /** seconds / partitions x 20 (or measured when not a slice). */
  secondsFor20: number;
  holdout: HoldoutMetrics;
}

/** Whole benchmark result. */
export interface TrainingBenchResult {
  hyperparameters: VaeHyperparameters;
  shared: SharedTrainingResult;
  perPartition: PerPartitionResult;
}

/** Options of {@link runTrainingBench}. */
export interface TrainingBenchOptions {
  partitions?: number;
  days?: number;
  seed?: number;
  /** Time allowed for the per-partition models (default 180 s). */
  perPartitionBudgetSeconds?: number;
  log?: (line: string) => void;
}

const rssMb = (): number => process.memoryUsage().rss / 1024 / 1024;

/** Runs the benchmark. */
export async function runTrainingBench(options: TrainingBenchOptions = {}): Promise<TrainingBenchResult> {
  const log = options.log ?? (() => {});
  const P = options.partitions ?? 20;
  const days = options.days ?? 14;
  const seed = options.seed ?? 1;
  const budget = options.perPartitionBudgetSeconds ?? 180;
  await initBackend();
  const names = Array.from({ length: P }, (_, i) => `svc${String(i).padStart(2, '0')}#${['us-east-1', 'eu-west-1'][i % 2]}`);
  const start = Date.UTC(2026, 10, 2);
  const windows = synthWindows({ partitions: names, days, seed, start });
  const fresh = synthWindows({ partitions: names, days: 1, seed: seed + 100, start: start + days * 86_400_000 });
  const holdout = injectAnomalies(fresh, { seed: seed + 7, share: 0.05 });
  const hp = DEFAULT_HYPERPARAMETERS;

  log(`  shared model: ${windows.length.toLocaleString('en-US')} windows, ${P} partitions x ${days} days...`);
  let peak = rssMb();
  const t0 = Date.now();
  const shared = AnomalyModel.train(windows, {
    version: 'bench-shared',
    hyperparameters: hp,
    onEpoch: (r) => {
      peak = Math.max(peak, rssMb());
      log(`    epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)} (${r.seconds.toFixed(1)} s)`);
    },
  });
  const seconds = (Date.now() - t0) / 1000;
  peak = Math.max(peak, rssMb());
  const losses = shared.artifact.training.losses;
  const sharedScores = shared.scoreWindows(holdout).map((s) => s.anomalyProbability);
  const labels = holdout.map((w) => w.label);

  // Per-partition models: time the first, then decide how many fit the budget.
  const separate = { ...hp, embeddingDim: 0 };
  const perScores = new Map<HoldoutWindow, number>();
  const byPartition = (p: string): ModelWindow[] => windows.filter((w) => w.partition === p);
  const trainOne = (p: string): number => {
    const started = Date.now();
    const m = AnomalyModel.train(byPartition(p), { version: `bench-${p}`, hyperparameters: separate });
    const own = holdout.filter((w) => w.partition === p);
    m.scoreWindows(own).forEach((s, i) => perScores.set(own[i], s.anomalyProbability));
    m.dispose();
    return (Date.now() - started) / 1000;
  };
  log(`  per-partition models (embeddingDim 0)...`);
  const first = trainOne(names[0]);
  const affordable = Math.max(2, Math.min(P, Math.floor(budget / Math.max(first, 1e-3))));
  let perSeconds = first;
  for (let i = 1; i < affordable; i++) {
    perSeconds += trainOne(names[i]);
    log(`    ${i + 1}/${affordable} models, ${perSeconds.toFixed(0)} s`);
  }
  const sliceNames = new Set(names.slice(0, affordable));
  const sliceIdx = holdout.map((w, i) => (sliceNames.has(w.partition) ? i : -1)).filter((i) => i >= 0);
  const pick = <T,>(xs: readonly T[]): T[] => sliceIdx.map((i) => xs[i]);
  const slice = affordable < P;
  const note = slice
    ? `20 per-partition models would take ~${Math.round((first * P) / 60)} min (> ${budget} s budget): trained the first ${affordable} and extrapolated; both models judged on those ${affordable} partitions' holdout`
    : `all ${P} per-partition models trained`;
  const result: TrainingBenchResult = {
    hyperparameters: hp,
    shared: {
      partitions: P,
      days,
      windows: windows.length,
      sampledWindows: shared.artifact.training.windows,
      seconds,
      windowsPerSecond: windows.length / seconds,
      sampleEpochsPerSecond: (shared.artifact.training.windows * losses.length) / seconds,
      epochs: losses.length,
      finalLoss: losses[losses.length - 1] ?? Number.NaN,
      peakRssMb: Math.round(peak),
      holdout: holdoutMetrics(sharedScores, labels, 0.95),
      holdoutSlice: holdoutMetrics(pick(sharedScores), pick(labels), 0.95),
    },
    perPartition: {
      partitions: affordable,
      slice,
      note,
      seconds: perSeconds,
      secondsPerModel: perSeconds / affordable,
      secondsFor20: slice ? (perSeconds / affordable) * 20 : perSeconds,
      holdout: holdoutMetrics(pick(holdout.map((w) => perScores.get(w) ?? 0)), pick(labels), 0.95),
    },
  };
  shared.dispose();
  return result;
}

/** Prints the result. */
export function printTrainingResult(r: TrainingBenchResult, print: (line: string) => void = (l) => console.log(l)): void {
  const s = r.shared;
  const p = r.perPartition;
  const m = (x: HoldoutMetrics): string => `AP ${x.averagePrecision.toFixed(3)}, recall ${(x.recall * 100).toFixed(1)}%, FPR ${(x.falsePositiveRate * 100).toFixed(2)}% (${x.windows.toLocaleString('en-US')} windows)`;
  print(`  shared model: ${s.windows.toLocaleString('en-US')} windows (${s.partitions} partitions x ${s.days} days; ${s.sampledWindows.toLocaleString('en-US')} sampled) in ${s.seconds.toFixed(1)} s = ${Math.round(s.windowsPerSecond).toLocaleString('en-US')} windows/s (${Math.round(s.sampleEpochsPerSecond).toLocaleString('en-US')} sample-epochs/s); ${s.epochs} epochs, final loss ${s.finalLoss.toFixed(3)}, peak RSS ${s.peakRssMb} MB`);
  print(`    holdout (all partitions): ${m(s.holdout)}`);
  print(`  per-partition models: ${p.partitions} trained in ${p.seconds.toFixed(1)} s (${p.secondsPerModel.toFixed(1)} s each; ~${p.secondsFor20.toFixed(0)} s for 20 vs ${s.seconds.toFixed(0)} s for the shared model)`);
  print(`    ${p.note}`);
  print(`    holdout on those partitions: per-partition ${m(p.holdout)}`);
  print(`                                 shared        ${m(s.holdoutSlice)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runTrainingBench({ log: (l) => console.log(l) }).then(
    (r) => printTrainingResult(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
