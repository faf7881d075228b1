/**
 * The scenario Lambda. Thin: dispatches on `step` to the step functions of this folder.
 * - Step Functions tasks (infra/scenario/definition.ts): `{"step": "generate" | "replayMinute" |
 *   "report" | "publish", ...}` (see ./types.ts);
 * - direct invoke: the run request itself, no `step` (see ./direct.ts).
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { SCENARIO_ENV } from '../core/resources';
import { ScenarioRunInputError } from '../core/synth/scenario-run';
import { runScenarioDirect } from './direct';
import { scenarioDepsFromEnv, type ScenarioDeps } from './env';
import { generateScenarioRun } from './generate';
import { publishScenarioRun } from './publish';
import { replayMinute } from './replay';
import { reportScenarioRun } from './report';
import type { ScenarioStepEvent } from './types';

/** The steps the state machine calls. */
export const SCENARIO_STEPS = ['generate', 'replayMinute', 'report', 'publish'] as const;

/** Options of {@link createScenarioHandler}. */
export interface ScenarioHandlerOptions {
  deps?: ScenarioDeps;
  logger?: Logger;
}

/** The account id of the invoked function (the payloads' `owner`, as CloudWatch Logs writes it). */
const accountOf = (context: Context): string | undefined => context?.invokedFunctionArn?.split(':')[4] || undefined;

/** Creates the handler (the Lambda export uses the environment). */
export function createScenarioHandler(options: ScenarioHandlerOptions = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-scenario' });
  let deps: ScenarioDeps | undefined = options.deps;
  const base = async (event: ScenarioStepEvent | Record<string, unknown>, context: Context): Promise<unknown> => {
    deps ??= scenarioDepsFromEnv();
    const step = (event as { step?: unknown })?.step;
    try {
      switch (step) {
        case 'generate': {
          const e = event as Extract<ScenarioStepEvent, { step: 'generate' }>;
          const started = e.executionStartTime ? Date.parse(e.executionStartTime) : NaN;
          const run = await generateScenarioRun({ request: e.request, now: Number.isFinite(started) ? started : deps.now(), unique: e.executionName, owner: accountOf(context) }, deps);
          logger.info('generated', { runId: run.runId, events: run.events, records: run.records, minutes: run.minutes, replay: run.replay, prefix: run.prefix });
          return run;
        }
        case 'replayMinute': {
          const e = event as Extract<ScenarioStepEvent, { step: 'replayMinute' }>;
          const cursor = await replayMinute(e.run, { ...deps, stream: deps.stream! });
          logger.info('minute replayed', { runId: e.run.runId, ...cursor });
          if (cursor.recordsFailed > e.run.cursor.recordsFailed) logger.warn('records rejected after retries', { runId: e.run.runId, failed: cursor.recordsFailed - e.run.cursor.recordsFailed });
          return cursor;
        }
        case 'report': {
          const e = event as Extract<ScenarioStepEvent, { step: 'report' }>;
          const summary = await reportScenarioRun(e.run, deps);
          logger.info('reported', { runId: e.run.runId, ...summary });
          return summary;
        }
        case 'publish': {
          const e = event as Extract<ScenarioStepEvent, { step: 'publish' }>;
          const detail = await publishScenarioRun(e.run, e.report, deps);
          logger.info('published', { runId: detail.runId, status: detail.status });
          return detail;
        }
        case undefined: {
          const result = await runScenarioDirect(event, deps, {
            now: deps.now(),
            unique: context?.awsRequestId,
            remainingMs: context?.getRemainingTimeInMillis?.() ?? 0,
            owner: accountOf(context),
            stateMachine: process.env[SCENARIO_ENV.stateMachine],
          });
          logger.info('direct run done', { runId: result.run.runId, status: result.summary.status });
          return result;
        }
        default:
          throw new ScenarioRunInputError(`Unknown step ${JSON.stringify(step)}: the state machine sends one of ${SCENARIO_STEPS.join(', ')}; a direct invoke sends the run request without "step".`);
      }
    } catch (err) {
      logger.error('scenario step failed', { step: String(step ?? 'direct'), error: err as Error });
      throw err;
    }
  };
  return middy(base).use(injectLambdaContext(logger));
}

/** The Lambda entry point. */
export const handler = createScenarioHandler();
