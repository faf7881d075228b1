import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { AnomalyModel, ModelArtifactError } from '../../models/model';
import { DEFAULT_HYPERPARAMETERS, HyperparameterError, parseHyperparameters } from '../../models/vae';
import { synthWindows } from '../../functions/core/synth/windows';
import { FEATURE_NAMES } from '../../functions/core/types';
import type { ModelWindow } from '../../functions/core/model-contract';

const PARTITIONS = ['checkout#eu-west-1', 'search#us-east-1'];
const HP = { ...DEFAULT_HYPERPARAMETERS, epochs: 6, minSteps: 600, seed: 11 };

/** Error burst and latency shift: what any anomaly model must catch. */
function inject(w: ModelWindow, i: number): ModelWindow {
  const f = { ...w.features };
  if (i % 2 === 0) {
    f.errorCount = Math.max(8, f.count * 0.3);
    f.errorRate = f.count > 0 ? Math.min(1, f.errorCount / f.count) : 1;
    f.status5xxRate = f.errorRate * 0.8;
  } else {
    f.latencyP50 *= 3;
    f.latencyP95 *= 3;
    f.latencyP99 *= 3;
  }
  return { ...w, features: f };
}

describe('the VAE anomaly model', () => {
  let model: AnomalyModel;
  let losses: number[];
  const test = synthWindows({ partitions: PARTITIONS, days: 1, seed: 99, start: Date.UTC(2026, 10, 9) }).filter((w) => w.features.count >= 20);

  beforeAll(async () => {
    await initBackend();
    const train = synthWindows({ partitions: PARTITIONS, days: 3, seed: 5 });
    losses = [];
    model = AnomalyModel.train(train, { version: 'test-v1', hyperparameters: HP, onEpoch: (r) => losses.push(r.loss) });
  });
  afterAll(() => model?.dispose());

  it('training converges: the loss falls', () => {
    expect(losses.length).toBeGreaterThanOrEqual(HP.epochs);
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 5);
  });

  it('normal windows score low and injected windows score high', () => {
    const normal = model.scoreWindows(test);
    const bad = model.scoreWindows(test.map(inject));
    const raised = (xs: typeof normal) => xs.filter((s) => s.anomalyProbability >= 0.95).length / xs.length;
    expect(raised(normal)).toBeLessThan(0.01);
    expect(raised(bad)).toBeGreaterThan(0.9);
    const medianP = (xs: typeof normal) => xs.map((s) => s.pValue).sort((a, b) => a - b)[xs.length >> 1];
    expect(medianP(normal)).toBeGreaterThan(0.1);
    expect(medianP(bad)).toBeLessThan(1e-4);
  });

  it('says which features made a window unlikely', () => {
    const w = test[200];
    const [errorWindow, latencyWindow] = model.scoreWindows([inject(w, 0), inject(w, 1)]);
    expect(errorWindow.contributions[0].feature).toMatch(/^(errorCount|errorRate|status5xxRate)$/);
    expect(latencyWindow.contributions[0].feature).toMatch(/^latencyP(50|95|99)$/);
    const shares = latencyWindow.contributions.reduce((a, c) => a + c.share, 0);
    expect(shares).toBeGreaterThan(0.99);
    expect(shares).toBeLessThanOrEqual(1 + 1e-9);
    expect(latencyWindow.contributions[0].observed).toBeGreaterThan(latencyWindow.contributions[0].expected);
  });

  it('scores are deterministic and independent of the rest of the batch', () => {
    const alone = model.scoreWindows([test[10]])[0];
    const inBatch = model.scoreWindows(test.slice(0, 50))[10];
    expect(inBatch.logLikelihood).toBe(alone.logLikelihood);
  });

  it('an unknown partition gets no opinion rather than a guess', () => {
    const [s] = model.scoreWindows([{ ...test[0], partition: 'unknown#nowhere' }]);
    expect(s.knownPartition).toBe(false);
    expect(s.anomalyProbability).toBe(0);
  });

  it('round-trips through model.json and computes 24 hours of bands that follow the daily cycle', () => {
    const copy = AnomalyModel.load(JSON.parse(JSON.stringify(model.toArtifact())));
    expect(copy.scoreWindows([test[5]])[0].logLikelihood).toBeCloseTo(model.scoreWindows([test[5]])[0].logLikelihood, 4);
    const from = Date.UTC(2026, 10, 10, 0);
    const [t] = copy.thresholds([PARTITIONS[0]], from, 24, 2000);
    copy.dispose();
    expect(t.hours).toHaveLength(24);
    for (const f of FEATURE_NAMES) {
      const q = t.hours[0].quantiles[f];
      for (let i = 1; i < q.length; i++) expect(q[i]).toBeGreaterThanOrEqual(q[i - 1]);
    }
    const median = (h: number) => t.hours[h].quantiles.count[9];
    // synthWindows peaks mid-afternoon UTC and is quiet at night
    expect(median(15)).toBeGreaterThan(2 * median(3));
  });

  it('refuses a foreign artifact and bad hyperparameters with clear errors', () => {
    expect(() => AnomalyModel.load({ format: 'other' })).toThrow(ModelArtifactError);
    expect(() => parseHyperparameters({ epochs: 'ten' })).toThrow(HyperparameterError);
    expect(() => parseHyperparameters({ epochs: '-1' })).toThrow(/epochs/);
    expect(parseHyperparameters({ epochs: '3', sagemaker_program: 'x' }).epochs).toBe(3);
  });
});
