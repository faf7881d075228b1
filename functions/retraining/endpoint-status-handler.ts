/** CheckEndpoint Lambda (retraining state machine). */
import type { Logger } from '@aws-lambda-powertools/logger';
import { checkEndpoint, type EndpointStatusDeps } from './endpoint-status';
import { endpointStatusDepsFromEnv } from './env';
import { createStepHandler } from './step-handler';

/** Creates the handler (the Lambda export uses the environment). */
export function createEndpointStatusHandler(options: { deps?: EndpointStatusDeps; logger?: Logger } = {}) {
  return createStepHandler({
    serviceName: 'harbinger-retrain-endpoint-status',
    step: checkEndpoint,
    depsFromEnv: endpointStatusDepsFromEnv,
    ...options,
    summary: (r) => ({ endpointName: r.endpointName, status: r.status, checks: r.checks, failureReason: r.failureReason }),
  });
}

/** The Lambda entry point. */
export const handler = createEndpointStatusHandler();
