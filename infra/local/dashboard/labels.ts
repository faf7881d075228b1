/**
 * Alert feedback on the dashboard: POST /api/labels runs the same applyLabel as the feedback Lambda
 * and `harbinger label` (label stored under labels/ in the anomaly bucket; a new false positive
 * raises the partition's alert level one bounded step on its CURRENT pointer), and GET /api/labels
 * shows a partition's labels: counts, the current level, the level steps labels caused, and whether
 * each labelled window stays out of the next training set (core/feedback windowsToExclude, the rule
 * the retraining's dataset preparation applies).
 */
import { LabelStore } from '../../../functions/adapters/label-store';
import { ObjectStore } from '../../../functions/adapters/object-store';
import { ProfileStore } from '../../../functions/adapters/profile-store';
import { LabelRequestError, summariseLabels, windowsToExclude, type AlertLabel, type LabelSummary, type Verdict } from '../../../functions/core/feedback';
import { AnomalyNotFoundError, applyLabel, type LabelOutcome } from '../../../functions/feedback/feedback';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DashboardRequestError } from './requests';

/** Whether a labelled window is left out of the next training set ('excluded') or used as normal data ('kept'). */
export type TrainingUse = 'excluded' | 'kept';

/** A label as the dashboard shows it. */
export interface LabelView extends AlertLabel {
  training: TrainingUse;
}

/** One step of a partition's alert level caused by a label. */
export interface LevelStep {
  /** When the label was given, epoch ms. */
  at: number;
  anomalyId: string;
  /** The labelled anomaly's window, epoch ms. */
  windowStart: number;
  kind: string;
  verdict: Verdict;
  before: number;
  after: number;
}

/** GET /api/labels?partition=. */
export interface LabelsResponse extends LabelSummary {
  partition: string;
  /** The partition's alert level now (CURRENT pointer), or null without a profile. */
  sensitivity: number | null;
  /** Steps labels caused, oldest first. */
  levelHistory: LevelStep[];
  /** Labels, oldest window first. */
  labels: LabelView[];
}

/** POST /api/labels. */
export interface LabelResponse extends LabelOutcome {
  /** The partition's labels after this one. */
  partition: LabelsResponse;
}

/** Reads and applies labels for the dashboard (see the module comment). */
export class DashboardLabels {
  private readonly store: LabelStore;
  private readonly profiles: ProfileStore;

  constructor(options: { s3: S3Client; anomalyBucket: string; dynamodb: DynamoDBDocumentClient; table: string }) {
    this.store = new LabelStore(new ObjectStore({ client: options.s3, bucket: options.anomalyBucket }));
    // Uncached: a label's step is computed from the stored level.
    this.profiles = new ProfileStore({ client: options.dynamodb, table: options.table, cacheTtlMs: 0 });
  }

  /**
   * Validates and applies a label (applyLabel).
   * @param text - the request body: `{"partition", "anomalyId", "verdict", "note"?, "by"?}`
   * @throws DashboardRequestError 400 for malformed JSON or an invalid label, 404 for an unknown anomaly
   */
  async apply(text: string): Promise<LabelResponse> {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new DashboardRequestError(400, 'The body must be JSON like {"partition": "checkout#us-east-1", "anomalyId": "<id>", "verdict": "false_positive"}.');
    }
    let outcome: LabelOutcome;
    try {
      outcome = await applyLabel(body, { labels: this.store, profiles: this.profiles });
    } catch (err) {
      if (err instanceof LabelRequestError) throw new DashboardRequestError(400, err.message);
      if (err instanceof AnomalyNotFoundError) throw new DashboardRequestError(404, err.message);
      throw err;
    }
    return { ...outcome, partition: await this.list(outcome.label.partition) };
  }

  /** A partition's labels with counts, level and level history. */
  async list(partition: string): Promise<LabelsResponse> {
    const [labels, refs, profile] = await Promise.all([this.store.list(partition), this.store.anomalyRefs(partition), this.profiles.getCurrent(partition)]);
    const excluded = windowsToExclude(refs, labels);
    const levelHistory = labels
      .filter((l) => l.sensitivity.after !== l.sensitivity.before)
      .sort((a, b) => a.labelledAt - b.labelledAt || a.sensitivity.before - b.sensitivity.before)
      .map((l) => ({ at: l.labelledAt, anomalyId: l.anomalyId, windowStart: l.windowStart, kind: l.kind, verdict: l.verdict, before: l.sensitivity.before, after: l.sensitivity.after }));
    return {
      partition,
      sensitivity: profile?.sensitivity ?? null,
      ...summariseLabels(labels),
      levelHistory,
      labels: labels.map((l) => ({ ...l, training: excluded.has(l.windowStart) ? 'excluded' : 'kept' })),
    };
  }

  /** Labels of a partition's anomalies with windows in [from, to). */
  inRange(partition: string, from: number, to: number): Promise<AlertLabel[]> {
    return this.store.list(partition, from, to);
  }
}
