/** DeployModel Lambda (retraining state machine). */
import type { Logger } from '@aws-lambda-powertools/logger';
import { deployModel, type DeployDeps } from './deploy';
import { deployDepsFromEnv } from './env';
import { createStepHandler } from './step-handler';

/** Creates the handler (the Lambda export uses the environment). */
export function createDeployHandler(options: { deps?: DeployDeps; logger?: Logger } = {}) {
  return createStepHandler({
    serviceName: 'harbinger-retrain-deploy',
    step: deployModel,
    depsFromEnv: deployDepsFromEnv,
    ...options,
    summary: (r) => ({ endpointName: r.endpointName, endpointConfigName: r.endpointConfigName, action: r.action, status: r.status }),
  });
}

/** The Lambda entry point. */
export const handler = createDeployHandler();
