/**
 * Decides where each partition of a scenario run is generated from, and gets what that needs: the
 * partition's CURRENT profile (ProfileStore) and, when the profile names a model, the run's hours
 * of window features drawn from the VAE decoder through the model endpoint, fetched before
 * generation so the synchronous window sampler reads them from a cache. A failed or refused
 * sample call never fails the run: the partition's windows come from the profile's seasonal
 * statistics, and the reason is recorded. Used by the AWS Generate step and by the embedded
 * runtime (`harbinger scenario`, the demo).
 */
import type { ModelSampler } from '../adapters/model-client';
import type { ProfileStore } from '../adapters/profile-store';
import { SAMPLE_LIMITS } from '../core/model-contract';
import {
  chooseSource,
  generateSourcedEvents,
  type PartitionGeneration,
  type PartitionSource,
  type SourceOption,
  type SourcedRunInput,
} from '../core/synth/generation-source';
import { cachedWindowSampler, hourStartsOf, type HourRows } from '../core/synth/sample-cache';
import { statsWindowSampler } from '../core/synth/window-sampler';
import type { LogEvent, Profile } from '../core/types';

/** What source resolution reads. Without `profiles` every partition comes from the service generator (unless `profile` was asked for: an error). */
export interface SourceDeps {
  /** CURRENT profiles (the state table). */
  profiles?: Pick<ProfileStore, 'getCurrent'>;
  /** The model endpoint's sampler (without it, profile partitions use their seasonal statistics). */
  model?: ModelSampler;
  /** Wall clock for the sampling latency. Default Date.now. */
  clock?: () => number;
}

/** A run to generate: its stretch, seed, option and partitions, plus what the service generator needs. */
export interface SourcedRun extends SourcedRunInput {
  partitions: readonly string[];
  source: SourceOption;
  /**
   * Window features of profile partitions: `stats` (default: the seasonal statistics, measured closer
   * to real windows than the VAE's samples, see the README) or `vae` (the decoder, when the profile
   * names a model with an endpoint).
   */
  windows?: WindowsOption;
}

/** Where a profile partition's window features come from. */
export type WindowsOption = 'stats' | 'vae';
/** Every {@link WindowsOption}. */
export const WINDOWS_OPTIONS: readonly WindowsOption[] = ['stats', 'vae'];

/** Each partition's source, ready to generate, and the record of it for the manifest and report. */
export interface ResolvedSources {
  partitions: PartitionSource[];
  generation: PartitionGeneration[];
}

const MINUTES_PER_HOUR = 60;

/** Reads a partition's CURRENT profile; an unreadable store is reported as the reason, not thrown. */
async function currentProfile(deps: SourceDeps, partition: string): Promise<{ profile: Profile | null; problem?: string }> {
  if (!deps.profiles) return { profile: null, problem: 'no profile store configured' };
  try {
    return { profile: await deps.profiles.getCurrent(partition) };
  } catch (err) {
    return { profile: null, problem: `profile store unreadable (${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)})` };
  }
}

/**
 * Fetches the run's hours of VAE samples for one profile partition (calls of at most
 * SAMPLE_LIMITS.maxHours hours). Never throws: a failure is the returned reason.
 */
async function prefetchSamples(
  model: ModelSampler,
  profile: Profile,
  run: SourcedRun,
  clock: () => number,
): Promise<{ hours: Map<number, HourRows>; modelVersion: string | null; calls: number; ms: number; problem?: string }> {
  const endpointName = profile.model!.endpoint!;
  const all = hourStartsOf(run.start, run.end);
  const hours = new Map<number, HourRows>();
  let calls = 0;
  let ms = 0;
  let modelVersion: string | null = null;
  for (let i = 0; i < all.length; i += SAMPLE_LIMITS.maxHours) {
    const hourStarts = all.slice(i, i + SAMPLE_LIMITS.maxHours);
    const t0 = clock();
    try {
      calls++;
      const res = await model.sample({ partition: profile.partition, hourStarts, n: MINUTES_PER_HOUR, seed: run.seed }, { endpointName });
      ms += clock() - t0;
      modelVersion = res.modelVersion;
      if (!res.knownPartition) return { hours, modelVersion, calls, ms, problem: `model ${res.modelVersion} was not trained on ${profile.partition}` };
      for (const h of res.hours) hours.set(h.hourStart, h.windows);
    } catch (err) {
      ms += clock() - t0;
      return { hours, modelVersion, calls, ms, problem: `VAE sampling through endpoint "${endpointName}" failed (${(err as Error)?.message ?? String(err)})` };
    }
  }
  return { hours, modelVersion, calls, ms };
}

/**
 * Decides every partition's source and prefetches VAE samples where the profile names a model.
 * @throws GenerationSourceError when `source` is `profile` and a partition has no usable profile
 */
export async function resolveSources(run: SourcedRun, deps: SourceDeps): Promise<ResolvedSources> {
  const clock = deps.clock ?? Date.now;
  const partitions: PartitionSource[] = [];
  const generation: PartitionGeneration[] = [];
  for (const partition of run.partitions) {
    const { profile, problem } = run.source === 'services' ? { profile: null } : await currentProfile(deps, partition);
    const choice = chooseSource(run.source, partition, profile);
    if (choice.source === 'services' || !profile) {
      partitions.push({ partition, source: 'services' });
      generation.push({ partition, source: 'services', windows: null, profileVersion: null, modelVersion: null, reason: problem ? `${problem}: the service generator` : choice.reason });
      continue;
    }
    const stats = statsWindowSampler(profile, run.seed);
    const record: PartitionGeneration = { partition, source: 'profile', windows: 'stats', profileVersion: profile.version, modelVersion: null, reason: '' };
    let sampler = stats;
    if ((run.windows ?? 'stats') === 'stats') record.reason = `${choice.reason}; window features from its seasonal statistics${profile.model ? ' (windows "vae" samples its model instead)' : ''}`;
    else if (!profile.model?.endpoint) record.reason = `${choice.reason}; ${profile.model ? `model ${profile.model.version} has no endpoint` : 'no model'}: window features from its seasonal statistics`;
    else if (!deps.model) record.reason = `${choice.reason}; it names model ${profile.model.version} but no model client is configured: seasonal statistics`;
    else {
      const fetched = await prefetchSamples(deps.model, profile, run, clock);
      if (fetched.problem) {
        record.reason = `${choice.reason}; ${fetched.problem}: window features from its seasonal statistics`;
        record.sampling = { hours: 0, fallbackHours: 0, calls: fetched.calls, ms: fetched.ms };
      } else {
        const sampling = { hours: fetched.hours.size, fallbackHours: 0, calls: fetched.calls, ms: fetched.ms };
        record.windows = 'vae';
        record.modelVersion = fetched.modelVersion ?? profile.model.version;
        record.reason = `${choice.reason}; window features from the VAE decoder of ${record.modelVersion} (endpoint ${profile.model.endpoint})`;
        record.sampling = sampling;
        sampler = cachedWindowSampler({ hours: fetched.hours, fallback: stats, onFallback: () => sampling.fallbackHours++ });
      }
    }
    partitions.push({ partition, source: 'profile', profile, sampler });
    generation.push(record);
  }
  return { partitions, generation };
}

/**
 * A run's events from each partition's source (sorted by timestamp), and how each partition was
 * generated. Holds the events in memory (a run is at most 12 h).
 * @throws GenerationSourceError when `source` is `profile` and a partition has no usable profile
 */
export async function generateSourcedRun(run: SourcedRun, deps: SourceDeps): Promise<{ events: LogEvent[]; generation: PartitionGeneration[] }> {
  const resolved = await resolveSources(run, deps);
  const events = [...generateSourcedEvents(run, resolved.partitions)];
  return { events, generation: resolved.generation };
}
