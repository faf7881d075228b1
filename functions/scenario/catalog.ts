/**
 * The scenario runs stored in the synthetic bucket, as the stretches of synthetic traffic they put
 * through the pipeline (core/scenario-data.ts): one listing of `scenario-runs/`, then each run's
 * manifest.json and labels.json. Read by retraining's PrepareDataset and by the profile builder
 * (the `scenarioData` flag).
 */
import type { ObjectStore } from '../adapters/object-store';
import { forEachLimit } from '../core/concurrency';
import { SCENARIO_RUNS_PREFIX as RUNS_PREFIX, scenarioRunKeys } from '../core/resources';
import { scenarioStretchOf, type ScenarioStretch } from '../core/scenario-data';

/** The object store operations needed (the synthetic bucket). */
export type RunCatalogObjects = Pick<ObjectStore, 'listPrefixes' | 'getJson'>;

/**
 * Stretches of the replayed runs that overlap `[span.start, span.end)`, sorted by start. Runs
 * without replay, and objects that are not run manifests, are skipped.
 */
export async function readScenarioStretches(objects: RunCatalogObjects, span: { start: number; end: number }, concurrency = 8): Promise<ScenarioStretch[]> {
  const prefixes = await objects.listPrefixes(RUNS_PREFIX);
  const out: ScenarioStretch[] = [];
  await forEachLimit(prefixes, concurrency, async (prefix) => {
    const runId = decodeURIComponent(prefix.slice(RUNS_PREFIX.length).replace(/\/$/, ''));
    const keys = scenarioRunKeys(runId);
    const manifest = await objects.getJson<unknown>(keys.manifest);
    if (!manifest) return;
    const stretch = scenarioStretchOf(manifest, await objects.getJson<unknown>(keys.labels));
    if (stretch && stretch.start < span.end && stretch.end > span.start) out.push(stretch);
  });
  return out.sort((a, b) => a.start - b.start || (a.runId < b.runId ? -1 : 1));
}
