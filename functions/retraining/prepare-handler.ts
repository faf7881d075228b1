/** PrepareDataset Lambda (retraining state machine). */
import type { Logger } from '@aws-lambda-powertools/logger';
import { prepareDataset, type PrepareDeps } from './prepare';
import { prepareDepsFromEnv } from './env';
import { createStepHandler } from './step-handler';

/** Creates the handler (the Lambda export uses the environment). */
export function createPrepareHandler(options: { deps?: PrepareDeps; logger?: Logger } = {}) {
  return createStepHandler({
    serviceName: 'harbinger-retrain-prepare',
    step: prepareDataset,
    depsFromEnv: prepareDepsFromEnv,
    ...options,
    summary: (r) => ({ jobName: r.jobName, partitions: r.partitions, windows: r.windows, scenarioData: r.scenarioData, skipped: r.skippedPartitions }),
  });
}

/** The Lambda entry point. */
export const handler = createPrepareHandler();
