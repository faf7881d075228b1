/**
 * The VAE decoder as the synthetic generator's window sampler: adapts {@link AnomalyModel.sampleWindows}
 * to the pure `WindowSampler` interface of functions/core/synth/window-sampler.ts, so core stays
 * free of tfjs.
 */
import type { AnomalyModel } from './model';
import type { WindowSampler } from '../functions/core/synth/window-sampler';
import { hourSampleSeed } from '../functions/core/model-contract';

/**
 * A window sampler drawing from the model's decoder, one call per hour, seeded by `seed` and the
 * hour (same seed, same hour -> same rows; the model server's sample request draws the same rows).
 * @param model - a loaded model (or anything with its `sampleWindows`)
 * @param seed - any integer
 * @param fallback - used for partitions the model does not know (e.g. `statsWindowSampler(profile, seed)`);
 *   without it such partitions get no rows and the generator reports a WindowSamplerError
 */
export function vaeWindowSampler(model: Pick<AnomalyModel, 'sampleWindows'>, seed: number, fallback?: WindowSampler): WindowSampler {
  return (partition, hourStart, n) => {
    const rows = model.sampleWindows(partition, hourStart, n, hourSampleSeed(seed, hourStart));
    return rows.length === 0 && fallback ? fallback(partition, hourStart, n) : rows;
  };
}
