/**
 * The shape every retraining step Lambda shares: middy + Powertools Logger around a pure step
 * function, dependencies built from the environment on first use (reused while warm).
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';

/** Options of {@link createStepHandler}. */
export interface StepHandlerOptions<E, R, D> {
  /** Powertools service name, e.g. `harbinger-retrain-prepare`. */
  serviceName: string;
  /** The step. */
  step: (event: E, deps: D) => Promise<R>;
  /** Builds the dependencies from the environment (when `deps` is not given). */
  depsFromEnv: () => D;
  deps?: D;
  logger?: Logger;
  /** Fields of the result worth a log line. */
  summary?: (result: R) => Record<string, unknown>;
}

/**
 * A Lambda handler for one step. Errors propagate (the state machine's Catch turns them into its
 * Fail state with the error name and message), after one log line.
 */
export function createStepHandler<E, R, D>(options: StepHandlerOptions<E, R, D>) {
  const logger = options.logger ?? new Logger({ serviceName: options.serviceName });
  let deps: D | undefined = options.deps;
  const base = async (event: E, _context: Context): Promise<R> => {
    deps ??= options.depsFromEnv();
    try {
      const result = await options.step(event, deps);
      logger.info('step done', options.summary ? options.summary(result) : {});
      return result;
    } catch (err) {
      logger.error('step failed', { error: err as Error });
      throw err;
    }
  };
  return middy(base).use(injectLambdaContext(logger));
}
