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
import { ENV, SCENARIO_ENV } from '../core/resources';
import { scenarioDataMode, type ScenarioDataMode, type ScenarioWindowCounts } from '../core/scenario-data';
import { readScenarioStretches, type RunCatalogObjects } from '../scenario/catalog';
import { partitionsWithWindows, rebuildProfile, type BuildOutcome, type ProfileBuilderDeps } from './builder';

/**
 * Input: one partition, or all partitions with data when omitted. `time` (ISO) overrides the clock.
 * `scenarioData` (default `exclude`): windows of replayed scenario runs left out, or (`include`)
 * only their labelled incident windows.
 */
export interface ProfileBuilderEvent {
  partition?: string;
  days?: number;
  time?: string;
  scenarioData?: ScenarioDataMode;
}

/** The builder's dependencies, plus where stored scenario runs are read (the synthetic bucket). */
export type ProfileBuilderHandlerDeps = ProfileBuilderDeps & { runs?: RunCatalogObjects };

/** What a run did. */
export interface ProfileBuilderSummary {
  built: BuildOutcome[];
  failed: Array<{ partition: string; error: string }>;
  /** The flag, the replayed scenario runs in the period, and their windows over every partition built. */
  scenarioData: ScenarioDataMode;
  scenarioRuns: number;
  scenarioWindows: ScenarioWindowCounts;
}

/** Builds the default dependencies from the environment (HARBINGER_SYNTHETIC_BUCKET optional: scenario runs). */
export function defaultProfileBuilderDeps(): ProfileBuilderHandlerDeps {
  const clients = awsClients();
  const synthetic = process.env[SCENARIO_ENV.syntheticBucket];
  return {
    datasets: new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.datasetBucket) }),
    profiles: new ProfileStore({ client: clients.dynamodb, table: requireEnv(ENV.table), cacheTtlMs: 0 }),
    runs: synthetic ? new ObjectStore({ client: clients.s3, bucket: synthetic }) : undefined,
  };
}

/** Creates the handler (the Lambda export uses the defaults). */
export function createProfileBuilderHandler(options: { deps?: ProfileBuilderHandlerDeps; logger?: Logger } = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-profile-builder' });
  let deps: ProfileBuilderHandlerDeps | undefined;
  const base = async (event: ProfileBuilderEvent, _context: Context): Promise<ProfileBuilderSummary> => {
    deps ??= options.deps ?? defaultProfileBuilderDeps();
    const now = event?.time ? Date.parse(event.time) : Date.now();
    const days = event?.days ?? deps.days ?? 14;
    const mode = scenarioDataMode(event?.scenarioData);
    const stretches = deps.runs ? await readScenarioStretches(deps.runs, { start: now - days * 86_400_000, end: now }) : [];
    const partitions = event?.partition ? [event.partition] : await partitionsWithWindows(deps.datasets);
    const built: BuildOutcome[] = [];
    const failed: Array<{ partition: string; error: string }> = [];
    const scenarioWindows: ScenarioWindowCounts = { excluded: 0, included: 0, incidents: 0 };
    for (const p of partitions) {
      try {
        const outcome = await rebuildProfile(p, now, { ...deps, days, scenarioStretches: stretches, scenarioData: mode });
        built.push(outcome);
        scenarioWindows.excluded += outcome.scenarioWindows.excluded;
        scenarioWindows.included += outcome.scenarioWindows.included;
        scenarioWindows.incidents += outcome.scenarioWindows.incidents;
        logger.info('profile built', { ...outcome });
      } catch (err) {
        failed.push({ partition: p, error: (err as Error).message });
        logger.error('profile build failed', { partition: p, error: err as Error });
      }
    }
    return { built, failed, scenarioData: mode, scenarioRuns: stretches.length, scenarioWindows };
  };
  return middy(base).use(injectLambdaContext(logger));
}

/** The Lambda entry point. */
export const handler = createProfileBuilderHandler();
