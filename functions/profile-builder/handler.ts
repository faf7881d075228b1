/**
 * Profile-builder Lambda (scheduled daily, or invoked by hand with {"partition": "..."}): rebuilds
 * baseline profiles from stored window features and flips each partition's CURRENT pointer.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { awsClients, requireEnv } from '../adapters/clients';
import { ObjectStore } from '../adapters/object-store';
import { ProfileStore } from '../adapters/profile-store';
import { ENV } from '../core/resources';
import { partitionsWithWindows, rebuildProfile, type BuildOutcome, type ProfileBuilderDeps } from './builder';

/** Input: one partition, or all partitions with data when omitted. `time` (ISO) overrides the clock. */
export interface ProfileBuilderEvent {
  partition?: string;
  days?: number;
  time?: string;
}

/** Builds the default dependencies from the environment. */
export function defaultProfileBuilderDeps(): ProfileBuilderDeps {
  const clients = awsClients();
  return {
    datasets: new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.datasetBucket) }),
    profiles: new ProfileStore({ client: clients.dynamodb, table: requireEnv(ENV.table), cacheTtlMs: 0 }),
  };
}

/** Creates the handler (the Lambda export uses the defaults). */
export function createProfileBuilderHandler(options: { deps?: ProfileBuilderDeps; logger?: Logger } = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-profile-builder' });
  let deps: ProfileBuilderDeps | undefined;
  const base = async (event: ProfileBuilderEvent, _context: Context): Promise<{ built: BuildOutcome[]; failed: Array<{ partition: string; error: string }> }> => {
    deps ??= options.deps ?? defaultProfileBuilderDeps();
    const now = event?.time ? Date.parse(event.time) : Date.now();
    const partitions = event?.partition ? [event.partition] : await partitionsWithWindows(deps.datasets);
    const built: BuildOutcome[] = [];
    const failed: Array<{ partition: string; error: string }> = [];
    for (const p of partitions) {
      try {
        const outcome = await rebuildProfile(p, now, { ...deps, days: event?.days ?? deps.days });
        built.push(outcome);
        logger.info('profile built', { ...outcome });
      } catch (err) {
        failed.push({ partition: p, error: (err as Error).message });
        logger.error('profile build failed', { partition: p, error: err as Error });
      }
    }
    return { built, failed };
  };
  return middy(base).use(injectLambdaContext(logger));
}

/** The Lambda entry point. */
export const handler = createProfileBuilderHandler();
