/**
 * The anomaly model as Harbinger uses it: the VAE plus per-partition standardisation and score
 * calibration, trained from window features, scoring windows into p-values and anomaly
 * probabilities with per-feature contributions, and computing proactive thresholds. Serialises to
 * one JSON artifact (model.json).
 */
import { FEATURE_NAMES, type FeatureName } from '../functions/core/types';
import {
  ANOMALY_TAIL,
  THRESHOLD_QUANTILES,
  anomalyProbabilityOf,
  type FeatureContribution,
  type ModelWindow,
  type PartitionThresholds,
  type WindowModelScore,
} from '../functions/core/model-contract';
import { stableHash } from '../functions/core/hash';
import { mulberry32 } from '../functions/core/random';
import { fitCalibration, pValueOf, MIN_CALIBRATION_WINDOWS, type Calibration } from './calibration';
import { Vae, type EpochReport, type VaeHyperparameters, type VaeWeights } from './vae';
import { FEATURE_COUNT, TIME_CONTEXT, UPWARD_ONLY, decodeRow, encodeFeatures, fitStandardiser, timeContext, type Standardiser } from './vectorize';

/** Format tag of model.json. */
export const MODEL_FORMAT = 'harbinger-vae';

/** What the model knows about one partition. */
export interface PartitionModel {
  partition: string;
  standardiser: Standardiser;
  /** Null when the partition had too few held-out windows: the global calibration applies. */
  calibration: Calibration | null;
  /** Median per-feature negative log-likelihood of its held-out normal windows. */
  featureBaseline: number[];
  trainingWindows: number;
}

/** The serialised model (model.json). */
export interface ModelArtifact {
  format: typeof MODEL_FORMAT;
  formatVersion: 1;
  version: string;
  createdAt: number;
  featureNames: readonly string[];
  hyperparameters: VaeHyperparameters;
  partitions: PartitionModel[];
  globalCalibration: Calibration;
  weights: VaeWeights;
  training: { windows: number; calibrationWindows: number; losses: number[]; seconds: number };
}

/** Thrown when model.json is missing parts or was written by another format. */
export class ModelArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelArtifactError';
  }
}

/** Options of {@link AnomalyModel.train}. */
export interface TrainOptions {
  version: string;
  hyperparameters: VaeHyperparameters;
  onEpoch?: (r: EpochReport) => void;
  /** Clock for createdAt (default Date.now). */
  now?: () => number;
}

/**
 * Features that move together and are ablated together when attributing a window's unlikeliness
 * (replacing only errorRate while errorCount and 5xx stay high would show no gain).
 */
export const FEATURE_GROUPS: readonly (readonly number[])[] = (() => {
  const idx = (names: FeatureName[]) => names.map((n) => FEATURE_NAMES.indexOf(n));
  const grouped: FeatureName[][] = [
    ['count', 'bytes'],
    ['errorCount', 'errorRate', 'status5xxRate'],
    ['latencyP50', 'latencyP95', 'latencyP99'],
  ];
  const seen = new Set(grouped.flat());
  return [...grouped.map(idx), ...FEATURE_NAMES.filter((f) => !seen.has(f)).map((f) => idx([f]))];
})();

/** True for windows held out for calibration: whole hours, about one in ten, chosen by hash. */
function isCalibrationHour(w: ModelWindow): boolean {
  const hour = Math.floor(w.windowStart / 3_600_000);
  return parseInt(stableHash(`${w.partition}|${hour}`).slice(-4), 16) % 10 === 0;
}

/** Median of numbers (0 for none). */
function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A trained (or loaded) anomaly model. */
export class AnomalyModel {
  readonly artifact: Omit<ModelArtifact, 'weights'>;
  private readonly vae: Vae;
  private readonly index: Map<string, number>;

  private constructor(artifact: Omit<ModelArtifact, 'weights'>, vae: Vae) {
    this.artifact = artifact;
    this.vae = vae;
    this.index = new Map(artifact.partitions.map((p, i) => [p.partition, i]));
  }

  /** Model version (the training job's name). */
  get version(): string {
    return this.artifact.version;
  }

  /** Partitions the model was trained on. */
  get partitions(): string[] {
    return this.artifact.partitions.map((p) => p.partition);
  }

  /**
   * Trains on normal windows: fits each partition's standardiser, holds out about one hour in ten
   * for calibration, fits the VAE on (a seeded sample of) the rest, then calibrates scores.
   * @throws Error when there are too few windows to hold out a calibration set
   */
  static train(windows: readonly ModelWindow[], options: TrainOptions): AnomalyModel {
    const started = Date.now();
    const hp = options.hyperparameters;
    const byPartition = new Map<string, ModelWindow[]>();
    for (const w of windows) {
      const list = byPartition.get(w.partition) ?? [];
      list.push(w);
      byPartition.set(w.partition, list);
    }
    const names = [...byPartition.keys()].sort();
    const standardisers = names.map((p) => fitStandardiser(byPartition.get(p)!.map((w) => w.features)));
    const fitSet: ModelWindow[] = [];
    const calibrationSet: ModelWindow[] = [];
    for (const w of windows) (isCalibrationHour(w) ? calibrationSet : fitSet).push(w);
    if (calibrationSet.length < MIN_CALIBRATION_WINDOWS) {
      throw new Error(`Only ${calibrationSet.length} windows fall in held-out calibration hours (need ${MIN_CALIBRATION_WINDOWS}): train on at least a day of windows.`);
    }
    let sample = fitSet;
    if (fitSet.length > hp.maxWindows) {
      const rng = mulberry32(hp.seed);
      sample = fitSet.filter(() => rng() < hp.maxWindows / fitSet.length);
    }
    const index = new Map(names.map((p, i) => [p, i]));
    const vae = Vae.create(hp, names.length);
    const inputs = (rows: readonly ModelWindow[]) => toInputs(rows, (p) => index.get(p), (i) => standardisers[i]);
    const losses = vae.fit(inputs(sample).data, options.onEpoch);

    const cal = inputs(calibrationSet);
    const scores = vae.score(cal.data);
    const perPartition = names.map(() => ({ scores: [] as number[], nll: FEATURE_NAMES.map(() => [] as number[]) }));
    for (let r = 0; r < cal.data.n; r++) {
      const slot = perPartition[cal.data.partition[r]];
      slot.scores.push(-scores.logLikelihood[r]);
      for (let f = 0; f < FEATURE_COUNT; f++) slot.nll[f].push(scores.featureNll[r * FEATURE_COUNT + f]);
    }
    const globalCalibration = fitCalibration(perPartition.flatMap((p) => p.scores));
    const partitions: PartitionModel[] = names.map((partition, i) => ({
      partition,
      standardiser: standardisers[i],
      calibration: perPartition[i].scores.length >= MIN_CALIBRATION_WINDOWS * 4 ? fitCalibration(perPartition[i].scores) : null,
      featureBaseline: perPartition[i].nll.map(median),
      trainingWindows: byPartition.get(partition)!.length,
    }));
    const artifact: Omit<ModelArtifact, 'weights'> = {
      format: MODEL_FORMAT,
      formatVersion: 1,
      version: options.version,
      createdAt: (options.now ?? Date.now)(),
      featureNames: FEATURE_NAMES,
      hyperparameters: hp,
      partitions,
      globalCalibration,
      training: { windows: sample.length, calibrationWindows: calibrationSet.length, losses, seconds: (Date.now() - started) / 1000 },
    };
    return new AnomalyModel(artifact, vae);
  }

  /**
   * Loads model.json content.
   * @throws ModelArtifactError when it is not a Harbinger VAE artifact of a known format
   */
  static load(artifact: unknown): AnomalyModel {
    const a = artifact as Partial<ModelArtifact> | null;
    if (!a || a.format !== MODEL_FORMAT || a.formatVersion !== 1) {
      throw new ModelArtifactError(`Not a ${MODEL_FORMAT} v1 model artifact: retrain the model (models/main.ts train).`);
    }
    if (!a.weights || !a.partitions || !a.globalCalibration || !a.hyperparameters) throw new ModelArtifactError('Model artifact is incomplete (weights, partitions, calibration or hyperparameters missing).');
    if (JSON.stringify(a.featureNames) !== JSON.stringify(FEATURE_NAMES)) {
      throw new ModelArtifactError(`Model was trained on features [${(a.featureNames ?? []).join(', ')}], this build has [${FEATURE_NAMES.join(', ')}]: retrain.`);
    }
    const { weights, ...rest } = a as ModelArtifact;
    return new AnomalyModel(rest, Vae.fromWeights(a.hyperparameters, a.partitions.length, weights));
  }

  /** The artifact to write as model.json. */
  toArtifact(): ModelArtifact {
    return { ...this.artifact, weights: this.vae.weights() };
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.vae.dispose();
  }

  /**
   * Scores windows (any partitions, any order); results are in input order. Windows the model
   * finds unlikely (p < ANOMALY_TAIL) also get per-feature contributions (see {@link contributionsOf}).
   */
  scoreWindows(windows: readonly ModelWindow[]): WindowModelScore[] {
    const known = windows.filter((w) => this.index.has(w.partition));
    const { data, rows } = toInputs(known, (p) => this.index.get(p), (i) => this.artifact.partitions[i].standardiser);
    const s = this.vae.score(data);
    const scores: WindowModelScore[] = rows.map((w, r) => {
      const pm = this.artifact.partitions[data.partition[r]];
      const pValue = pValueOf(pm.calibration ?? this.artifact.globalCalibration, -s.logLikelihood[r]);
      return {
        partition: w.partition,
        windowStart: w.windowStart,
        logLikelihood: s.logLikelihood[r],
        pValue,
        anomalyProbability: anomalyProbabilityOf(pValue),
        contributions: [],
        knownPartition: true,
      };
    });
    const flagged = scores.map((x, r) => (x.pValue < ANOMALY_TAIL ? r : -1)).filter((r) => r >= 0);
    if (flagged.length > 0) this.contributionsOf(rows, data, s.logLikelihood, flagged, scores);
    const byWindow = new Map<ModelWindow, WindowModelScore>(rows.map((w, r) => [w, scores[r]]));
    return windows.map(
      (w) =>
        byWindow.get(w) ?? {
          partition: w.partition,
          windowStart: w.windowStart,
          logLikelihood: Number.NaN,
          pValue: 1,
          anomalyProbability: 0,
          contributions: [],
          knownPartition: false,
        },
    );
  }

  /**
   * Per-feature contributions by ablation: for each group of features that move together
   * (FEATURE_GROUPS), how much more likely the window would be if that group were at its typical value for the partition at that hour (the
   * decoder's mean at z = 0). Shares are the positive log-likelihood gains, normalised. Robust to
   * the encoder "explaining" an anomaly with an unusual z, which fools reconstruction errors.
   * Upward-only features (errors, latency, novelty) never contribute by being lower than typical.
   */
  private contributionsOf(
    rows: readonly ModelWindow[],
    data: { x: Float32Array; time: Float32Array; partition: Int32Array; n: number },
    logLikelihood: Float64Array,
    flagged: readonly number[],
    out: WindowModelScore[],
  ): void {
    const F = FEATURE_COUNT;
    const sub = {
      x: new Float32Array(flagged.length * F),
      time: new Float32Array(flagged.length * TIME_CONTEXT),
      partition: new Int32Array(flagged.length),
      n: flagged.length,
    };
    flagged.forEach((r, i) => {
      sub.x.set(data.x.subarray(r * F, (r + 1) * F), i * F);
      sub.time.set(data.time.subarray(r * TIME_CONTEXT, (r + 1) * TIME_CONTEXT), i * TIME_CONTEXT);
      sub.partition[i] = data.partition[r];
    });
    const typical = this.vae.typical(sub);
    // One ablated copy per (flagged window, feature group).
    const G = FEATURE_GROUPS.length;
    const ab = { x: new Float32Array(flagged.length * G * F), time: new Float32Array(flagged.length * G * TIME_CONTEXT), partition: new Int32Array(flagged.length * G), n: flagged.length * G };
    for (let i = 0; i < flagged.length; i++) {
      FEATURE_GROUPS.forEach((group, g) => {
        const k = i * G + g;
        ab.x.set(sub.x.subarray(i * F, (i + 1) * F), k * F);
        for (const f of group) if (!UPWARD_ONLY[f] || sub.x[i * F + f] > typical[i * F + f]) ab.x[k * F + f] = typical[i * F + f];
        ab.time.set(sub.time.subarray(i * TIME_CONTEXT, (i + 1) * TIME_CONTEXT), k * TIME_CONTEXT);
        ab.partition[k] = sub.partition[i];
      });
    }
    const ablated = this.vae.score(ab).logLikelihood;
    flagged.forEach((r, i) => {
      const pm = this.artifact.partitions[data.partition[r]];
      const expected = decodeRow(typical, i * F, pm.standardiser);
      const gains = new Array<number>(F).fill(0);
      FEATURE_GROUPS.forEach((group, g) => {
        const gain = Math.max(0, ablated[i * G + g] - logLikelihood[r]);
        // Within a group, the gain is split by how far each member is from typical.
        const dist = group.map((f) => {
          const d = sub.x[i * F + f] - typical[i * F + f];
          return UPWARD_ONLY[f] && d <= 0 ? 0 : Math.abs(d);
        });
        const sum = dist.reduce((a, b) => a + b, 0);
        if (sum > 0) group.forEach((f, m) => (gains[f] += (gain * dist[m]) / sum));
      });
      const total = gains.reduce((a, b) => a + b, 0);
      if (total <= 0) return;
      const contributions: FeatureContribution[] = [];
      FEATURE_NAMES.forEach((feature, f) => {
        const share = gains[f] / total;
        if (share >= 0.001) contributions.push({ feature, share, observed: rows[r].features[feature], expected: expected[feature] });
      });
      out[r].contributions = contributions.sort((a, b) => b.share - a.share);
    });
  }

  /**
   * Draws `count` windows of a partition from the decoder (z ~ N(0, I), x ~ p(x | z, c)) conditioned
   * on the hour that starts at `hourStart` (the time context of its middle, as {@link thresholds}),
   * in feature units. The VAE side of the synthetic generator's window sampler (models/window-sampler.ts).
   * @returns no rows for a partition the model does not know
   */
  sampleWindows(partition: string, hourStart: number, count: number, seed: number): Array<Record<FeatureName, number>> {
    const i = this.index.get(partition);
    if (i === undefined || !(count > 0)) return [];
    const ctx = new Float32Array(TIME_CONTEXT);
    timeContext(hourStart + 1_800_000, ctx, 0);
    const x = this.vae.sample(ctx, i, count, seed);
    const standardiser = this.artifact.partitions[i].standardiser;
    return Array.from({ length: count }, (_, r) => decodeRow(x, r * FEATURE_COUNT, standardiser));
  }

  /**
   * Proactive thresholds: for each partition and each of the `hours` hours from `from`, samples
   * `samples` windows from the decoder conditioned on that hour and reads every feature's value at
   * each of THRESHOLD_QUANTILES. Unknown partitions are skipped.
   */
  thresholds(partitions: readonly string[], from: number, hours = 24, samples = 4000): PartitionThresholds[] {
    const first = Math.floor(from / 3_600_000) * 3_600_000;
    const out: PartitionThresholds[] = [];
    const ctx = new Float32Array(TIME_CONTEXT);
    for (const partition of partitions) {
      const i = this.index.get(partition);
      if (i === undefined) continue;
      const pm = this.artifact.partitions[i];
      const result: PartitionThresholds = { partition, modelVersion: this.version, computedAt: from, quantileLevels: THRESHOLD_QUANTILES, hours: [] };
      for (let h = 0; h < hours; h++) {
        const hourStart = first + h * 3_600_000;
        timeContext(hourStart + 1_800_000, ctx, 0);
        const x = this.vae.sample(ctx, i, samples, this.artifact.hyperparameters.seed + h);
        const columns = FEATURE_NAMES.map(() => new Float64Array(samples));
        for (let r = 0; r < samples; r++) {
          const row = decodeRow(x, r * FEATURE_COUNT, pm.standardiser);
          FEATURE_NAMES.forEach((feature, f) => (columns[f][r] = row[feature]));
        }
        const quantiles = {} as Record<FeatureName, number[]>;
        FEATURE_NAMES.forEach((feature, f) => {
          const values = columns[f].sort();
          quantiles[feature] = THRESHOLD_QUANTILES.map((q) => values[Math.min(samples - 1, Math.floor(q * samples))]);
        });
        result.hours.push({ hourStart, quantiles });
      }
      out.push(result);
    }
    return out;
  }
}

/** Vectorises windows of known partitions. */
function toInputs(
  windows: readonly ModelWindow[],
  indexOf: (partition: string) => number | undefined,
  standardiserOf: (index: number) => Standardiser,
): { data: { x: Float32Array; time: Float32Array; partition: Int32Array; n: number }; rows: ModelWindow[] } {
  const rows = windows.filter((w) => indexOf(w.partition) !== undefined);
  const x = new Float32Array(rows.length * FEATURE_COUNT);
  const time = new Float32Array(rows.length * TIME_CONTEXT);
  const partition = new Int32Array(rows.length);
  rows.forEach((w, r) => {
    const i = indexOf(w.partition)!;
    partition[r] = i;
    encodeFeatures(w.features, standardiserOf(i), x, r * FEATURE_COUNT);
    timeContext(w.windowStart, time, r * TIME_CONTEXT);
  });
  return { data: { x, time, partition, n: rows.length }, rows };
}
