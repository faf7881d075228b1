/**
 * What the dashboard shows, read from the real stores through the adapters: profiles and their
 * sensitivity (DynamoDB, ProfileStore), closed windows' features (dataset bucket), anomalies
 * (anomaly bucket) with the labels people gave them (labels/ in the same bucket), and the model's
 * proactive thresholds (model bucket), all through the SDK clients it is given (the emulators
 * locally, or a deployed stack). The view arithmetic is in functions/core/views.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ObjectStore } from '../../../functions/adapters/object-store';
import { forEachLimit } from '../../../functions/core/concurrency';
import { ProfileStore, SensitivityError } from '../../../functions/adapters/profile-store';
import { LabelStore } from '../../../functions/adapters/label-store';
import { windowsToExclude, type Verdict } from '../../../functions/core/feedback';
import { windowsPrefix, type ResourceNames } from '../../../functions/core/resources';
import type { PartitionThresholds } from '../../../functions/core/model-contract';
import { featureBand, replayProbabilities, scoreHistogram, surprise, type BandSource, type ScoreHistogram } from '../../../functions/core/views';
import type { Anomaly, FeatureName, Profile, Severity, WindowFeatures } from '../../../functions/core/types';
import { DashboardRequestError, type RangeQuery } from './requests';
import type { AlertFeed } from './events';
import type { PredictedCrossing } from './predictions';
import type { TrainingUse } from './labels';

const MINUTE = 60_000;
/** Stored objects read at once per request. */
const READ_CONCURRENCY = 16;

/** Features charted with their band, in panel order. */
export const CHART_FEATURES = ['count', 'errorRate', 'latencyP95'] as const satisfies readonly FeatureName[];
/** One of {@link CHART_FEATURES}. */
export type ChartFeature = (typeof CHART_FEATURES)[number];

/** SDK clients the dashboard reads with (a plain or document DynamoDB client). */
export interface DashboardClients {
  dynamodb: DynamoDBClient | DynamoDBDocumentClient;
  s3: S3Client;
}

/** A document client over the given DynamoDB client (the same one when it is one already). */
export function documentClientOf(dynamodb: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  return dynamodb instanceof DynamoDBDocumentClient ? dynamodb : DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
}

/** Resource names the dashboard reads (the stack's, see resourceNames). */
export type DashboardNames = Pick<ResourceNames, 'table' | 'anomalyBucket' | 'datasetBucket' | 'modelBucket'>;

/** Options of {@link DashboardData}. */
export interface DashboardDataOptions {
  clients: DashboardClients;
  names: DashboardNames;
  /** Alerts and predicted crossings known to the dashboard. */
  alerts: AlertFeed;
  /** How long a loaded profile is reused, ms (default 2000; the dashboard's own changes apply at once). */
  profileCacheMs?: number;
}

/** One partition in the partition list. */
export interface PartitionSummary {
  partition: string;
  profileVersion: number;
  sensitivity: number;
  /** 'model' when the profile names a model (VAE), else 'statistical'. */
  scoring: 'model' | 'statistical';
  modelVersion: string | null;
}

/** One charted feature over the range: values and band, null where unknown. */
export interface SeriesFeature {
  values: Array<number | null>;
  lower: Array<number | null>;
  upper: Array<number | null>;
  expected: Array<number | null>;
}

/** An anomaly as the page draws it. */
export interface SeriesAnomaly {
  id: string;
  windowStart: number;
  severity: Severity;
  kind: string;
  probability: number;
  hint: string;
  modelVersion: string;
  /** What a person said about it (POST /api/labels), or null when unlabelled. */
  verdict: Verdict | null;
  /** When it was labelled, epoch ms, and the label's note. */
  labelledAt?: number;
  note?: string;
  /**
   * Whether its window is left out of the next training set: every anomaly's window is, unless all
   * the window's anomalies were labelled false positives (core/feedback windowsToExclude).
   */
  training: TrainingUse;
}

/** GET /api/series. */
export interface SeriesResponse {
  partition: string;
  from: number;
  to: number;
  sensitivity: number;
  profileVersion: number;
  modelVersion: string | null;
  /** Where the bands come from ('none' when no window of the range has one). */
  bandSource: BandSource | 'none';
  /** Minute starts, epoch ms. */
  t: number[];
  features: Record<ChartFeature, SeriesFeature>;
  anomalies: SeriesAnomaly[];
  /** Predictions of this partition known to the dashboard, each in its latest state (open, came true, expired). */
  predicted: PredictedCrossing[];
  /** Whether any "Log Anomaly Predicted" event reached the dashboard yet (any partition). */
  predictionsAvailable: boolean;
}

/** GET /api/scores. */
export interface ScoresResponse extends ScoreHistogram {
  partition: string;
  from: number;
  to: number;
  sensitivity: number;
  /** What the probabilities are. */
  source: string;
  /** Each window's probability. */
  points: Array<{ t: number; p: number; surprise: number }>;
}

/** Keeps at most `max` entries; drops the oldest inserted beyond that. */
class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

const dayOf = (t: number): string => new Date(t).toISOString().slice(0, 10);

function daysBetween(from: number, to: number): string[] {
  const out: string[] = [];
  for (let d = Date.parse(`${dayOf(from)}T00:00:00Z`); d < to; d += 86_400_000) out.push(dayOf(d));
  return out;
}

/** Epoch ms of a `.../date=YYYY-MM-DD/HHMM[...].json` key, or undefined for other keys (batches). */
function minuteOfKey(key: string, date: string): number | undefined {
  const m = /\/(\d{2})(\d{2})(?:-[^/]*)?\.json$/.exec(key);
  return m ? Date.parse(`${date}T${m[1]}:${m[2]}:00Z`) : undefined;
}

/** Reads the stores for the dashboard API (see the module comment). */
export class DashboardData {
  private readonly profiles: ProfileStore;
  private readonly datasets: ObjectStore;
  private readonly anomalyStore: ObjectStore;
  private readonly labels: LabelStore;
  private readonly models: ObjectStore;
  private readonly s3: S3Client;
  private readonly alerts: AlertFeed;
  private readonly objects = new BoundedCache<unknown>(50_000);
  private readonly thresholds = new Map<string, { at: number; value: PartitionThresholds | null }>();

  constructor(options: DashboardDataOptions) {
    const { clients, names } = options;
    const doc = documentClientOf(clients.dynamodb);
    this.profiles = new ProfileStore({ client: doc, table: names.table, cacheTtlMs: options.profileCacheMs ?? 2000 });
    this.datasets = new ObjectStore({ client: clients.s3, bucket: names.datasetBucket });
    this.anomalyStore = new ObjectStore({ client: clients.s3, bucket: names.anomalyBucket });
    this.labels = new LabelStore(this.anomalyStore);
    this.models = new ObjectStore({ client: clients.s3, bucket: names.modelBucket });
    this.s3 = clients.s3;
    this.alerts = options.alerts;
  }

  /** Every partition with a published profile, with its level and how it is scored. */
  async partitions(): Promise<PartitionSummary[]> {
    const out: PartitionSummary[] = [];
    for (const p of await this.profiles.partitions()) {
      const profile = await this.profiles.getCurrent(p);
      if (profile) out.push(summaryOf(profile));
    }
    return out;
  }

  /**
   * Sets a partition's sensitivity on its CURRENT profile pointer (ProfileStore.setSensitivity).
   * @throws DashboardRequestError 400 when the store refuses it (no profile, out of range)
   */
  async setSensitivity(partition: string, level: number): Promise<PartitionSummary> {
    try {
      await this.profiles.setSensitivity(partition, level);
    } catch (err) {
      if (err instanceof SensitivityError) throw new DashboardRequestError(400, err.message);
      throw err;
    }
    return summaryOf(await this.profile(partition));
  }

  /** Forgets the cached profile of a partition whose level another writer changed (e.g. a label). */
  profileChanged(partition: string): void {
    this.profiles.forget(partition);
  }

  /** Per-minute charted features with their bands at the current sensitivity, anomalies and predicted crossings. */
  async series(partition: string, range: RangeQuery): Promise<SeriesResponse> {
    const profile = await this.profile(partition);
    const { from, to } = await this.resolveRange(partition, range);
    const [windows, anomalies, thresholds, labels] = await Promise.all([
      this.windowsIn(partition, from, to),
      this.anomaliesIn(partition, from, to),
      this.thresholdsOf(profile),
      this.labels.list(partition, from, to),
    ]);
    const labelOf = new Map(labels.map((l) => [l.anomalyId, l]));
    const excluded = windowsToExclude(anomalies, labels);
    const byStart = new Map(windows.map((w) => [w.windowStart, w]));
    const t: number[] = [];
    for (let m = from; m < to; m += MINUTE) t.push(m);
    const features = {} as Record<ChartFeature, SeriesFeature>;
    const sources = new Set<BandSource>();
    for (const f of CHART_FEATURES) {
      const s: SeriesFeature = { values: [], lower: [], upper: [], expected: [] };
      for (const m of t) {
        const w = byStart.get(m);
        const band = w ? featureBand(f, w, profile, profile.sensitivity, thresholds) : null;
        if (band) sources.add(band.source);
        s.values.push(w ? w.features[f] : null);
        s.lower.push(band ? band.lower : null);
        s.upper.push(band ? band.upper : null);
        s.expected.push(band ? band.expected : null);
      }
      features[f] = s;
    }
    const predicted = this.alerts.predicted(partition);
    return {
      partition,
      from,
      to,
      sensitivity: profile.sensitivity,
      profileVersion: profile.version,
      modelVersion: profile.model?.version ?? null,
      bandSource: sources.has('model-thresholds') ? 'model-thresholds' : sources.has('seasonal') ? 'seasonal' : 'none',
      t,
      features,
      anomalies: anomalies.map((a) => {
        const label = labelOf.get(a.id);
        return {
          id: a.id,
          windowStart: a.windowStart,
          severity: a.severity,
          kind: a.kind,
          probability: a.probability,
          hint: a.rootCauseHints[0] ?? a.deviations[0]?.feature ?? '',
          modelVersion: a.modelVersion,
          verdict: label?.verdict ?? null,
          ...(label ? { labelledAt: label.labelledAt } : {}),
          ...(label?.note ? { note: label.note } : {}),
          training: excluded.has(a.windowStart) ? 'excluded' : 'kept',
        };
      }),
      predicted,
      predictionsAvailable: predicted.length > 0 || this.alerts.anyPredicted(),
    };
  }

  /**
   * Distribution of window probabilities over the range with the current threshold: the
   * statistical detectors replayed through scoreWindow (15 minutes of warm-up before the range),
   * raised to a stored anomaly's probability where there is one (which includes the model's).
   */
  async scores(partition: string, range: RangeQuery): Promise<ScoresResponse> {
    const profile = await this.profile(partition);
    const { from, to } = await this.resolveRange(partition, range);
    const [windows, anomalies] = await Promise.all([this.windowsIn(partition, from - 15 * MINUTE, to), this.anomaliesIn(partition, from, to)]);
    const stored = new Map<number, number>();
    for (const a of anomalies) stored.set(a.windowStart, Math.max(stored.get(a.windowStart) ?? 0, a.probability));
    const points = replayProbabilities(windows, profile, { from }).map((r) => {
      const p = Math.max(r.probability, stored.get(r.windowStart) ?? 0);
      return { t: r.windowStart, p, surprise: surprise(p) };
    });
    const histogram = scoreHistogram(
      points.map((x) => x.p),
      profile.sensitivity,
    );
    return {
      partition,
      from,
      to,
      sensitivity: profile.sensitivity,
      source: profile.model
        ? `statistical detectors replayed on the stored windows; windows with an anomaly show its probability (model ${profile.model.version} included)`
        : 'statistical detectors replayed on the stored windows (the probability the window closer compares with the sensitivity)',
      points,
      ...histogram,
    };
  }

  /** The CURRENT profile. @throws DashboardRequestError 404 when the partition has none */
  private async profile(partition: string): Promise<Profile> {
    const p = await this.profiles.getCurrent(partition);
    if (!p) throw new DashboardRequestError(404, `Partition "${partition}" has no published profile: GET /api/partitions lists those that do.`);
    return p;
  }

  private async resolveRange(partition: string, range: RangeQuery): Promise<{ from: number; to: number }> {
    const span = range.minutes * MINUTE;
    let to = range.to;
    if (to === undefined && range.from !== undefined) to = range.from + span;
    if (to === undefined) to = ((await this.latestWindow(partition)) ?? Math.floor(Date.now() / MINUTE) * MINUTE) + MINUTE;
    to = Math.ceil(to / MINUTE) * MINUTE;
    const from = Math.floor((range.from ?? to - span) / MINUTE) * MINUTE;
    return { from, to };
  }

  /** Start of the newest stored window of a partition, or null when none is stored. */
  private async latestWindow(partition: string): Promise<number | null> {
    const prefix = windowsPrefix(partition);
    const res = await this.s3.send(new ListObjectsV2Command({ Bucket: this.datasets.bucket, Prefix: prefix, Delimiter: '/' }));
    const dates = (res.CommonPrefixes ?? [])
      .map((c) => /date=(\d{4}-\d{2}-\d{2})\/$/.exec(c.Prefix ?? '')?.[1])
      .filter((d): d is string => Boolean(d))
      .sort()
      .reverse();
    for (const date of dates.slice(0, 3)) {
      // Per-minute objects are named by their minute: the newest needs no read.
      const keys = await this.datasets.list(`${prefix}date=${date}/`);
      let newest = -Infinity;
      for (const k of keys) newest = Math.max(newest, minuteOfKey(k, date) ?? -Infinity);
      if (Number.isFinite(newest)) return newest;
      const windows = await this.windowsOfDay(partition, date, -Infinity, Infinity);
      if (windows.length) return windows.reduce((m, w) => Math.max(m, w.windowStart), -Infinity);
    }
    return null;
  }

  private async windowsIn(partition: string, from: number, to: number): Promise<WindowFeatures[]> {
    const out = new Map<number, WindowFeatures>();
    for (const date of daysBetween(from, to)) {
      for (const w of await this.windowsOfDay(partition, date, from, to)) out.set(w.windowStart, w);
    }
    return [...out.values()].sort((a, b) => a.windowStart - b.windowStart);
  }

  /** Windows of one day in [from, to): per-minute objects (the closer's) win over batches (history imports). */
  private async windowsOfDay(partition: string, date: string, from: number, to: number): Promise<WindowFeatures[]> {
    const keys = await this.datasets.list(`${windowsPrefix(partition)}date=${date}/`);
    const out = new Map<number, WindowFeatures>();
    for (const key of keys.filter((k) => k.endsWith('.jsonl.gz') || k.endsWith('.jsonl'))) {
      const batch = await this.cached(key, () => this.datasets.getJsonLines<WindowFeatures>(key));
      for (const w of batch ?? []) if (w.windowStart >= from && w.windowStart < to) out.set(w.windowStart, w);
    }
    const minuteKeys = keys.filter((k) => {
      const m = minuteOfKey(k, date);
      return m !== undefined && m >= from && m < to;
    });
    for (const w of await this.readAll(minuteKeys, (k) => this.datasets.getJson<WindowFeatures>(k))) out.set(w.windowStart, w);
    return [...out.values()];
  }

  private async anomaliesIn(partition: string, from: number, to: number): Promise<Anomaly[]> {
    const out: Anomaly[] = [];
    for (const date of daysBetween(from, to)) {
      const keys = (await this.anomalyStore.list(`anomalies/partition=${encodeURIComponent(partition)}/date=${date}/`)).filter((k) => {
        const m = minuteOfKey(k, date);
        return m !== undefined && m >= from && m < to;
      });
      for (const a of await this.readAll(keys, (k) => this.anomalyStore.getJson<Anomaly>(k))) out.push(a);
    }
    return out.sort((a, b) => a.windowStart - b.windowStart || a.id.localeCompare(b.id));
  }

  /** The model's proactive thresholds (re-read after a minute: a kept champion's are refreshed in place). */
  private async thresholdsOf(profile: Profile): Promise<PartitionThresholds | null> {
    const key = profile.model?.thresholdsKey;
    if (!key) return null;
    const hit = this.thresholds.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.value;
    const value = await this.models.getJson<PartitionThresholds>(key);
    this.thresholds.set(key, { at: Date.now(), value });
    return value;
  }

  /** Reads (or takes from the cache) every key, {@link READ_CONCURRENCY} at a time; missing objects are left out. */
  private async readAll<T>(keys: readonly string[], load: (key: string) => Promise<T | null>): Promise<T[]> {
    const out: Array<T | null> = new Array(keys.length).fill(null);
    await forEachLimit(keys, READ_CONCURRENCY, async (k, i) => {
      out[i] = await this.cached(k, () => load(k));
    });
    return out.filter((x): x is T => x !== null);
  }

  /** Stored objects are written once under deterministic keys, so a loaded one is kept. */
  private async cached<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const hit = this.objects.get(key);
    if (hit !== undefined) return hit as T;
    const value = await load();
    if (value !== null) this.objects.set(key, value);
    return value;
  }
}

function summaryOf(p: Profile): PartitionSummary {
  return {
    partition: p.partition,
    profileVersion: p.version,
    sensitivity: p.sensitivity,
    scoring: p.model ? 'model' : 'statistical',
    modelVersion: p.model?.version ?? null,
  };
}
