/** PublishProfiles Lambda (retraining state machine). */
import type { Logger } from '@aws-lambda-powertools/logger';
import { publishProfiles, type PublishDeps } from './publish';
import { publishDepsFromEnv } from './env';
import { createStepHandler } from './step-handler';

/** Creates the handler (the Lambda export uses the environment). */
export function createPublishHandler(options: { deps?: PublishDeps; logger?: Logger } = {}) {
  return createStepHandler({
    serviceName: 'harbinger-retrain-publish',
    step: publishProfiles,
    depsFromEnv: publishDepsFromEnv,
    ...options,
    summary: (r) => ({ modelVersion: r.modelVersion, endpointName: r.endpointName, published: r.published }),
  });
}

/** The Lambda entry point. */
export const handler = createPublishHandler();
