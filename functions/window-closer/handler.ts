/**
 * Window closer Lambda, invoked every minute by EventBridge Scheduler. Thin: wiring only; the
 * work is in ./closer.ts and functions/core.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { awsClients, requireEnv } from '../adapters/clients';
import { WindowStore } from '../adapters/window-store';
import { ProfileStore } from '../adapters/profile-store';
import { DetectorStateStore } from '../adapters/detector-state-store';
import { ObjectStore } from '../adapters/object-store';
import { EventBridgeAlertPublisher } from '../adapters/alert-publisher';
import { createThresholdsReader, modelTimeoutFromEnv, SageMakerModelClient } from '../adapters/model-client';
import { ENV } from '../core/resources';
import { METRIC_NAMESPACE, METRIC_SERVICES, METRICS } from '../core/metrics';

const M = METRICS.windowCloser;
import { closeWindows, type CloseSummary, type CloserDeps } from './closer';

/** The scheduled event; `time` (ISO) is the tick's time. The embedded runtime passes its simulated clock. */
export interface CloserEvent {
  time?: string;
}

/** Options for {@link createWindowCloserHandler}. */
export interface WindowCloserHandlerOptions {
  deps?: Partial<CloserDeps>;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/**
 * The model dependencies from the environment: the SageMaker client when HARBINGER_MODEL_ENDPOINT
 * is set (that endpoint is preferred over a profile's `model.endpoint`), and the thresholds reader
 * when HARBINGER_MODEL_BUCKET is set.
 */
export function defaultModelDeps(): Pick<CloserDeps, 'model' | 'thresholdsOf' | 'modelTimeoutMs'> {
  const endpointName = process.env[ENV.modelEndpoint];
  const bucket = process.env[ENV.modelBucket];
  const timeoutMs = modelTimeoutFromEnv();
  const clients = awsClients();
  return {
    model: endpointName ? new SageMakerModelClient({ client: clients.sagemakerRuntime, endpointName, timeoutMs }) : undefined,
    thresholdsOf: bucket ? createThresholdsReader({ store: new ObjectStore({ client: clients.s3, bucket }) }) : undefined,
    modelTimeoutMs: timeoutMs,
  };
}

/** Builds the default dependencies from the environment. */
export function defaultCloserDeps(): CloserDeps {
  const clients = awsClients();
  const table = requireEnv(ENV.table);
  const profiles = new ProfileStore({ client: clients.dynamodb, table, cacheTtlMs: 60_000 });
  return {
    ...defaultModelDeps(),
    windows: new WindowStore({ client: clients.dynamodb, table }),
    states: new DetectorStateStore({ client: clients.dynamodb, table }),
    profileOf: (p) => profiles.getCurrent(p),
    knownPartitions: () => profiles.partitions(),
    anomalies: new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.anomalyBucket) }),
    datasets: new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.datasetBucket) }),
    alerts: new EventBridgeAlertPublisher({ client: clients.eventbridge, busName: requireEnv(ENV.eventBus) }),
    latenessMs: Number(process.env[ENV.allowedLatenessSec] ?? 120) * 1000,
  };
}

/** Creates the closer handler (the Lambda export uses the defaults). */
export function createWindowCloserHandler(options: WindowCloserHandlerOptions = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-window-closer' });
  const metrics = options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICES.windowCloser });
  let deps: CloserDeps | undefined;
  const base = async (event: CloserEvent, _context: Context): Promise<CloseSummary> => {
    deps ??= { ...defaultCloserDeps(), ...options.deps } as CloserDeps;
    const parsed = event?.time ? Date.parse(event.time) : NaN;
    const now = Number.isFinite(parsed) ? parsed : (options.now ?? Date.now)();
    const summary = await closeWindows(now, deps);
    metrics.addMetric(M.windowsClosed, MetricUnit.Count, summary.windowsClosed);
    metrics.addMetric(M.windowsScored, MetricUnit.Count, summary.windowsScored);
    metrics.addMetric(M.silentWindows, MetricUnit.Count, summary.silentWindows);
    metrics.addMetric(M.anomalies, MetricUnit.Count, summary.anomalies.length);
    metrics.addMetric(M.alertsSent, MetricUnit.Count, summary.alerts.length);
    metrics.addMetric(M.modelScoredWindows, MetricUnit.Count, summary.modelScored);
    metrics.addMetric(M.modelFallbackWindows, MetricUnit.Count, summary.modelFallbacks);
    metrics.addMetric(M.predictionsSent, MetricUnit.Count, summary.predictions.length);
    if (summary.windowsScored > 0) metrics.addMetric(M.maxAnomalyProbability, MetricUnit.NoUnit, summary.maxProbability);
    if (summary.minAlertLevel !== null) metrics.addMetric(M.minAlertLevel, MetricUnit.NoUnit, summary.minAlertLevel);
    if (summary.predictionErrors > 0) {
      metrics.addMetric(M.predictionErrors, MetricUnit.Count, summary.predictionErrors);
      logger.warn('early warning failed for some windows; they were scored without it', { windows: summary.predictionErrors, reasons: summary.predictionErrorReasons });
    }
    for (const p of summary.predictions) {
      logger.info('prediction', { change: p.change, id: p.id, partition: p.partition, feature: p.feature, probability: p.probability, crossingAt: new Date(p.crossingAt).toISOString() });
    }
    if (summary.modelFallbacks > 0) {
      logger.warn('model fallback: windows scored by the statistical detectors only', { windows: summary.modelFallbacks, reasons: summary.modelFallbackReasons });
    }
    for (const a of summary.anomalies) {
      logger.info('anomaly', { id: a.id, partition: a.partition, kind: a.kind, severity: a.severity, probability: a.probability });
    }
    return summary;
  };
  return middy(base).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

/** The Lambda entry point. */
export const handler = createWindowCloserHandler();
