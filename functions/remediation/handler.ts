/**
 * Remediation Lambda, the target of the remediation rules on the Harbinger bus (one rule per
 * functions/core/remediation REMEDIATION_RULES entry, plus one for "Log Anomaly Resolved").
 * Thin: wiring only; the work is in ./remediate.ts.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { awsClients, requireEnv } from '../adapters/clients';
import { LambdaActionPort } from '../adapters/lambda-action';
import { RemediationStore } from '../adapters/remediation-store';
import { METRIC_NAMESPACE, METRIC_SERVICES, METRICS } from '../core/metrics';
import { ENV, REMEDIATION_ENV } from '../core/resources';
import { handleRemediationEvent, type BusEvent, type RemediationDeps, type RemediationResult } from './remediate';

/** Builds the dependencies from the environment. */
export function remediationDepsFromEnv(): RemediationDeps {
  return {
    store: new RemediationStore({ client: awsClients().dynamodb, table: requireEnv(ENV.table) }),
    actions: new LambdaActionPort({ client: new LambdaClient({}), capacityFunction: requireEnv(REMEDIATION_ENV.capacityFunction) }),
  };
}

/** Creates the handler (the Lambda export uses the environment). */
export function createRemediationHandler(options: { deps?: RemediationDeps; logger?: Logger; metrics?: Metrics } = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-remediation' });
  const metrics = options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICES.remediation });
  let deps = options.deps;
  const base = async (event: BusEvent, _context: Context): Promise<RemediationResult> => {
    deps ??= remediationDepsFromEnv();
    const result = await handleRemediationEvent(event, deps);
    const M = METRICS.remediation;
    for (const a of result.started) {
      metrics.addMetric(a.status === 'action_failed' ? M.actionsFailed : M.actionsTaken, MetricUnit.Count, 1);
      logger.info('remediation action', { ...a });
    }
    for (const a of result.settled) {
      metrics.addMetric(a.status === 'cleared' ? M.cleared : M.notCleared, MetricUnit.Count, 1);
      logger.info('remediation outcome', { ...a });
    }
    return result;
  };
  return middy(base).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

/** The Lambda entry point. */
export const handler = createRemediationHandler();
