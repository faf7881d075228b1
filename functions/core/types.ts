/**
 * Shared domain types: the contracts between decode, parse, templates, features, profiles,
 * detectors and anomalies. Pure TypeScript, no AWS SDK. Both worlds (Lambda and the embedded
 * runtime) use exactly these shapes.
 */

/** One log event as delivered by a CloudWatch Logs subscription (or a plain JSON line). */
export interface LogEvent {
  /** CloudWatch event id (or a deterministic id derived for plain lines). */
  id: string;
  /** Event time, epoch milliseconds (the event's own timestamp, not arrival time). */
  timestamp: number;
  /** Raw message as the service wrote it. */
  message: string;
  logGroup: string;
  logStream: string;
}

/** Result of decoding one Kinesis record. */
export type DecodedRecord =
  | { kind: 'data'; owner?: string; logGroup: string; logStream: string; events: LogEvent[] }
  | { kind: 'control' };

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'UNKNOWN';
export const LEVELS: readonly Level[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'UNKNOWN'];

/** Canonical numeric fields extracted from any log format. */
export const NUMERIC_FIELDS = ['latencyMs', 'bytes', 'cpuPct', 'memPct'] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

export type LogFormat = 'json' | 'access' | 'kv' | 'text';

/** A parsed log line. */
export interface ParsedEvent {
  /** Epoch ms: from the line itself when present, otherwise the envelope timestamp. */
  timestamp: number;
  level: Level;
  format: LogFormat;
  /** The free-text message body used for template mining (header/level/timestamp stripped). */
  body: string;
  /** HTTP status code when the line carries one. */
  status?: number;
  /** Canonical numeric fields found in the line. */
  numeric: Partial<Record<NumericField, number>>;
  /** Other structured fields (JSON keys, key=value pairs), flattened one level. */
  fields: Record<string, string | number | boolean>;
}

/** Outcome of template matching for one line. */
export interface TemplateMatch {
  /** Stable id: hash of the canonical masked template; independent of which instance mined it. */
  templateId: string;
  /** The template text with `<*>` for variable tokens. */
  template: string;
  /** True when the line matched nothing in the profile's dictionary (a candidate / new template). */
  isNew: boolean;
}

/** Partition identity: service × region × optional segment. */
export interface Partition {
  /** `service#region` or `service#region#segment`. */
  key: string;
  service: string;
  region: string;
  segment?: string;
}

/**
 * Mergeable partial aggregates for one (partition, minute). Every number is a count or a sum so
 * partials from many shards/batches add up exactly (DynamoDB ADD).
 */
export interface WindowPartial {
  partition: string;
  /** Window start, epoch ms, aligned to the minute. */
  windowStart: number;
  /** Events in the window. */
  count: number;
  /** Sum of message sizes in bytes (UTF-8). */
  bytes: number;
  /** Events per level. */
  levels: Partial<Record<Level, number>>;
  /** Events per status class, e.g. `2xx`, `5xx`. */
  statusClasses: Record<string, number>;
  /** Events per template id. */
  templates: Record<string, number>;
  /** Events per template id that were new (not in the profile dictionary). */
  newTemplates: Record<string, number>;
  /** Fixed log-scale histogram buckets per numeric field: field -> bucket index -> count. */
  histograms: Partial<Record<NumericField, Record<number, number>>>;
  /** Sum per numeric field (for means). */
  sums: Partial<Record<NumericField, number>>;
  /** Ordered-pattern violations per pattern id (A seen, B not within gap, or B without A). */
  patternViolations: Record<string, number>;
  /** One sample (redacted) raw line per template id; not additive: first writer wins. */
  samples: Record<string, string>;
  /** Template text for new template ids (so the closer can report them). */
  templateText: Record<string, string>;
}

/** Names of the scalar window features the detectors and the profile work on. */
export const FEATURE_NAMES = [
  'count',
  'bytes',
  'errorCount',
  'errorRate',
  'warnRate',
  'status5xxRate',
  'status4xxRate',
  'latencyP50',
  'latencyP95',
  'latencyP99',
  'bytesP95',
  'newTemplateCount',
  'distinctTemplates',
  'patternViolations',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Features of one closed 1-minute window. */
export interface WindowFeatures {
  partition: string;
  windowStart: number;
  features: Record<FeatureName, number>;
  /** Per-template counts of the window. */
  templates: Record<string, number>;
  /** Template ids that were new in this window, with their text. */
  newTemplates: Record<string, string>;
  /** Sample raw lines (redacted), by template id. */
  samples: Record<string, string>;
}

/** Robust statistics of one feature in one seasonal slot. */
export interface RobustStat {
  median: number;
  /** Median absolute deviation (unscaled). */
  mad: number;
  p05: number;
  p95: number;
  /** Number of windows the statistic was computed from. */
  n: number;
  /** Arithmetic mean and variance (for count dispersion: variance/mean > 1 means clustered events). */
  mean?: number;
  variance?: number;
}

/** A learned template in the profile's dictionary. */
export interface ProfileTemplate {
  id: string;
  template: string;
  /** Share of all events in the training windows. */
  share: number;
  /** Dominant level of lines with this template. */
  level: Level;
  /**
   * Learned value distribution of each `<*>` of `template`, in text order (a token with two `<*>`
   * has two slots). Learned from the windows' redacted sample lines; absent in older profiles and
   * for templates that did not fit the profile's size budget.
   */
  slots?: SlotStat[];
  /** How lines of this template are written (format, keys, header layout), learned with `slots`. */
  layout?: LineLayout;
  /** Share of sample lines per level (a template can carry several, e.g. an access line's status). */
  levels?: Partial<Record<Level, number>>;
}

/** Role of a value for the scorer's canonical fields (see parse.ts), found by probing the parser. */
export type SlotRole = 'latency' | 'status' | 'bytes';

/**
 * Learned distribution of one template parameter or structured field value, kept small:
 * - `cat`: up to 8 most frequent values with their shares among the samples;
 * - `num`: quantiles at {@link SLOT_QUANTILES} and the decimals written (0 = integer);
 * - `id`: high-cardinality identifiers: up to 8 examples (most frequent first), regenerated with
 *   fresh digits and hex runs;
 * - `time`: a timestamp written in `style` (see time-styles.ts), regenerated from the event time.
 */
export interface SlotStat {
  kind: 'cat' | 'num' | 'id' | 'time';
  /** Samples it was learned from. */
  n: number;
  /** `cat`: values, most frequent first; `id`: examples. Redaction placeholders stay literal. */
  values?: string[];
  /** `cat`: share of each value among the samples. */
  shares?: number[];
  /** `num`: value at each of {@link SLOT_QUANTILES}. */
  quantiles?: number[];
  /** `num`: decimals written (0 for integers). */
  decimals?: number;
  /** `num`: unit written right after the number (`ms` in `16ms`). */
  suffix?: string;
  /** `time`: timestamp style. */
  style?: string;
  /** The canonical field this value feeds, if any. */
  role?: SlotRole;
  /** `latency`: milliseconds per written unit (1 for ms, 1000 for seconds). */
  unit?: number;
}

/** Quantile levels of a `num` {@link SlotStat}. */
export const SLOT_QUANTILES: readonly number[] = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];

/** How a level word is written: `INFO`, `info`, `Info`, or pino/bunyan numbers (30). */
export type LevelCase = 'upper' | 'lower' | 'title' | 'number';

/**
 * One piece of a text or access line: literal text, the timestamp, the level word, a learned value,
 * or the message body (`body: -1` the whole body, `body: i` its i-th token, for access lines).
 */
export type LinePart = string | { ts: string } | { level: LevelCase } | { slot: SlotStat } | { body: number };

/** One key of a JSON or logfmt line. */
export interface LineField {
  /** Key as parse.ts flattens it (`parent.child` for a nested JSON object). */
  key: string;
  /** JSON only: `key` is `parent.child` inside a nested object. */
  nested?: boolean;
  /** What the parser reads from it: the timestamp, the level, the message body, or a plain value. */
  role: 'ts' | 'level' | 'msg' | 'value';
  /** `ts`: timestamp style. */
  style?: string;
  /** `level`: how the level is written. */
  level?: LevelCase;
  /** `value`: learned values. */
  slot?: SlotStat;
  /** JSON value type (default string). */
  type?: 'string' | 'number' | 'boolean' | 'json' | 'null';
}

/**
 * How the lines of one template are written, learned from its sample lines.
 * `spacing` keeps non-single-space separators of the body (line breaks of stack traces) as
 * `[token index, separator before it]`.
 */
export type LineLayout = PartsLayout | FieldsLayout;

/** A text or access line: a sequence of parts. */
export interface PartsLayout {
  format: 'text' | 'access';
  parts: LinePart[];
  spacing?: Array<[number, string]>;
}

/** A JSON or logfmt line: keys in order (JSON separators when not compact: `colon` `: `, `comma` `, `). */
export interface FieldsLayout {
  format: 'json' | 'kv';
  fields: LineField[];
  spacing?: Array<[number, string]>;
  colon?: string;
  comma?: string;
}

/** A learned ordered pattern: when A occurs in a log stream, B follows within maxGapMs. */
export interface OrderedPattern {
  id: string;
  a: string;
  b: string;
  maxGapMs: number;
  /** Fraction of A occurrences followed by B within the gap in training data. */
  support: number;
}

export const PROFILE_SCHEMA_VERSION = 1;

/** A profile's reference to the model that scores it. */
export interface ProfileModel {
  /** Model version (the training job's name). */
  version: string;
  /** SageMaker endpoint name serving it. */
  endpoint?: string;
  /** S3 key (model bucket) of the partition's proactive thresholds (model-contract PartitionThresholds). */
  thresholdsKey?: string;
}

/** Baseline profile of one partition. JSON-serialisable, kept under 400 KB (DynamoDB item limit). */
export interface Profile {
  schemaVersion: typeof PROFILE_SCHEMA_VERSION;
  partition: string;
  /** Monotonic version; the CURRENT pointer names one. */
  version: number;
  /** Epoch ms. */
  builtAt: number;
  /** Windows used to build it. */
  trainingWindows: number;
  /** Alert when P(anomalous) exceeds this level (default 0.95). */
  sensitivity: number;
  /** Feature -> statistics over all training windows. */
  global: Record<FeatureName, RobustStat>;
  /** Feature -> 168 hour-of-week slots (index = dayOfWeek*24 + hour, UTC); null where too few windows. */
  seasonal: Record<FeatureName, Array<RobustStat | null>>;
  templates: ProfileTemplate[];
  patterns: OrderedPattern[];
  /**
   * The generative model (VAE) that scores this partition, set by the retraining job's publish
   * step. Absent: the statistical detectors alone.
   */
  model?: ProfileModel;
}

/** One feature's deviation from what the profile expected. */
export interface Deviation {
  feature: string;
  observed: number;
  expected: number;
  band: [number, number];
  /** Robust z-like score (signed). */
  z: number;
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export type AnomalyKind =
  | 'volume_spike'
  | 'volume_drop'
  | 'error_spike'
  | 'latency'
  | 'new_template'
  | 'rare_template'
  | 'pattern_break'
  | 'seasonal_band'
  | 'rolling_stats'
  | 'frequency';

/** What one detector concluded about one window. */
export interface DetectorResult {
  detector: string;
  kind: AnomalyKind;
  /** Continuous score in [0,1]: the probability-like belief that the window is anomalous. */
  score: number;
  deviations: Deviation[];
  /** Human-readable evidence lines. */
  evidence: string[];
}

/** A raised anomaly, as stored in S3 and sent in the EventBridge detail. */
export interface Anomaly {
  /** Deterministic: hash of partition, windowStart and kind, so retries never duplicate. */
  id: string;
  partition: string;
  windowStart: number;
  windowEnd: number;
  kind: AnomalyKind;
  severity: Severity;
  /** In [0,1]. */
  probability: number;
  deviations: Deviation[];
  /** Redacted sample lines. */
  sampleEvents: string[];
  rootCauseHints: string[];
  /** Detectors that fired, with their scores. */
  detectors: Array<{ name: string; score: number }>;
  profileVersion: number;
  /** Version of the model that scored the window ('statistical-v1' when the detectors alone did). */
  modelVersion: string;
  /** Epoch ms when the closer produced it. */
  detectedAt: number;
  /**
   * How the window was scored: by the model ('model'), by the statistical detectors because the
   * partition has no model ('statistical'), or by them because the model could not be used
   * ('statistical-fallback', with the reason: endpoint error, timeout, malformed body, circuit open).
   */
  scoring?: { mode: 'model' | 'statistical-fallback' | 'statistical'; reason?: string };
}
