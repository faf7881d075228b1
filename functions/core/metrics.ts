/**
 * One definition of the CloudWatch metrics the handlers emit (Powertools EMF, namespace
 * {@link METRIC_NAMESPACE}, dimension `service`) and the CDK dashboard graphs. Pure constants.
 */

/** CloudWatch namespace of every Harbinger metric. */
export const METRIC_NAMESPACE = 'Harbinger';

/** The `service` dimension value (Powertools `serviceName`) of each emitting function. */
export const METRIC_SERVICES = {
  scorer: 'scorer',
  windowCloser: 'window-closer',
  feedback: 'feedback',
  capacity: 'capacity',
  remediation: 'remediation',
} as const;

/** Metric names, per emitting service. */
export const METRICS = {
  scorer: {
    records: 'Records',
    events: 'Events',
    malformedRecords: 'MalformedRecords',
    lateEvents: 'LateEvents',
    duplicateContributions: 'DuplicateContributions',
    newTemplateEvents: 'NewTemplateEvents',
    failedRecords: 'FailedRecords',
  },
  windowCloser: {
    windowsClosed: 'WindowsClosed',
    windowsScored: 'WindowsScored',
    silentWindows: 'SilentWindows',
    anomalies: 'Anomalies',
    alertsSent: 'AlertsSent',
    modelScoredWindows: 'ModelScoredWindows',
    modelFallbackWindows: 'ModelFallbackWindows',
    /** Highest P(anomalous) among the windows scored in one run (Maximum over a period). */
    maxAnomalyProbability: 'MaxAnomalyProbability',
    /** Lowest alert level (sensitivity) among the partitions scored in one run. */
    minAlertLevel: 'MinAlertLevel',
    /** "Log Anomaly Predicted" events sent (early warnings opened or updated). */
    predictionsSent: 'PredictionsSent',
    /** Windows whose early-warning update failed (scored without it). */
    predictionErrors: 'PredictionErrors',
  },
  feedback: {
    falsePositiveLabels: 'FalsePositiveLabels',
    truePositiveLabels: 'TruePositiveLabels',
  },
  capacity: {
    shardsOpen: 'ShardsOpen',
    shardsRequired: 'ShardsRequired',
    shardsTarget: 'ShardsTarget',
    scorerMemoryTargetMb: 'ScorerMemoryTargetMb',
    parallelizationFactorTarget: 'ParallelizationFactorTarget',
    forecastRecordsPerSecUpper: 'ForecastRecordsPerSecUpper',
    forecastBytesPerSecUpper: 'ForecastBytesPerSecUpper',
    forecastConfidence: 'ForecastConfidence',
    changesApplied: 'CapacityChangesApplied',
    changesSkipped: 'CapacityChangesSkipped',
    applyFailures: 'CapacityApplyFailures',
    wakingPartitions: 'WakingPartitions',
  },
  remediation: {
    actionsTaken: 'RemediationActions',
    actionsFailed: 'RemediationActionsFailed',
    /** The incident resolved within the rule's time after the action. */
    cleared: 'RemediationCleared',
    notCleared: 'RemediationNotCleared',
  },
} as const;
