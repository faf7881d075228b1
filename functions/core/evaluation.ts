/**
 * Champion/challenger evaluation of anomaly models on a labelled holdout (normal windows plus
 * injected anomalies), the metrics the training job reports, and the promotion rule. Pure: the
 * training entry point, the evaluate step and the benchmarks all use these same functions.
 */

/** Metrics of one model on one labelled holdout. */
export interface HoldoutMetrics {
  /** Average precision of the anomaly score against the labels (area under precision-recall). */
  averagePrecision: number;
  /** Share of normal holdout windows raised at the default sensitivity. */
  falsePositiveRate: number;
  /** Share of injected anomalies raised at the default sensitivity. */
  recall: number;
  /** Labelled windows evaluated. */
  windows: number;
}

/**
 * SageMaker MetricDefinitions: the training job prints `name=value` lines; SageMaker (and the local
 * runner, with the same regexes) turns them into FinalMetricDataList, which the evaluate step reads.
 */
export const METRIC_DEFINITIONS = [
  { Name: 'holdout:average_precision', Regex: 'holdout_average_precision=([-0-9.eE+]+)' },
  { Name: 'holdout:false_positive_rate', Regex: 'holdout_false_positive_rate=([-0-9.eE+]+)' },
  { Name: 'holdout:recall', Regex: 'holdout_recall=([-0-9.eE+]+)' },
  { Name: 'train:loss', Regex: 'train_loss=([-0-9.eE+]+)' },
  { Name: 'validation:loss', Regex: 'validation_loss=([-0-9.eE+]+)' },
] as const;

/** Lines the training job prints for {@link METRIC_DEFINITIONS}. */
export function metricLines(m: HoldoutMetrics): string[] {
  return [
    `holdout_average_precision=${m.averagePrecision}`,
    `holdout_false_positive_rate=${m.falsePositiveRate}`,
    `holdout_recall=${m.recall}`,
  ];
}

/**
 * Applies metric definitions to a training log as SageMaker does: the last match of each regex wins.
 * Returns FinalMetricDataList-shaped entries.
 */
export function parseMetricLog(log: string, definitions: ReadonlyArray<{ Name: string; Regex: string }> = METRIC_DEFINITIONS): Array<{ MetricName: string; Value: number }> {
  const out: Array<{ MetricName: string; Value: number }> = [];
  for (const d of definitions) {
    const re = new RegExp(d.Regex, 'g');
    let last: number | undefined;
    for (const m of log.matchAll(re)) {
      const v = Number(m[1]);
      if (Number.isFinite(v)) last = v;
    }
    if (last !== undefined) out.push({ MetricName: d.Name, Value: last });
  }
  return out;
}

/**
 * Average precision (area under the precision-recall curve, step-wise as scikit-learn computes it).
 * Ties in score are taken together. 0 when there is no positive label.
 */
export function averagePrecision(scores: readonly number[], labels: readonly (0 | 1)[]): number {
  if (scores.length !== labels.length) throw new Error(`averagePrecision: ${scores.length} scores but ${labels.length} labels`);
  const positives = labels.reduce<number>((a, l) => a + l, 0);
  if (positives === 0) return 0;
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a]);
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let k = 0; k < order.length; ) {
    const s = scores[order[k]];
    while (k < order.length && scores[order[k]] === s) {
      if (labels[order[k]] === 1) tp++;
      else fp++;
      k++;
    }
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/**
 * Holdout metrics of anomaly probabilities.
 * @param probabilities - P(anomalous) per window
 * @param labels - 1 for an injected anomaly
 * @param sensitivity - alert level (default 0.95)
 */
export function holdoutMetrics(probabilities: readonly number[], labels: readonly (0 | 1)[], sensitivity = 0.95): HoldoutMetrics {
  let fp = 0;
  let normals = 0;
  let tp = 0;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const raised = probabilities[i] >= sensitivity;
    if (labels[i] === 1) {
      positives++;
      if (raised) tp++;
    } else {
      normals++;
      if (raised) fp++;
    }
  }
  return {
    averagePrecision: averagePrecision(probabilities, labels),
    falsePositiveRate: normals ? fp / normals : 0,
    recall: positives ? tp / positives : 0,
    windows: labels.length,
  };
}

/** Options of {@link decidePromotion}. */
export interface PromotionRule {
  /** The challenger may trail the champion's average precision by at most this. Default 0.02. */
  tolerance?: number;
  /**
   * A challenger below this average precision is never promoted. Default 0.35: a sanity bar that an
   * untrained model fails (about 0.26 on the demo's holdout, where a trained one reaches 0.55-0.6);
   * the comparison with the champion is the real test.
   */
  minAveragePrecision?: number;
  /** Nor one raising more than this share of normal holdout windows. Default 0.01. */
  maxFalsePositiveRate?: number;
}

/** The evaluate step's decision. */
export interface PromotionDecision {
  promote: boolean;
  reason: string;
}

/**
 * Champion/challenger rule: the challenger is promoted when it clears the absolute bars and is not
 * worse than the champion on the same holdout (beyond `tolerance`). With no champion, the bars alone
 * decide.
 */
export function decidePromotion(challenger: HoldoutMetrics, champion: HoldoutMetrics | null, rule: PromotionRule = {}): PromotionDecision {
  const tol = rule.tolerance ?? 0.02;
  const minAp = rule.minAveragePrecision ?? 0.35;
  const maxFpr = rule.maxFalsePositiveRate ?? 0.01;
  const ap = challenger.averagePrecision.toFixed(3);
  if (!(challenger.averagePrecision >= minAp)) return { promote: false, reason: `challenger average precision ${ap} is below the bar ${minAp}` };
  if (!(challenger.falsePositiveRate <= maxFpr)) {
    return { promote: false, reason: `challenger raises ${(challenger.falsePositiveRate * 100).toFixed(2)}% of normal holdout windows (bar ${(maxFpr * 100).toFixed(2)}%)` };
  }
  if (!champion) return { promote: true, reason: `no champion; challenger average precision ${ap} clears the bar ${minAp}` };
  const cap = champion.averagePrecision.toFixed(3);
  if (challenger.averagePrecision < champion.averagePrecision - tol) {
    return { promote: false, reason: `challenger average precision ${ap} is worse than the champion's ${cap} (tolerance ${tol})` };
  }
  return { promote: true, reason: `challenger average precision ${ap} vs champion ${cap}` };
}
