/**
 * Baseline profiles: robust per-feature statistics (global and per hour-of-week slot), the learned
 * template dictionary and ordered patterns of one partition. Building, lookup and validation.
 */
import { z } from 'zod';
import { mad as madOf, quantile } from './stats';
import { attachShapes, SHAPE_MAX_SAMPLES } from './template-shapes';
import { FEATURE_NAMES, LEVELS, PROFILE_SCHEMA_VERSION, SLOT_QUANTILES } from './types';
import type { FeatureName, Level, OrderedPattern, Profile, ProfileTemplate, RobustStat, WindowFeatures } from './types';

/** Number of hour-of-week slots. */
export const SEASONAL_SLOTS = 168;
/** Profiles are kept below this serialised size (DynamoDB's item limit is 400 KB). */
export const MAX_PROFILE_BYTES = 350_000;
/** Default alerting level. */
export const DEFAULT_SENSITIVITY = 0.95;

const MINUTE_MS = 60_000;

/** Hour-of-week slot of a timestamp: `dayOfWeek * 24 + hour` in UTC (Sunday = 0). */
export function slotOf(ts: number): number {
  const d = new Date(ts);
  return d.getUTCDay() * 24 + d.getUTCHours();
}

/**
 * Whether a feature carries information in a window. Rates mean nothing in an empty window and the
 * histogram quantiles are 0 when the window had no such values, so those windows are left out of
 * the statistics (and detectors skip them too).
 */
export function featureObserved(feature: FeatureName, f: Record<FeatureName, number>): boolean {
  switch (feature) {
    case 'errorRate':
    case 'warnRate':
    case 'status5xxRate':
    case 'status4xxRate':
      return f.count > 0;
    case 'latencyP50':
    case 'latencyP95':
    case 'latencyP99':
    case 'bytesP95':
      return f[feature] > 0;
    default:
      return true;
  }
}

/** Rounds to 5 significant digits (keeps the profile small; far below the stats' own noise). */
function round(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return 0;
  return Number(x.toPrecision(5));
}

/** Robust statistics of a sample (all 0 when empty). */
export function robustStat(values: readonly number[]): RobustStat {
  const sorted = [...values].sort((a, b) => a - b);
  const med = quantile(sorted, 0.5);
  let mean = 0;
  for (const v of sorted) mean += v;
  mean = sorted.length ? mean / sorted.length : 0;
  let variance = 0;
  for (const v of sorted) variance += (v - mean) * (v - mean);
  variance = sorted.length > 1 ? variance / (sorted.length - 1) : 0;
  return {
    median: round(med),
    mad: round(madOf(sorted, med)),
    p05: round(quantile(sorted, 0.05)),
    p95: round(quantile(sorted, 0.95)),
    n: sorted.length,
    mean: round(mean),
    variance: round(variance),
  };
}

/** Options of {@link buildProfile}. */
export interface BuildProfileInput {
  partition: string;
  /** Closed windows of the training range (any order). */
  windows: WindowFeatures[];
  /** Template dictionary with event counts over the training range. */
  templates: Array<{ id: string; template: string; count: number; level: Level }>;
  patterns?: OrderedPattern[];
  version: number;
  builtAt: number;
  /** Alerting level, default 0.95. */
  sensitivity?: number;
  /**
   * Treat minutes missing between the first and the last training window as zero-volume windows
   * (default true). The pipeline only stores windows in which something was logged, so for quiet
   * partitions the missing minutes are real silence; leaving them out would bias volume upward.
   * Set false when gaps are known to be data loss (e.g. the pipeline was down).
   */
  fillGaps?: boolean;
  /**
   * Stretches (`[start, end)`, epoch ms) whose windows were left out on purpose (e.g. replayed
   * scenario runs, core/scenario-data): their missing minutes are not silence and are not filled.
   */
  leftOut?: ReadonlyArray<{ start: number; end: number }>;
  /** Minimum windows for a seasonal slot to be used (default 5); fewer gives `null`. */
  minSlotWindows?: number;
  /** Serialised size limit (default {@link MAX_PROFILE_BYTES}); templates are truncated to fit. */
  maxBytes?: number;
  /** Template text longer than this is cut (default 1,000 characters). */
  maxTemplateChars?: number;
  /**
   * Learn each template's line shape (parameter values, layout, level mix) from the windows'
   * sample lines, for the synthetic generator (default true). Most frequent templates first, only
   * while the profile stays under `maxBytes`: the dictionary always has priority.
   */
  learnShapes?: boolean;
  /** Sample lines learned from per template (default {@link SHAPE_MAX_SAMPLES}). */
  shapeSamples?: number;
}

/** Serialised (JSON, UTF-8) size of a profile in bytes. */
export function profileSizeBytes(p: Profile): number {
  return new TextEncoder().encode(JSON.stringify(p)).length;
}

function zeroFeatures(): Record<FeatureName, number> {
  const f = {} as Record<FeatureName, number>;
  for (const name of FEATURE_NAMES) f[name] = 0;
  return f;
}

/**
 * Builds a profile from training windows.
 * - `global`: robust statistics per feature over all windows where the feature is observed;
 * - `seasonal`: the same per hour-of-week slot (UTC), `null` with fewer than `minSlotWindows`;
 * - `templates`: share of training events, sorted by share (desc), truncated so the serialised
 *   profile stays below `maxBytes`;
 * - template shapes (`slots`, `layout`, `levels`) learned from the windows' sample lines in the
 *   room left below `maxBytes` (see template-shapes.ts), unless `learnShapes` is false.
 */
export function buildProfile(input: BuildProfileInput): Profile {
  const minSlot = input.minSlotWindows ?? 5;
  const maxBytes = input.maxBytes ?? MAX_PROFILE_BYTES;
  const maxChars = input.maxTemplateChars ?? 1000;

  // Collect feature vectors by window start (dedupe: last one wins).
  const byStart = new Map<number, Record<FeatureName, number>>();
  for (const w of input.windows) byStart.set(w.windowStart, w.features);
  if ((input.fillGaps ?? true) && byStart.size > 0) {
    const starts = [...byStart.keys()];
    const first = Math.min(...starts);
    const last = Math.max(...starts);
    const leftOut = input.leftOut ?? [];
    for (let t = first; t <= last; t += MINUTE_MS) if (!byStart.has(t) && !leftOut.some((s) => t >= s.start && t < s.end)) byStart.set(t, zeroFeatures());
  }

  const global = {} as Record<FeatureName, RobustStat>;
  const seasonal = {} as Record<FeatureName, Array<RobustStat | null>>;
  for (const name of FEATURE_NAMES) {
    const all: number[] = [];
    const slots: number[][] = Array.from({ length: SEASONAL_SLOTS }, () => []);
    for (const [start, f] of byStart) {
      if (!featureObserved(name, f)) continue;
      const v = f[name];
      if (!Number.isFinite(v)) continue;
      all.push(v);
      slots[slotOf(start)].push(v);
    }
    global[name] = robustStat(all);
    seasonal[name] = slots.map((vals) => (vals.length >= minSlot ? robustStat(vals) : null));
  }

  const profile: Profile = {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    partition: input.partition,
    version: input.version,
    builtAt: input.builtAt,
    trainingWindows: byStart.size,
    sensitivity: input.sensitivity ?? DEFAULT_SENSITIVITY,
    global,
    seasonal,
    templates: [],
    patterns: input.patterns ?? [],
  };

  const total = input.templates.reduce((s, t) => s + Math.max(0, t.count), 0);
  const sorted: ProfileTemplate[] = input.templates
    .filter((t) => t.count > 0)
    .map((t) => ({
      id: t.id,
      template: t.template.length > maxChars ? t.template.slice(0, maxChars) : t.template,
      share: total > 0 ? Number((t.count / total).toPrecision(6)) : 0,
      level: t.level,
    }))
    .sort((a, b) => b.share - a.share || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  let size = profileSizeBytes(profile);
  const enc = new TextEncoder();
  for (const t of sorted) {
    const add = enc.encode(JSON.stringify(t)).length + 1; // + comma
    if (size + add >= maxBytes) break;
    profile.templates.push(t);
    size += add;
  }
  if (input.learnShapes ?? true) attachShapes(profile, input.windows, { maxBytes, maxSamples: input.shapeSamples ?? SHAPE_MAX_SAMPLES });
  return profile;
}

function blend(stats: RobustStat[]): RobustStat {
  const n = stats.reduce((s, x) => s + x.n, 0);
  const w = (pick: (x: RobustStat) => number): number =>
    n > 0 ? stats.reduce((s, x) => s + pick(x) * x.n, 0) / n : stats.reduce((s, x) => s + pick(x), 0) / stats.length;
  return { median: w((x) => x.median), mad: w((x) => x.mad), p05: w((x) => x.p05), p95: w((x) => x.p95), n };
}

/**
 * Expected statistics of a feature at a time: the hour-of-week slot when it has enough data,
 * otherwise the n-weighted blend of the neighbouring hours of the same day (±1 h), otherwise the
 * global statistic.
 */
export function expectedFor(profile: Profile, feature: FeatureName, ts: number): RobustStat {
  const slots = profile.seasonal[feature];
  const s = slotOf(ts);
  const own = slots?.[s];
  if (own) return own;
  const hour = s % 24;
  const neighbours: RobustStat[] = [];
  if (hour > 0 && slots?.[s - 1]) neighbours.push(slots[s - 1] as RobustStat);
  if (hour < 23 && slots?.[s + 1]) neighbours.push(slots[s + 1] as RobustStat);
  if (neighbours.length > 0) return blend(neighbours);
  return profile.global[feature];
}

const robustStatSchema = z.object({
  median: z.number(),
  mad: z.number().nonnegative(),
  p05: z.number(),
  p95: z.number(),
  n: z.number().int().nonnegative(),
  mean: z.number().optional(),
  variance: z.number().nonnegative().optional(),
});

const slotStatSchema = z.object({
  kind: z.enum(['cat', 'num', 'id', 'time']),
  n: z.number().int().nonnegative(),
  values: z.array(z.string()).max(8).optional(),
  shares: z.array(z.number().min(0).max(1)).max(8).optional(),
  quantiles: z.array(z.number()).length(SLOT_QUANTILES.length).optional(),
  decimals: z.number().int().min(0).max(20).optional(),
  suffix: z.string().optional(),
  style: z.string().optional(),
  role: z.enum(['latency', 'status', 'bytes']).optional(),
  unit: z.number().positive().optional(),
});
const levelCaseSchema = z.enum(['upper', 'lower', 'title', 'number']);
const spacingSchema = z.array(z.tuple([z.number().int().nonnegative(), z.string()])).optional();
const lineLayoutSchema = z.union([
  z.object({
    format: z.enum(['text', 'access']),
    parts: z.array(
      z.union([
        z.string(),
        z.object({ ts: z.string() }),
        z.object({ level: levelCaseSchema }),
        z.object({ slot: slotStatSchema }),
        z.object({ body: z.number().int().min(-1) }),
      ]),
    ),
    spacing: spacingSchema,
  }),
  z.object({
    format: z.enum(['json', 'kv']),
    fields: z.array(
      z.object({
        key: z.string(),
        nested: z.boolean().optional(),
        role: z.enum(['ts', 'level', 'msg', 'value']),
        style: z.string().optional(),
        level: levelCaseSchema.optional(),
        slot: slotStatSchema.optional(),
        type: z.enum(['string', 'number', 'boolean', 'json', 'null']).optional(),
      }),
    ),
    spacing: spacingSchema,
    colon: z.string().optional(),
    comma: z.string().optional(),
  }),
]);

const featureRecord = <T extends z.ZodType>(schema: T) =>
  z.object(Object.fromEntries(FEATURE_NAMES.map((f) => [f, schema])) as Record<FeatureName, T>);

/** zod schema of a stored {@link Profile} (written once; the adapters validate with it). */
export const profileSchema = z.object({
  schemaVersion: z.literal(PROFILE_SCHEMA_VERSION),
  partition: z.string().min(1),
  version: z.number().int().nonnegative(),
  builtAt: z.number(),
  trainingWindows: z.number().int().nonnegative(),
  sensitivity: z.number().gt(0).max(1),
  global: featureRecord(robustStatSchema),
  seasonal: featureRecord(z.array(robustStatSchema.nullable()).length(SEASONAL_SLOTS)),
  templates: z.array(
    z.object({
      id: z.string().min(1),
      template: z.string(),
      share: z.number().min(0).max(1),
      level: z.enum(LEVELS as unknown as [Level, ...Level[]]),
      slots: z.array(slotStatSchema).optional(),
      layout: lineLayoutSchema.optional(),
      levels: z.partialRecord(z.enum(LEVELS as unknown as [Level, ...Level[]]), z.number().min(0).max(1)).optional(),
    }),
  ),
  patterns: z.array(
    z.object({
      id: z.string().min(1),
      a: z.string().min(1),
      b: z.string().min(1),
      maxGapMs: z.number().positive(),
      support: z.number().min(0).max(1),
    }),
  ),
  model: z.object({ version: z.string().min(1), endpoint: z.string().optional(), thresholdsKey: z.string().optional() }).optional(),
});

/**
 * Validates an item read from storage as a {@link Profile}.
 * @throws Error naming the partition (when readable) and the first offending paths
 */
export function validateProfile(x: unknown): Profile {
  const r = profileSchema.safeParse(x);
  if (r.success) return r.data as Profile;
  const partition =
    x && typeof x === 'object' && typeof (x as { partition?: unknown }).partition === 'string'
      ? (x as { partition: string }).partition
      : '(unknown partition)';
  const issues = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  const more = r.error.issues.length > 5 ? ` (+${r.error.issues.length - 5} more)` : '';
  throw new Error(
    `Invalid profile for ${partition}: ${issues}${more}. Rebuild the profile (schemaVersion ${PROFILE_SCHEMA_VERSION}) or fix the stored item.`,
  );
}
