/**
 * The conditional variational autoencoder over window feature vectors (TensorFlow.js, wasm
 * backend). One shared model for every partition: the decoder and encoder are conditioned on the
 * window's time context and a learned partition embedding, and each partition's features are
 * standardised with its own statistics (see README: why one conditional model).
 *
 * Encoder q(z | x, c) and decoder p(x | z, c) are one-hidden-layer MLPs; the decoder is Gaussian
 * with a per-feature learned variance, so the model knows which features are noisy where.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32, normal } from '../functions/core/random';
import { VAE_DEFAULTS, type VaeHyperparameters } from '../functions/core/model-contract';
import { FEATURE_COUNT, TIME_CONTEXT, UPWARD_ONLY } from './vectorize';

export type { VaeHyperparameters };

/** Defaults (one definition: functions/core/model-contract.ts VAE_DEFAULTS). */
export const DEFAULT_HYPERPARAMETERS: VaeHyperparameters = { ...VAE_DEFAULTS };

/** Thrown for hyperparameters that cannot train a model. */
export class HyperparameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HyperparameterError';
  }
}

/**
 * Hyperparameters from SageMaker's hyperparameters.json (every value a string) over the defaults.
 * @throws HyperparameterError naming the bad key and its allowed range
 */
export function parseHyperparameters(raw: Record<string, unknown>): VaeHyperparameters {
  const out: VaeHyperparameters = { ...DEFAULT_HYPERPARAMETERS };
  const ranges: Record<keyof VaeHyperparameters, [number, number, boolean]> = {
    epochs: [0, 1000, true],
    latentDim: [1, 64, true],
    hiddenUnits: [2, 1024, true],
    embeddingDim: [0, 32, true],
    batchSize: [1, 65536, true],
    learningRate: [1e-6, 1, false],
    seed: [0, 2 ** 31, true],
    maxWindows: [100, 10_000_000, true],
    scoreSamples: [1, 256, true],
    minSteps: [0, 1_000_000, true],
  };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in ranges)) continue; // SageMaker and tooling add their own keys
    const [lo, hi, integer] = ranges[key as keyof VaeHyperparameters];
    const v = Number(value);
    if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      throw new HyperparameterError(`Hyperparameter ${key}=${JSON.stringify(value)} is invalid: expected ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}].`);
    }
    out[key as keyof VaeHyperparameters] = v;
  }
  return out;
}

/**
 * Input shape of a VAE. Window models use the defaults (the FEATURE_NAMES vector); other callers
 * (the metric-series scorer, models/series.ts) pass their own width.
 */
export interface VaeShape {
  /** Width of the input vector (default FEATURE_COUNT). */
  features?: number;
  /**
   * Per input: true when only values above the reconstruction are surprising (default: UPWARD_ONLY
   * for the FEATURE_COUNT-wide window vector, all false otherwise).
   */
  upwardOnly?: readonly boolean[];
}

/** Serialised weights: name -> shape and values. */
export type VaeWeights = Record<string, { shape: number[]; values: number[] }>;

/** A training set in the model's input space. */
export interface VaeInputs {
  /** Standardised features, row-major [n, features] (FEATURE_COUNT for window models). */
  x: Float32Array;
  /** Time context, row-major [n, TIME_CONTEXT]. */
  time: Float32Array;
  /** Partition index per row. */
  partition: Int32Array;
  n: number;
}

/** Per-row outputs of {@link Vae.score}. */
export interface VaeRowScores {
  /** log p(x | c) estimate per row (log-mean-exp over z samples). */
  logLikelihood: Float64Array;
  /** Mean negative log-likelihood per row and feature, row-major [n, features]. */
  featureNll: Float64Array;
  /** Mean reconstruction (standardised) per row and feature, row-major. */
  reconstruction: Float64Array;
}

/**
 * Per-call overrides of {@link Vae.fit} (default: the model's hyperparameters, KL warm-up on).
 * Used to continue training a model on fresh data (warm start) with a few steps.
 */
export interface VaeFitOptions {
  /** Epochs of this call (default hp.epochs). */
  epochs?: number;
  /** Minimum optimiser steps of this call (default hp.minSteps). */
  minSteps?: number;
  /** Warm the KL weight up over the first third of the epochs (default true); false: weight 1 throughout. */
  klWarmup?: boolean;
  /** Seed of the shuffling and noise of this call (default hp.seed). */
  seed?: number;
}

/** Progress of one epoch. */
export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  seconds: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Soft bound of the decoder's log-variance: (-5, 3), i.e. sigma in (0.08, 4.5) standardised units. */
function boundLogVar(raw: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.tanh(tf.div(raw, 4)), 4), 1);
}

/** Resolves a {@link VaeShape} to a width and its upward-only flags. */
function resolveShape(shape: VaeShape | undefined): { features: number; upwardOnly: readonly boolean[] } {
  const features = shape?.features ?? FEATURE_COUNT;
  if (!Number.isInteger(features) || features < 1) throw new HyperparameterError(`VAE input width must be a positive integer, got ${features}.`);
  const upwardOnly = shape?.upwardOnly ?? (features === FEATURE_COUNT ? UPWARD_ONLY : new Array<boolean>(features).fill(false));
  if (upwardOnly.length !== features) throw new HyperparameterError(`upwardOnly has ${upwardOnly.length} flags for ${features} inputs.`);
  return { features, upwardOnly };
}

/** The VAE: weights plus forward passes. */
export class Vae {
  readonly hp: VaeHyperparameters;
  readonly partitions: number;
  /** Width of the input vector. */
  readonly features: number;
  private readonly upwardOnly: readonly boolean[];
  private readonly v: Record<string, tf.Variable>;

  private constructor(hp: VaeHyperparameters, partitions: number, v: Record<string, tf.Variable>, shape: { features: number; upwardOnly: readonly boolean[] }) {
    this.hp = hp;
    this.partitions = partitions;
    this.v = v;
    this.features = shape.features;
    this.upwardOnly = shape.upwardOnly;
  }

  /**
   * A freshly initialised model (Glorot-uniform weights from a seeded generator).
   * @param shape - input width (default: the window feature vector, FEATURE_COUNT wide)
   */
  static create(hp: VaeHyperparameters, partitions: number, shape?: VaeShape): Vae {
    const resolved = resolveShape(shape);
    const F = resolved.features;
    const rng = mulberry32(hp.seed);
    const cond = TIME_CONTEXT + hp.embeddingDim;
    const shapes: Record<string, number[]> = {
      encW: [F + cond, hp.hiddenUnits],
      encB: [hp.hiddenUnits],
      muW: [hp.hiddenUnits, hp.latentDim],
      muB: [hp.latentDim],
      lvW: [hp.hiddenUnits, hp.latentDim],
      lvB: [hp.latentDim],
      decW: [hp.latentDim + cond, hp.hiddenUnits],
      decB: [hp.hiddenUnits],
      xmuW: [hp.hiddenUnits, F],
      xmuB: [F],
      xlvW: [hp.hiddenUnits, F],
      xlvB: [F],
      emb: [Math.max(1, partitions), Math.max(1, hp.embeddingDim)],
    };
    const v: Record<string, tf.Variable> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (shape.length === 2 && name !== 'emb') {
        const limit = Math.sqrt(6 / (shape[0] + shape[1]));
        for (let i = 0; i < size; i++) values[i] = (rng() * 2 - 1) * limit;
      } else if (name === 'emb') {
        for (let i = 0; i < size; i++) values[i] = normal(rng) * 0.1;
      }
      v[name] = tf.variable(tf.tensor(values, shape), true, `${name}_${hp.seed}_${Math.floor(rng() * 1e9)}`);
    }
    return new Vae(hp, partitions, v, resolved);
  }

  /**
   * Restores a model from serialised weights.
   * @param shape - input width; default: read from the weights (`xmuB`)
   */
  static fromWeights(hp: VaeHyperparameters, partitions: number, weights: VaeWeights, shape?: VaeShape): Vae {
    const resolved = resolveShape({ features: shape?.features ?? weights.xmuB?.shape[0], upwardOnly: shape?.upwardOnly });
    const v: Record<string, tf.Variable> = {};
    for (const [name, w] of Object.entries(weights)) v[name] = tf.variable(tf.tensor(Float32Array.from(w.values), w.shape), false);
    return new Vae(hp, partitions, v, resolved);
  }

  /** The weights as plain arrays (for model.json). */
  weights(): VaeWeights {
    const out: VaeWeights = {};
    for (const [name, t] of Object.entries(this.v)) out[name] = { shape: t.shape.slice(), values: Array.from(t.dataSync()) };
    return out;
  }

  /** Frees the tensors. */
  dispose(): void {
    for (const t of Object.values(this.v)) t.dispose();
  }

  private condition(time: tf.Tensor2D, partition: tf.Tensor1D): tf.Tensor2D {
    if (this.hp.embeddingDim === 0) return time;
    return tf.concat([time, tf.gather(this.v.emb, partition)], 1) as tf.Tensor2D;
  }

  private encode(x: tf.Tensor2D, cond: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const h = tf.relu(tf.add(tf.matMul(tf.concat([x, cond], 1), this.v.encW), this.v.encB));
    const mu = tf.add(tf.matMul(h, this.v.muW), this.v.muB) as tf.Tensor2D;
    const logVar = tf.clipByValue(tf.add(tf.matMul(h, this.v.lvW), this.v.lvB), -8, 4) as tf.Tensor2D;
    return { mu, logVar };
  }

  private decode(z: tf.Tensor2D, cond: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const h = tf.relu(tf.add(tf.matMul(tf.concat([z, cond], 1), this.v.decW), this.v.decB));
    const mu = tf.add(tf.matMul(h, this.v.xmuW), this.v.xmuB) as tf.Tensor2D;
    const logVar = boundLogVar(tf.add(tf.matMul(h, this.v.xlvW), this.v.xlvB)) as tf.Tensor2D;
    return { mu, logVar };
  }

  /**
   * Trains with Adam on the negative ELBO (Gaussian reconstruction NLL + KL, with the KL weight
   * warmed up over the first third of the epochs). Returns the mean loss of each epoch.
   * Calling it again continues from the current weights (with a fresh optimiser).
   * @param options - per-call overrides of epochs, steps, KL warm-up and seed
   */
  fit(data: VaeInputs, onEpoch?: (r: EpochReport) => void, options: VaeFitOptions = {}): number[] {
    const { hp } = this;
    const baseEpochs = options.epochs ?? hp.epochs;
    const minSteps = options.minSteps ?? hp.minSteps ?? 0;
    const seed = options.seed ?? hp.seed;
    const losses: number[] = [];
    if (baseEpochs === 0 || data.n === 0) return losses;
    const stepsPerEpoch = Math.ceil(data.n / hp.batchSize);
    const epochs = Math.min(baseEpochs * 10, Math.max(baseEpochs, Math.ceil(minSteps / stepsPerEpoch)));
    const rng = mulberry32(seed ^ 0x9e3779b9);
    const X = tf.tensor2d(data.x, [data.n, this.features]);
    const T = tf.tensor2d(data.time, [data.n, TIME_CONTEXT]);
    const P = tf.tensor1d(data.partition, 'int32');
    const optimizer = tf.train.adam(hp.learningRate);
    const order = Int32Array.from({ length: data.n }, (_, i) => i);
    let step = 0;
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        const started = Date.now();
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(rng() * (i + 1));
          const t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
        const beta = options.klWarmup === false ? 1 : Math.min(1, (epoch - 0.5) / Math.max(1, epochs / 3));
        let sum = 0;
        let batches = 0;
        for (let b = 0; b < data.n; b += hp.batchSize) {
          const idx = tf.tensor1d(order.subarray(b, Math.min(data.n, b + hp.batchSize)), 'int32');
          const cost: tf.Scalar | null = tf.tidy((): tf.Scalar => {
            const x = tf.gather(X, idx) as tf.Tensor2D;
            const cond = this.condition(tf.gather(T, idx) as tf.Tensor2D, tf.gather(P, idx) as tf.Tensor1D);
            return optimizer.minimize(() => {
              const q = this.encode(x, cond);
              const eps = tf.randomNormal(q.mu.shape, 0, 1, 'float32', seed + step);
              const z = tf.add(q.mu, tf.mul(tf.exp(tf.mul(q.logVar, 0.5)), eps)) as tf.Tensor2D;
              const p = this.decode(z, cond);
              const nll = tf.mul(tf.sum(tf.add(tf.add(p.logVar, LOG_2PI), tf.mul(tf.square(tf.sub(x, p.mu)), tf.exp(tf.neg(p.logVar)))), 1), 0.5);
              const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(q.mu), tf.exp(q.logVar)), tf.add(q.logVar, 1)), 1), 0.5);
              return tf.mean(tf.add(nll, tf.mul(kl, beta))) as tf.Scalar;
            }, true) as tf.Scalar;
          });
          idx.dispose();
          if (cost) {
            sum += cost.dataSync()[0];
            cost.dispose();
          }
          batches++;
          step++;
        }
        const loss = sum / Math.max(1, batches);
        losses.push(loss);
        onEpoch?.({ epoch, epochs, loss, seconds: (Date.now() - started) / 1000 });
      }
    } finally {
      X.dispose();
      T.dispose();
      P.dispose();
      optimizer.dispose();
    }
    return losses;
  }

  /**
   * Importance-weighted log-likelihood per row (Burda et al. 2016): z is drawn `scoreSamples`
   * times from q(z | x, c) with FIXED noise vectors (so a window's score never depends on the rest
   * of its batch), and log p(x | c) is estimated as the log-mean-exp of
   * log p(x | z, c) + log p(z) - log q(z | x, c). The prior term matters: without it (plain
   * reconstruction probability) the encoder can "explain" an anomaly with an unusual z. Per-feature
   * NLLs are the reconstruction terms (An & Cho 2015). For upward-only features (errors, latency,
   * novelty) a value below the reconstruction adds no surprise.
   */
  score(data: VaeInputs, chunk = 2048): VaeRowScores {
    const L = this.hp.scoreSamples;
    const F = this.features;
    const rng = mulberry32(this.hp.seed + 1013);
    const noise = new Float32Array(L * this.hp.latentDim);
    for (let i = 0; i < noise.length; i++) noise[i] = normal(rng);
    const E = tf.tensor2d(noise, [L, this.hp.latentDim]);
    const logLikelihood = new Float64Array(data.n);
    const featureNll = new Float64Array(data.n * F);
    const reconstruction = new Float64Array(data.n * F);
    try {
      for (let start = 0; start < data.n; start += chunk) {
        const b = Math.min(chunk, data.n - start);
        const [mu, lv, weight] = tf.tidy(() => {
          const x = tf.tensor2d(data.x.subarray(start * F, (start + b) * F), [b, F]);
          const cond = this.condition(
            tf.tensor2d(data.time.subarray(start * TIME_CONTEXT, (start + b) * TIME_CONTEXT), [b, TIME_CONTEXT]),
            tf.tensor1d(data.partition.subarray(start, start + b), 'int32'),
          );
          const q = this.encode(x, cond);
          // [L, b, Z] -> [L*b, Z]
          const z = tf.reshape(
            tf.add(tf.expandDims(q.mu, 0), tf.mul(tf.expandDims(tf.exp(tf.mul(q.logVar, 0.5)), 0), tf.expandDims(E, 1))),
            [L * b, this.hp.latentDim],
          ) as tf.Tensor2D;
          const condL = tf.tile(cond, [L, 1]) as tf.Tensor2D;
          const p = this.decode(z, condL);
          // Importance weight of each z sample: log p(z) - log q(z | x), summed over latent dims.
          const zl = tf.reshape(z, [L, b, this.hp.latentDim]);
          const logPrior = tf.mul(tf.sum(tf.add(tf.square(zl), LOG_2PI), 2), -0.5);
          const logPost = tf.mul(tf.sum(tf.add(tf.add(tf.square(tf.expandDims(E, 1)), LOG_2PI), tf.expandDims(q.logVar, 0)), 2), -0.5);
          return [p.mu, p.logVar, tf.sub(logPrior, logPost)];
        });
        const m = mu.dataSync();
        const v = lv.dataSync();
        const iw = weight.dataSync();
        mu.dispose();
        lv.dispose();
        weight.dispose();
        for (let r = 0; r < b; r++) {
          const row = start + r;
          let maxLl = -Infinity;
          const lls = new Float64Array(L);
          for (let l = 0; l < L; l++) {
            let ll = 0;
            const base = (l * b + r) * F;
            for (let f = 0; f < F; f++) {
              const x = data.x[row * F + f];
              const mean = m[base + f];
              const logVar = v[base + f];
              const resid = this.upwardOnly[f] && x < mean ? 0 : x - mean;
              const nll = 0.5 * (LOG_2PI + logVar + (resid * resid) / Math.exp(logVar));
              ll -= nll;
              featureNll[row * F + f] += nll / L;
              reconstruction[row * F + f] += mean / L;
            }
            lls[l] = ll + iw[l * b + r];
            if (lls[l] > maxLl) maxLl = lls[l];
          }
          let s = 0;
          for (let l = 0; l < L; l++) s += Math.exp(lls[l] - maxLl);
          logLikelihood[row] = maxLl + Math.log(s / L);
        }
      }
    } finally {
      E.dispose();
    }
    return { logLikelihood, featureNll, reconstruction };
  }

  /**
   * The decoder's mean at the prior's centre (z = 0) for each row's context: what the model
   * considers typical for that partition at that time. Row-major [n, FEATURE_COUNT], standardised.
   */
  typical(data: VaeInputs): Float32Array {
    if (data.n === 0) return new Float32Array(0);
    return tf.tidy(() => {
      const cond = this.condition(tf.tensor2d(data.time, [data.n, TIME_CONTEXT]), tf.tensor1d(data.partition, 'int32'));
      return this.decode(tf.zeros([data.n, this.hp.latentDim]) as tf.Tensor2D, cond).mu.dataSync() as Float32Array;
    });
  }

  /**
   * Draws `count` windows from the model for one time context and partition: z ~ N(0, I),
   * x ~ p(x | z, c). Returns standardised values, row-major [count, features].
   */
  sample(windowStartContext: Float32Array, partition: number, count: number, seed: number): Float32Array {
    return tf.tidy(() => {
      const time = tf.tile(tf.tensor2d(windowStartContext, [1, TIME_CONTEXT]), [count, 1]) as tf.Tensor2D;
      const cond = this.condition(time, tf.fill([count], partition, 'int32') as tf.Tensor1D);
      const z = tf.randomNormal([count, this.hp.latentDim], 0, 1, 'float32', seed) as tf.Tensor2D;
      const p = this.decode(z, cond);
      const eps = tf.randomNormal([count, this.features], 0, 1, 'float32', seed + 1);
      return tf.add(p.mu, tf.mul(tf.exp(tf.mul(p.logVar, 0.5)), eps)).dataSync() as Float32Array;
    });
  }
}
