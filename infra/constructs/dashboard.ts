import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, METRIC_SERVICES, METRICS } from '../../functions/core/metrics';

/** A metric of another construct, graphed as is (e.g. the capacity function's decisions). */
export interface ExtraDashboardMetric {
  readonly title: string;
  readonly metrics: cloudwatch.IMetric[];
}

/** Properties of {@link Dashboard}. */
export interface DashboardProps {
  /** Dashboard name, e.g. `<prefix>-overview`. */
  readonly dashboardName: string;
  /** The ingestion stream. */
  readonly stream: kinesis.IStream;
  /** The scorer function. */
  readonly scorer: lambda.IFunction;
  /** The window closer function. */
  readonly windowCloser: lambda.IFunction;
  /** More rows of graphs (capacity decisions, predictions...). */
  readonly extra?: ExtraDashboardMetric[];
  /** Graph period. @default 1 minute */
  readonly period?: Duration;
}

/**
 * The CloudWatch dashboard of a deployment: what arrives (stream records, bytes, throttling, the
 * scorer's iterator age), what is scored (events, malformed records, windows, model vs fallback),
 * what is found (anomalies, alerts, highest anomaly probability against the lowest alert level),
 * what people said (true/false positive labels), and the functions' errors and durations. Every
 * Harbinger metric comes from the handlers' Powertools EMF output, named in
 * functions/core/metrics.ts.
 */
export class Dashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(1);
    const own = (service: string, metricName: string, statistic = 'Sum', label?: string): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { service }, statistic, period, label: label ?? metricName });
    const s = METRICS.scorer;
    const c = METRICS.windowCloser;
    const f = METRICS.feedback;
    const scorer = (name: string, stat?: string): cloudwatch.Metric => own(METRIC_SERVICES.scorer, name, stat);
    const closer = (name: string, stat?: string): cloudwatch.Metric => own(METRIC_SERVICES.windowCloser, name, stat);
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], width = 8): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6 });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## Harbinger\nIngestion → scoring → anomalies. Alerts are on the Harbinger event bus; label them with the feedback function. ' +
          'Metrics: namespace `Harbinger`, dimension `service`.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Stream: incoming records and bytes', [props.stream.metricIncomingRecords({ period, statistic: 'Sum' })], [props.stream.metricIncomingBytes({ period, statistic: 'Sum' })]),
      graph('Stream: write throttling', [props.stream.metricPutRecordsThrottledRecords({ period, statistic: 'Sum' }), props.stream.metricWriteProvisionedThroughputExceeded({ period, statistic: 'Sum' })]),
      graph('Scorer: iterator age (ms, max)', [new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensionsMap: { FunctionName: props.scorer.functionName }, statistic: 'Maximum', period })]),
    );
    this.dashboard.addWidgets(
      graph('Scorer: events and records', [scorer(s.events), scorer(s.records)], [scorer(s.newTemplateEvents)]),
      graph('Scorer: skipped and failed', [scorer(s.malformedRecords), scorer(s.lateEvents), scorer(s.failedRecords), scorer(s.duplicateContributions)]),
      graph('Closer: windows', [closer(c.windowsClosed), closer(c.windowsScored), closer(c.silentWindows)]),
    );
    this.dashboard.addWidgets(
      graph('Anomalies and alerts', [closer(c.anomalies), closer(c.alertsSent)]),
      graph('Anomaly probability vs alert level', [closer(c.maxAnomalyProbability, 'Maximum'), closer(c.minAlertLevel, 'Minimum')]),
      graph('Model: VAE-scored vs fallback windows', [closer(c.modelScoredWindows), closer(c.modelFallbackWindows)]),
    );
    this.dashboard.addWidgets(
      graph('Feedback labels', [own(METRIC_SERVICES.feedback, f.truePositiveLabels), own(METRIC_SERVICES.feedback, f.falsePositiveLabels)]),
      graph('Errors', [props.scorer.metricErrors({ period }), props.windowCloser.metricErrors({ period })]),
      graph('Duration (p95)', [props.scorer.metricDuration({ period, statistic: 'p95' }), props.windowCloser.metricDuration({ period, statistic: 'p95' })]),
    );
    const cap = (name: string, stat?: string): cloudwatch.Metric => own(METRIC_SERVICES.capacity, name, stat);
    const rem = (name: string): cloudwatch.Metric => own(METRIC_SERVICES.remediation, name);
    const k = METRICS.capacity;
    const r = METRICS.remediation;
    this.dashboard.addWidgets(
      graph('Capacity: shards open, required, target', [cap(k.shardsOpen, 'Maximum'), cap(k.shardsRequired, 'Maximum'), cap(k.shardsTarget, 'Maximum')]),
      graph('Capacity: forecast upper bound (records/s, bytes/s)', [cap(k.forecastRecordsPerSecUpper, 'Maximum')], [cap(k.forecastBytesPerSecUpper, 'Maximum')]),
      graph('Capacity: changes applied, skipped, failed', [cap(k.changesApplied), cap(k.changesSkipped), cap(k.applyFailures)]),
    );
    this.dashboard.addWidgets(
      graph('Early warnings sent', [closer(c.predictionsSent), closer(c.predictionErrors)]),
      graph('Remediation: actions and outcomes', [rem(r.actionsTaken), rem(r.actionsFailed), rem(r.cleared), rem(r.notCleared)]),
      graph('Scorer sizing targets', [cap(k.scorerMemoryTargetMb, 'Maximum')], [cap(k.parallelizationFactorTarget, 'Maximum')]),
    );
    this.dashboard.addWidgets(graph('Forecast confidence and waking partitions (shadow log)', [cap(k.forecastConfidence, 'Average')], [cap(k.wakingPartitions, 'Maximum')], 24));
    const extra = props.extra ?? [];
    for (let i = 0; i < extra.length; i += 3) {
      this.dashboard.addWidgets(...extra.slice(i, i + 3).map((e) => graph(e.title, e.metrics)));
    }
  }
}
