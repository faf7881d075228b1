/**
 * Synthetic logs: realistic services, seasonal traffic, injected incidents with ground-truth
 * labels, and CloudWatch-subscription-shaped Kinesis payloads.
 *
 * ```ts
 * import { generateEvents, toSubscriptionPayloads, labelsFor } from './functions/core/synth';
 * const incidents = [{ kind: 'error_burst_latency', service: 'payments', region: 'eu-west-1', start, durationMs: 10 * 60_000 }];
 * for (const p of toSubscriptionPayloads(generateEvents({ start, end, seed: 42, incidents }))) put(p.partitionKey, p.data);
 * const truth = labelsFor(incidents);
 * ```
 *
 * From a partition's learned profile instead of the hand-written services (optionally with VAE
 * decoder samples through a {@link WindowSampler}), with a realism check against real windows:
 *
 * ```ts
 * const events = generateFromProfile({ profile, start, end, seed: 42, incidents });
 * const report = compareWindows(realWindows, syntheticWindows);
 * console.log(formatRealismTable(report));
 * ```
 *
 * A scenario run picks each partition's source (`chooseSource`: its profile, else the services) and
 * generates them together (`generateSourcedEvents`); its report holds a `realismSection`.
 */
export {
  DEFAULT_SERVICES,
  REGION_UTC_OFFSET_HOURS,
  withOverrides,
  type FlowContext,
  type FlowEffect,
  type FlowSpec,
  type PeriodicSpec,
  type Rng,
  type SeasonalitySpec,
  type ServiceSpec,
  type StreamInfo,
  type SynthFormat,
} from './services';
export {
  DEFAULT_MAGNITUDE,
  INCIDENT_KINDS,
  effectAt,
  labelsFor,
  partitionOf,
  validateIncidents,
  type ActiveEffect,
  type IncidentKind,
  type IncidentLabel,
  type IncidentSpec,
} from './incidents';
export {
  DEMO_SCALE,
  expectedEventsPerMin,
  flowStats,
  generateEvents,
  localTime,
  meanEventsPerFlow,
  seasonalFactor,
  streamName,
  type FlowStats,
  type GenerateOptions,
} from './generator';
export { toSubscriptionPayloads, type PayloadOptions, type SubscriptionPayload } from './payloads';
export {
  FALLBACK_LAYOUT,
  INCIDENT_TEMPLATE,
  ProfileGenerationError,
  applyIncidentEffect,
  eventsForWindow,
  generateFromProfile,
  logGroupFor,
  planFromProfile,
  type GenerateFromProfileOptions,
  type PlanOptions,
  type ProfilePlan,
  type WindowSpec,
} from './from-profile';
export {
  LATENCY_QUANTILE_CORRELATION,
  WindowSamplerError,
  featureAt,
  sampleFeatures,
  sampleWindows,
  statFor,
  statsWindowSampler,
  type SampleWindowsOptions,
  type SampledWindow,
  type WindowSampler,
} from './window-sampler';
export {
  compareWindows,
  formatRealismTable,
  jsDivergence,
  kolmogorovQ,
  ksCriticalValue,
  ksPValue,
  ksStatistic,
  type FeatureRealism,
  type RealismOptions,
  type RealismReport,
  type RealismVerdict,
} from './realism';
export { mergeByTimestamp } from './merge';
export {
  SOURCE_OPTIONS,
  GenerationSourceError,
  chooseSource,
  generateSourcedEvents,
  unusableProfile,
  type GenerationSource,
  type PartitionGeneration,
  type PartitionSource,
  type SourceOption,
  type SourcedRunInput,
  type WindowLevel,
} from './generation-source';
export { cachedWindowSampler, hourStartsOf, type CachedSamplerOptions, type HourRows, type SamplerFallback } from './sample-cache';
export {
  NO_REAL_WINDOWS,
  REALISM_DEFAULTS,
  comparisonSpans,
  formatRealismSection,
  inSpans,
  partitionRealism,
  realismSection,
  realismSummary,
  type PartitionRealism,
  type PartitionRealismInput,
  type RealismBasis,
  type RealismSection,
  type RealismSectionOptions,
} from './realism-section';
