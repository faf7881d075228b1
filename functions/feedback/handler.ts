/**
 * Feedback Lambda: invoked directly (console, CLI, an integration) with
 * `{"partition": "checkout#us-east-1", "anomalyId": "<id>", "verdict": "false_positive", "note": "deploy"}`.
 * Thin: wiring only; the work is in ./feedback.ts.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { awsClients, requireEnv } from '../adapters/clients';
import { LabelStore } from '../adapters/label-store';
import { ObjectStore } from '../adapters/object-store';
import { ProfileStore } from '../adapters/profile-store';
import { ENV } from '../core/resources';
import { METRIC_NAMESPACE, METRIC_SERVICES, METRICS } from '../core/metrics';
import { applyLabel, type FeedbackDeps, type LabelOutcome } from './feedback';

/** Builds the dependencies from the environment. */
export function feedbackDepsFromEnv(): FeedbackDeps {
  const clients = awsClients();
  return {
    labels: new LabelStore(new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.anomalyBucket) })),
    profiles: new ProfileStore({ client: clients.dynamodb, table: requireEnv(ENV.table), cacheTtlMs: 0 }),
  };
}

/** Creates the handler (the Lambda export uses the environment). */
export function createFeedbackHandler(options: { deps?: FeedbackDeps; logger?: Logger; metrics?: Metrics } = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-feedback' });
  const metrics = options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICES.feedback });
  let deps = options.deps;
  const base = async (event: unknown, _context: Context): Promise<LabelOutcome> => {
    deps ??= feedbackDepsFromEnv();
    const outcome = await applyLabel(event, deps);
    const { label } = outcome;
    if (outcome.changed) metrics.addMetric(label.verdict === 'false_positive' ? METRICS.feedback.falsePositiveLabels : METRICS.feedback.truePositiveLabels, MetricUnit.Count, 1);
    logger.info('label', { partition: label.partition, anomalyId: label.anomalyId, verdict: label.verdict, changed: outcome.changed, sensitivity: label.sensitivity });
    return outcome;
  };
  return middy(base).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

/** The Lambda entry point. */
export const handler = createFeedbackHandler();
