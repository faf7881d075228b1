/**
 * SageMaker training entry point (bring-your-own container, `train`): reads the `train` channel
 * (and the optional labelled `holdout` channel) and hyperparameters.json, trains the VAE, writes
 * model/model.json, and prints the metric lines SageMaker's MetricDefinitions pick up. On error it
 * writes output/failure (SageMaker's FailureReason) and exits non-zero.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { holdoutMetrics, metricLines, type HoldoutMetrics } from '../functions/core/evaluation';
import { initBackend } from './backend';
import { readChannel } from './dataset';
import { AnomalyModel } from './model';
import { mlPaths, type MlPaths } from './paths';
import { parseHyperparameters } from './vae';

/** Outcome of {@link runTraining}. */
export interface TrainingOutcome {
  version: string;
  windows: number;
  skipped: number;
  seconds: number;
  finalLoss: number | undefined;
  holdout?: HoldoutMetrics;
}

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  paths?: MlPaths;
  /** Model version (default: TRAINING_JOB_NAME as SageMaker sets it, else a timestamp). */
  version?: string;
  /** Where progress and metric lines go (default console.log). */
  log?: (line: string) => void;
}

/**
 * Trains and writes the model following the SageMaker training contract.
 * @throws Error when the train channel is missing or holds too few windows
 */
export async function runTraining(options: RunTrainingOptions = {}): Promise<TrainingOutcome> {
  const paths = options.paths ?? mlPaths();
  const log = options.log ?? ((l: string) => console.log(l));
  const started = Date.now();
  const backend = await initBackend();
  const raw = existsSync(paths.hyperparameters) ? (JSON.parse(await readFile(paths.hyperparameters, 'utf8')) as Record<string, unknown>) : {};
  const hp = parseHyperparameters(raw);
  const trainDir = paths.channel('train');
  if (!existsSync(trainDir)) throw new Error(`Training channel not found at ${trainDir}: configure an input channel named "train".`);
  const train = await readChannel(trainDir);
  log(`read ${train.windows.length} windows from ${train.files} files (${train.skipped} lines skipped)${train.skipReasons.length ? `: ${train.skipReasons.join('; ')}` : ''}`);
  const normal = train.windows.filter((w) => w.label !== 1);
  const version = options.version ?? process.env.TRAINING_JOB_NAME ?? `vae-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  log(`training ${version} on ${backend}: ${normal.length} windows, ${new Set(normal.map((w) => w.partition)).size} partitions, ${hp.epochs} epochs`);
  const model = AnomalyModel.train(normal, {
    version,
    hyperparameters: hp,
    onEpoch: (r) => log(`epoch ${r.epoch}/${r.epochs} train_loss=${r.loss.toFixed(4)} (${r.seconds.toFixed(1)} s)`),
  });
  let holdout: HoldoutMetrics | undefined;
  const holdoutDir = paths.channel('holdout');
  if (existsSync(holdoutDir)) {
    const h = await readChannel(holdoutDir);
    const scores = model.scoreWindows(h.windows);
    holdout = holdoutMetrics(
      scores.map((s) => s.anomalyProbability),
      h.windows.map((w) => (w.label === 1 ? 1 : 0)),
    );
    log(`holdout: ${h.windows.length} windows, ${h.windows.filter((w) => w.label === 1).length} injected anomalies`);
    for (const line of metricLines(holdout)) log(line);
  }
  await mkdir(paths.model, { recursive: true });
  await writeFile(paths.modelFile, JSON.stringify(model.toArtifact()));
  model.dispose();
  const losses = model.artifact.training.losses;
  const seconds = (Date.now() - started) / 1000;
  log(`wrote ${paths.modelFile} in ${seconds.toFixed(1)} s`);
  return { version, windows: normal.length, skipped: train.skipped, seconds, finalLoss: losses.at(-1), holdout };
}

/** Writes the failure file SageMaker reads as FailureReason. */
export async function writeFailure(paths: MlPaths, error: unknown): Promise<void> {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await mkdir(dirname(paths.failure), { recursive: true });
  await writeFile(paths.failure, message.slice(0, 1024));
}
