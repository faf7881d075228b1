/**
 * The realism section of a scenario run's report: for each partition, the run's generated events
 * (as windows, through the scorer's own path) against real windows of that partition at the same
 * times, with compareWindows (per-feature KS, template-mix JS divergence). Real windows are those of
 * the same hours of the week over the last N days; when there are too few of those (a short
 * history), the same hours of the day. Incident windows of the run are left out of the synthetic
 * side (incidents are meant to look wrong), and both sides keep minutes with at least one line
 * (history imports store no empty minutes). Pure.
 */
import type { WindowFeatures } from '../types';
import type { GenerationSource, PartitionGeneration, WindowLevel } from './generation-source';
import type { IncidentLabel } from './incidents';
import { compareWindows, formatRealismTable, type RealismOptions, type RealismReport, type RealismVerdict } from './realism';
import { matchesIncident } from './report';

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** Defaults of the realism check. */
export const REALISM_DEFAULTS = {
  /** Real windows are looked for over this many days before the run. */
  days: 28,
  /** Fewer same-hour-of-week windows than this: the same hours of the day are used instead. */
  minWindows: 20,
} as const;

/** Which real windows a partition's synthetic windows were compared with. */
export type RealismBasis = 'hour-of-week' | 'hour-of-day';

/** The text shown when a partition has no real windows. */
export const NO_REAL_WINDOWS = 'no real windows to compare with';

/**
 * Stretches of real time to compare `[start, end)` with: the same hours k weeks back
 * (`hour-of-week`) or k days back (`hour-of-day`), k = 1, 2, ... while within `days` days.
 */
export function comparisonSpans(stretch: { start: number; end: number }, basis: RealismBasis, days: number): Array<{ start: number; end: number }> {
  const step = basis === 'hour-of-week' ? WEEK : DAY;
  const out: Array<{ start: number; end: number }> = [];
  for (let k = 1; k * step <= days * DAY; k++) out.push({ start: stretch.start - k * step, end: stretch.end - k * step });
  return out;
}

/** True when a window starts inside one of the spans. */
export function inSpans(windowStart: number, spans: ReadonlyArray<{ start: number; end: number }>): boolean {
  return spans.some((s) => windowStart >= s.start && windowStart < s.end);
}

/** One partition's realism. */
export interface PartitionRealism {
  partition: string;
  /** How it was generated (null when the run did not record it). */
  source: GenerationSource | null;
  windows: WindowLevel | null;
  /** The real windows used (null when there were none). */
  basis: RealismBasis | null;
  realWindows: number;
  syntheticWindows: number;
  /** The comparison, or null with a note (e.g. {@link NO_REAL_WINDOWS}). */
  report: RealismReport | null;
  note: string | null;
}

/** The report's realism section. */
export interface RealismSection {
  /** Days of real windows looked at before the run. */
  days: number;
  partitions: PartitionRealism[];
}

/** Inputs of one partition. */
export interface PartitionRealismInput {
  partition: string;
  generation?: PartitionGeneration;
  /** The run's windows of the partition (every minute it generated lines). */
  synthetic: readonly WindowFeatures[];
  /** Real windows of the partition within {@link comparisonSpans} of either basis (any others are ignored). */
  real: readonly WindowFeatures[];
  /** The run's stretch. */
  stretch: { start: number; end: number };
  /** The run's ground truth: synthetic windows on an incident (or its grace period) are left out. */
  labels: readonly IncidentLabel[];
}

/** Options of {@link partitionRealism}. */
export interface RealismSectionOptions extends RealismOptions {
  days?: number;
  /** Same-hour-of-week windows needed before that basis is used (default {@link REALISM_DEFAULTS}.minWindows). */
  minBasisWindows?: number;
}

const busy = (w: WindowFeatures): boolean => w.features.count > 0;

/** Compares one partition's synthetic windows with its real ones. */
export function partitionRealism(input: PartitionRealismInput, options: RealismSectionOptions = {}): PartitionRealism {
  const days = options.days ?? REALISM_DEFAULTS.days;
  const min = options.minBasisWindows ?? REALISM_DEFAULTS.minWindows;
  const synthetic = input.synthetic.filter((w) => busy(w) && !input.labels.some((l) => matchesIncident(l, w)));
  const real = input.real.filter(busy);
  const week = real.filter((w) => inSpans(w.windowStart, comparisonSpans(input.stretch, 'hour-of-week', days)));
  const day = real.filter((w) => inSpans(w.windowStart, comparisonSpans(input.stretch, 'hour-of-day', days)));
  const [basis, chosen]: [RealismBasis | null, WindowFeatures[]] = week.length >= min ? ['hour-of-week', week] : day.length > 0 ? ['hour-of-day', day] : week.length > 0 ? ['hour-of-week', week] : [null, []];
  const base = {
    partition: input.partition,
    source: input.generation?.source ?? null,
    windows: input.generation?.windows ?? null,
    realWindows: chosen.length,
    syntheticWindows: synthetic.length,
  };
  if (chosen.length === 0) return { ...base, basis: null, report: null, note: NO_REAL_WINDOWS };
  if (synthetic.length === 0) return { ...base, basis, report: null, note: 'no synthetic windows outside the incidents' };
  return { ...base, basis, report: compareWindows(chosen, synthetic, options), note: null };
}

/** The section for every partition of a run. */
export function realismSection(inputs: readonly PartitionRealismInput[], options: RealismSectionOptions = {}): RealismSection {
  return { days: options.days ?? REALISM_DEFAULTS.days, partitions: inputs.map((i) => partitionRealism(i, options)) };
}

/** A partition's one-line summary: worst verdict, largest KS among features with data, template JS. */
export function realismSummary(p: PartitionRealism): { partition: string; verdict: RealismVerdict | 'none'; maxKs: number | null; js: number | null } {
  if (!p.report) return { partition: p.partition, verdict: 'none', maxKs: null, js: null };
  const ks = p.report.features.filter((f) => f.verdict !== 'insufficient').map((f) => f.ks);
  return { partition: p.partition, verdict: p.report.verdict, maxKs: ks.length ? Math.max(...ks) : null, js: p.report.templates.js };
}

function sourceText(p: PartitionRealism): string {
  if (p.source === null) return 'source unknown';
  return p.source === 'profile' ? `profile (${p.windows === 'vae' ? 'VAE decoder' : 'seasonal statistics'})` : 'service generator';
}

/**
 * The section as text: per partition a header (source, real windows and basis, verdict) and the
 * per-feature table, or the note (e.g. "no real windows to compare with").
 */
export function formatRealismSection(section: RealismSection): string {
  const lines = [`Realism: synthetic vs real windows of the same partition (same hours of the week, else of the day, over the last ${section.days} days)`];
  for (const p of section.partitions) {
    if (!p.report) {
      lines.push(`  ${p.partition} [${sourceText(p)}]: ${p.note ?? NO_REAL_WINDOWS}`);
      continue;
    }
    lines.push(`  ${p.partition} [${sourceText(p)}]: ${p.syntheticWindows} synthetic vs ${p.realWindows} real windows (${p.basis}): ${p.report.verdict}`);
    for (const l of formatRealismTable(p.report).split('\n')) lines.push(`    ${l}`);
  }
  return lines.join('\n');
}
