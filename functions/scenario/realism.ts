/**
 * The realism check of a scenario run: the run's events turned into windows through the scorer's
 * own pure path (functions/core/offline.ts eventWindows, each partition's CURRENT profile as its
 * dictionary), compared with the partition's real windows from the dataset bucket at the same hours
 * of the week (else of the day) over the last N days (functions/core/synth/realism-section.ts).
 * Used by the AWS Report step and by `harbinger scenario`.
 */
import type { ObjectStore } from '../adapters/object-store';
import type { ProfileStore } from '../adapters/profile-store';
import { eventWindows } from '../core/offline';
import type { PartitionRule } from '../core/partition';
import { contextFromProfile } from '../core/pipeline';
import type { PartitionGeneration } from '../core/synth/generation-source';
import type { IncidentLabel } from '../core/synth/incidents';
import { comparisonSpans, realismSection, REALISM_DEFAULTS, type RealismSection, type RealismSectionOptions } from '../core/synth/realism-section';
import type { LogEvent, Profile, WindowFeatures } from '../core/types';
import { loadWindowSpans } from '../profile-builder/builder';

/** What the realism check reads. */
export interface RealismDeps {
  /** Real window features (dataset bucket); without it every partition has "no real windows to compare with". */
  datasets?: Pick<ObjectStore, 'list' | 'getJson' | 'getJsonLines'>;
  /** CURRENT profiles: their template dictionaries template the synthetic lines as the scorer does. */
  profiles?: Pick<ProfileStore, 'getCurrent'>;
  /** Partition rules and default region the scorer uses (the log group -> partition mapping). */
  rules: PartitionRule[];
  defaultRegion: string;
  /** Days of real windows to look at (default {@link REALISM_DEFAULTS}.days) and compareWindows options. */
  options?: RealismSectionOptions;
}

/** What is compared: the run's events and where they belong. */
export interface RealismRun {
  events: Iterable<LogEvent>;
  partitions: readonly string[];
  stretch: { start: number; end: number };
  labels: readonly IncidentLabel[];
  generation?: readonly PartitionGeneration[];
}

/** The realism section of a run (every partition, with a note where there is nothing to compare). */
export async function runRealism(run: RealismRun, deps: RealismDeps): Promise<RealismSection> {
  const days = deps.options?.days ?? REALISM_DEFAULTS.days;
  const profiles = new Map<string, Profile | null>();
  for (const p of run.partitions) profiles.set(p, deps.profiles ? await deps.profiles.getCurrent(p).catch(() => null) : null);
  const seen = eventWindows(run.events, (p) => contextFromProfile(profiles.get(p) ?? null), { rules: deps.rules, defaultRegion: deps.defaultRegion });
  const min = deps.options?.minBasisWindows ?? REALISM_DEFAULTS.minWindows;
  const inputs = [];
  for (const partition of run.partitions) {
    let real: WindowFeatures[] = [];
    if (deps.datasets) {
      // Same hours of the week first; the same hours of every day only when those are too few.
      real = await loadWindowSpans(deps.datasets, partition, comparisonSpans(run.stretch, 'hour-of-week', days));
      if (real.filter((w) => w.features.count > 0).length < min) real = await loadWindowSpans(deps.datasets, partition, comparisonSpans(run.stretch, 'hour-of-day', days));
    }
    inputs.push({
      partition,
      generation: run.generation?.find((g) => g.partition === partition),
      synthetic: seen.byPartition.get(partition) ?? [],
      real,
      stretch: run.stretch,
      labels: run.labels,
    });
  }
  return realismSection(inputs, { ...deps.options, days });
}
