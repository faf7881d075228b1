/** EvaluateChallenger Lambda (retraining state machine). */
import type { Logger } from '@aws-lambda-powertools/logger';
import { evaluateChallenger, type EvaluateDeps } from './evaluate';
import { evaluateDepsFromEnv } from './env';
import { createStepHandler } from './step-handler';

/** Creates the handler (the Lambda export uses the environment). */
export function createEvaluateHandler(options: { deps?: EvaluateDeps; logger?: Logger } = {}) {
  return createStepHandler({
    serviceName: 'harbinger-retrain-evaluate',
    step: evaluateChallenger,
    depsFromEnv: evaluateDepsFromEnv,
    ...options,
    summary: (r) => ({ promote: r.promote, reason: r.reason, challenger: r.challenger, champion: r.champion, championVersion: r.championVersion }),
  });
}

/** The Lambda entry point. */
export const handler = createEvaluateHandler();
