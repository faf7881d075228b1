/**
 * The window detectors, one per file, and their registry.
 */
import { errorSpike } from './errorSpike';
import type { ErrorSpikeOptions } from './errorSpike';
import { frequency } from './frequency';
import type { FrequencyOptions } from './frequency';
import { patternBreak } from './patternBreak';
import type { PatternBreakOptions } from './patternBreak';
import { rollingStats } from './rollingStats';
import type { RollingStatsDetectorOptions } from './rollingStats';
import { seasonalBand } from './seasonalBand';
import type { SeasonalBandOptions } from './seasonalBand';
import { templates } from './templates';
import type { TemplatesOptions } from './templates';

export * from './context';
export { seasonalBand, kindForFeature, featureZ, minimalDenominator } from './seasonalBand';
export type { SeasonalBandOptions } from './seasonalBand';
export { frequency } from './frequency';
export type { FrequencyOptions } from './frequency';
export { errorSpike } from './errorSpike';
export type { ErrorSpikeOptions } from './errorSpike';
export { rollingStats, updateRollingState } from './rollingStats';
export type { RollingStatsDetectorOptions } from './rollingStats';
export { templates, ERROR_LINE } from './templates';
export type { TemplatesOptions } from './templates';
export { patternBreak } from './patternBreak';
export type { PatternBreakOptions } from './patternBreak';

/** Options of every detector, by detector name. */
export interface DetectorOptions {
  seasonalBand?: SeasonalBandOptions;
  frequency?: FrequencyOptions;
  errorSpike?: ErrorSpikeOptions;
  rollingStats?: RollingStatsDetectorOptions;
  templates?: TemplatesOptions;
  patternBreak?: PatternBreakOptions;
}

/** Detector names. */
export type DetectorName = keyof DetectorOptions;

/** All detectors by name (run in this order). */
export const DETECTORS = {
  seasonalBand,
  frequency,
  errorSpike,
  rollingStats,
  templates,
  patternBreak,
} as const;

/** Detector names in run order. */
export const DETECTOR_NAMES = Object.keys(DETECTORS) as DetectorName[];
