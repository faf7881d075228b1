/**
 * Where a scenario run's events come from, per partition: the partition's learned profile
 * (generateFromProfile, window features from the VAE decoder or the profile's seasonal statistics)
 * or the hand-written service generator. {@link chooseSource} decides from the run's `source`
 * option and the partition's CURRENT profile; {@link generateSourcedEvents} generates every
 * partition from its source and merges them by timestamp. Pure: profiles and samplers are passed in.
 */
import type { LogEvent, Profile } from '../types';
import { generateEvents } from './generator';
import { generateFromProfile } from './from-profile';
import { partitionOf, type IncidentSpec } from './incidents';
import { mergeByTimestamp } from './merge';
import { withOverrides, type ServiceSpec } from './services';
import type { WindowSampler } from './window-sampler';

/** The `source` option of a run: `auto` uses the profile when the partition has a usable one. */
export const SOURCE_OPTIONS = ['auto', 'profile', 'services'] as const;

/** One `source` option. */
export type SourceOption = (typeof SOURCE_OPTIONS)[number];

/** Where one partition's events came from. */
export type GenerationSource = 'profile' | 'services';

/** Where a profile-generated partition's window features came from. */
export type WindowLevel = 'vae' | 'stats';

/** How one partition of a run was generated (stored in the manifest and the report). */
export interface PartitionGeneration {
  partition: string;
  source: GenerationSource;
  /** The profile path's window level (null for the service generator). */
  windows: WindowLevel | null;
  /** The CURRENT profile version used (null for the service generator). */
  profileVersion: number | null;
  /** The model whose decoder drew the windows (null unless `windows` is `vae`). */
  modelVersion: string | null;
  /** Why this source and window level (e.g. why the VAE was not used). */
  reason: string;
  /** VAE sampling through the endpoint: hours served, hours that fell back, calls and their total time. */
  sampling?: { hours: number; fallbackHours: number; calls: number; ms: number };
}

/** The run asked for `source: 'profile'` but a partition has no usable profile. */
export class GenerationSourceError extends Error {
  override readonly name = 'GenerationSourceError';
}

/** Why a profile cannot be generated from, or null when it can. */
export function unusableProfile(profile: Profile | null): string | null {
  if (!profile) return 'no CURRENT profile';
  if (profile.templates.length === 0) return `profile v${profile.version} has no templates`;
  return null;
}

/**
 * The source of one partition.
 * @throws GenerationSourceError when `option` is `profile` and the partition has no usable profile
 */
export function chooseSource(option: SourceOption, partition: string, profile: Profile | null): { source: GenerationSource; reason: string } {
  if (option === 'services') return { source: 'services', reason: 'source "services" asked for' };
  const why = unusableProfile(profile);
  if (why === null) return { source: 'profile', reason: `CURRENT profile v${profile!.version}` };
  if (option === 'profile') {
    throw new GenerationSourceError(
      `${partition}: ${why}, so "source": "profile" cannot generate it. Build its profile first (profile builder, or harbinger demo locally), or use "source": "auto" (the service generator for partitions without one).`,
    );
  }
  return { source: 'services', reason: `${why}: the service generator` };
}

/** What a run generates (a ScenarioRunPlan has every field). */
export interface SourcedRunInput {
  start: number;
  end: number;
  seed: number;
  /** Traffic multiplier of the service generator (profiles generate the volume they learned). */
  scale: number;
  incidents: readonly IncidentSpec[];
  /** The service generator's services (those of other partitions are cut away). */
  services: readonly ServiceSpec[];
}

/** One partition's decided source; a profile partition carries its profile and window sampler. */
export type PartitionSource = { partition: string; source: 'services' } | { partition: string; source: 'profile'; profile: Profile; sampler?: WindowSampler };

/**
 * Every partition's events from its source, merged by timestamp (sorted). The service generator
 * runs once for all its partitions (cut down to them); each profile partition runs
 * generateFromProfile with the run's seed and incidents.
 */
export function* generateSourcedEvents(input: SourcedRunInput, partitions: readonly PartitionSource[]): Generator<LogEvent> {
  const byServices = partitions.filter((p) => p.source === 'services').map((p) => p.partition);
  const sources: Array<Iterable<LogEvent>> = [];
  if (byServices.length > 0) {
    const services = input.services
      .map((s) => withOverrides(s, { regions: s.regions.filter((r) => byServices.includes(partitionOf(s.name, r))) }))
      .filter((s) => s.regions.length > 0);
    if (services.length > 0) sources.push(generateEvents({ services, start: input.start, end: input.end, seed: input.seed, scale: input.scale, incidents: [...input.incidents] }));
  }
  for (const p of partitions) {
    if (p.source !== 'profile') continue;
    sources.push(generateFromProfile({ profile: p.profile, start: input.start, end: input.end, seed: input.seed, windowSampler: p.sampler, incidents: [...input.incidents] }));
  }
  yield* mergeByTimestamp(sources);
}
